/// One backend session as far as ``SessionTracker`` knows it: when it began and ended, whose it is, and
/// which application name it had when.
struct TrackedSession: Sendable, Equatable {
    /// From `from` (milliseconds since the epoch; nil: from the start) on, the session's application
    /// name was `name` (nil: not known).
    struct NameSpan: Sendable, Equatable {
        var from: Int64?
        var name: String?
    }

    /// Backend start, milliseconds since the epoch; nil when a log line without a time told of it.
    var start: Int64?
    /// When it ended at the latest: its disconnection, the start of the pid's next session, or a snapshot
    /// that no longer showed it.
    var end: Int64?
    /// Its `connection received` line was read (a later one of the same pid is a new session).
    var startedInLog = false
    /// Ended without a known time (a log without timestamps).
    var isOver = false
    var user: String?
    var database: String?
    var names: [NameSpan] = []
    /// The time of the latest snapshot that showed it.
    var lastSeen: Int64?
    /// A snapshot showed a name other than the one known before: the session changes its name (`SET
    /// application_name`), so a name is only trusted up to the snapshot that showed it.
    var isVolatile = false
    /// The latest time anything was learned about it, for eviction.
    var lastActivity: Int64

    /// The application name at `time` (nil: the time is unknown, take the latest).
    func name(at time: Int64?) -> String? {
        guard let time else { return isVolatile ? nil : names.last?.name }
        if isVolatile, let lastSeen, time > lastSeen { return nil }
        return names.last(where: { ($0.from ?? .min) <= time })?.name
    }

    /// Whether `time` falls inside the session; `slack` widens its start for logs with whole seconds.
    func covers(_ time: Int64?, slack: Int64) -> Bool {
        guard let time else { return !isOver && end == nil }
        if let start, time < start - slack { return false }
        if let end, time > end { return false }
        return !(isOver && end == nil)
    }
}
