package import AgentSchema

/// Gives a log entry that names no application the application name and correlation id of the session
/// its pid belonged to at the time: for logs whose `log_line_prefix` has no `%a` (Debian's default
/// `%m [%p] %q%u@%d `, syslog, the journal).
///
/// It learns sessions from two sources:
/// - the log itself, in order: `connection received` starts a session (and ends the pid's previous one),
///   `connection authorized: … application_name=…` names it, `disconnection` ends it;
/// - `pg_stat_activity`, through ``observe(_:at:complete:)``: pid, `backend_start`, `application_name`.
///
/// An entry of pid P at time T gets the name of P's session that covers T. Never another session's:
/// - a pid reused by a new session starts a new session (a new `connection received`, or a snapshot with
///   a later `backend_start`), and the old one's entries stay with the old one;
/// - an entry whose prefix names a user or database other than the session's is not attributed;
/// - a session seen under two names (`SET application_name` per request, as persistent connections do) is
///   trusted only up to the snapshot that showed its current name, never forward.
/// Entries that carry their own application name are marked `correlation_source: "entry"`, inferred ones
/// `"session"`.
///
/// Bounded: ended sessions are forgotten `grace` after they ended (in log time), and at most `capacity`
/// pids are kept (the least recently active go first).
package struct SessionTracker: Sendable {
    private let grace: Int64
    private let capacity: Int
    /// Per pid its sessions, oldest first; at most `sessionsPerPID`.
    private var sessions: [Int: [TrackedSession]] = [:]
    /// The latest time seen in the log or in a snapshot, milliseconds since the epoch.
    private var now: Int64 = .min
    private var lastSweep: Int64 = .min
    private static let sessionsPerPID = 3
    /// Log times with whole seconds (`%t`) may read up to a second before the backend started.
    private static let slack: Int64 = 999

    /// - Parameters:
    ///   - grace: how long an ended session is kept for late entries, in milliseconds (default 5 minutes).
    ///   - capacity: the most pids kept (default 65,536).
    package init(grace: Int64 = 300_000, capacity: Int = 65_536) {
        self.grace = grace
        self.capacity = max(capacity, 16)
    }

    /// Sessions known now, for tests and metrics.
    package var trackedPIDs: Int { sessions.count }

    /// Learns from the entry and attributes it; call for every classified event, in log order.
    /// `correlation` finds the id in an inferred name (the configured pattern).
    package mutating func attribute(_ event: inout LogEvent, correlation: CorrelationExtractor) {
        guard event.event != .unparsed, let pid = event.pid else { return }
        if event.correlationID != nil {
            event.correlationSource = .entry
        }
        let isSessionLine = event.event == .connection || event.event == .disconnection
        // Entries that name their application (csvlog, jsonlog, `%a`) need nothing else from us: the hot
        // path of a busy log reads no time for them.
        guard isSessionLine || (event.applicationName == nil && event.correlationID == nil) else { return }
        let time = event.timestamp.flatMap(Self.epochMilliseconds(rfc3339:))
        if let time { advance(to: time) }
        if event.event == .connection, case let .string(stage)? = event.details?["stage"] {
            learnConnection(stage: stage, pid: pid, time: time, event: event)
        }
        if event.applicationName == nil, event.correlationID == nil,
           let session = session(of: pid, at: time), session.matches(user: event.user, database: event.database),
           let name = session.name(at: time), let id = correlation.extract(from: name) {
            // Only names that carry an id: `correlation_source` then marks every inferred name.
            event.applicationName = name
            event.correlationID = id
            event.correlationSource = .session
        }
        if event.event == .disconnection {
            end(pid: pid, at: time)
        }
        sweepIfDue()
    }

    /// Learns from a snapshot of `pg_stat_activity` taken at `time`. With `complete`, the snapshot listed
    /// every client backend, so a known session missing from it has ended.
    package mutating func observe(_ observations: [SessionObservation], at time: Int64, complete: Bool) {
        advance(to: time)
        var seen = Set<Int>()
        for observation in observations {
            seen.insert(observation.pid)
            learn(observation, at: time)
        }
        if complete {
            for (pid, list) in sessions where !seen.contains(pid) {
                guard var last = list.last, last.end == nil, !last.isOver else { continue }
                // A session that began after the snapshot looked (or whose start is unknown) is not in it.
                guard let start = last.start, start < time - Self.slack else { continue }
                // Seen before: it ended after that snapshot. Known from the log only: by now at the latest.
                last.end = last.lastSeen ?? time
                last.lastActivity = time
                sessions[pid]![list.count - 1] = last
            }
        }
        sweepIfDue()
    }

    // MARK: - Learning

    private mutating func learnConnection(stage: String, pid: Int, time: Int64?, event: LogEvent) {
        switch stage {
        case "received":
            // A snapshot may have shown this backend already: the same session, not a new one.
            if var last = sessions[pid]?.last, !last.startedInLog, last.end == nil, let start = last.start, let time,
               abs(start - time) <= Self.slack {
                last.startedInLog = true
                sessions[pid]![sessions[pid]!.count - 1] = last
                return
            }
            var session = TrackedSession(start: time, lastActivity: time ?? now)
            session.startedInLog = true
            begin(session, pid: pid, at: time)
        case "authorized":
            var details = event.details ?? [:]
            if case .bool(true)? = details["replication"] { details["application_name"] = nil }
            if sessions[pid]?.last.map({ $0.covers(time, slack: Self.slack) }) != true {
                begin(TrackedSession(start: time, lastActivity: time ?? now), pid: pid, at: time)
            }
            let now = self.now
            update(pid: pid) { session in
                if case let .string(user)? = details["user"] { session.user = user }
                if case let .string(database)? = details["database"] { session.database = database }
                // The startup name holds from the start; a name a snapshot saw later stays after it.
                if case let .string(name)? = details["application_name"], session.names.isEmpty || session.names[0].from != nil {
                    session.names.insert(TrackedSession.NameSpan(from: nil, name: name), at: 0)
                }
                session.lastActivity = time ?? now
            }
        default:
            break
        }
    }

    private mutating func learn(_ observation: SessionObservation, at time: Int64) {
        let name = observation.applicationName.flatMap { $0.isEmpty ? nil : $0 }
        if var last = sessions[observation.pid]?.last, let index = sessions[observation.pid]?.indices.last {
            let start = last.start ?? observation.backendStart
            if abs(start - observation.backendStart) <= Self.slack, !(last.isOver && last.end == nil) {
                // The same session.
                last.start = observation.backendStart
                last.user = last.user ?? observation.user
                last.database = last.database ?? observation.database
                let known = last.name(at: time)
                if last.names.isEmpty {
                    last.names = [TrackedSession.NameSpan(from: nil, name: name)]
                } else if known != name {
                    // Renamed between the last sighting (or its start) and now: unknown in between.
                    last.isVolatile = true
                    let since = (last.lastSeen ?? last.start ?? time) + 1
                    if since < time { last.names.append(TrackedSession.NameSpan(from: since, name: nil)) }
                    last.names.append(TrackedSession.NameSpan(from: time, name: name))
                }
                last.lastSeen = time
                last.lastActivity = time
                sessions[observation.pid]![index] = last
                return
            }
            if start > observation.backendStart {
                return  // the log already knows a later session of this pid; the snapshot is older
            }
        }
        var session = TrackedSession(start: observation.backendStart, lastActivity: time)
        session.user = observation.user
        session.database = observation.database
        session.names = [TrackedSession.NameSpan(from: nil, name: name)]
        session.lastSeen = time
        begin(session, pid: observation.pid, at: observation.backendStart)
    }

    /// Starts a session for `pid`; the pid's previous one ends then.
    private mutating func begin(_ session: TrackedSession, pid: Int, at time: Int64?) {
        var list = sessions[pid] ?? []
        if var last = list.last, last.end == nil {
            if let time { last.end = time } else { last.isOver = true }
            list[list.count - 1] = last
        }
        list.append(session)
        if list.count > Self.sessionsPerPID { list.removeFirst(list.count - Self.sessionsPerPID) }
        sessions[pid] = list
        if sessions.count > capacity { evict() }
    }

    private mutating func end(pid: Int, at time: Int64?) {
        let now = self.now
        update(pid: pid) { session in
            if let time { session.end = min(session.end ?? time, time) } else { session.isOver = true }
            session.lastActivity = time ?? now
        }
    }

    private mutating func update(pid: Int, _ change: (inout TrackedSession) -> Void) {
        guard var list = sessions[pid], !list.isEmpty else { return }
        change(&list[list.count - 1])
        sessions[pid] = list
    }

    /// The session of `pid` that covers `time`: the latest that starts by then, an exact start before
    /// one that only the slack lets in.
    private func session(of pid: Int, at time: Int64?) -> TrackedSession? {
        guard let list = sessions[pid] else { return nil }
        return list.last(where: { $0.covers(time, slack: 0) }) ?? list.last(where: { $0.covers(time, slack: Self.slack) })
    }

    // MARK: - Forgetting

    private mutating func advance(to time: Int64) {
        if time > now { now = time }
    }

    private mutating func sweepIfDue() {
        guard now != .min, lastSweep == .min || now - lastSweep >= grace / 4 else { return }
        lastSweep = now
        let horizon = now - grace
        for (pid, list) in sessions {
            let kept = list.filter { session in
                if let end = session.end { return end >= horizon }
                return !session.isOver || session.lastActivity >= horizon
            }
            if kept.isEmpty { sessions[pid] = nil } else if kept.count != list.count { sessions[pid] = kept }
        }
    }

    /// Over capacity: the quarter of pids least recently active go.
    private mutating func evict() {
        let ordered = sessions.map { ($0.key, $0.value.last?.lastActivity ?? .min) }.sorted { $0.1 < $1.1 }
        for (pid, _) in ordered.prefix(max(1, capacity / 4)) { sessions[pid] = nil }
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` (what the parsers write) as milliseconds since the epoch.
    static func epochMilliseconds(rfc3339 text: String) -> Int64? {
        var text = text
        return text.withUTF8 { bytes -> Int64? in
            guard bytes.count == 24, bytes[23] == UInt8(ascii: "Z") else { return nil }
            func number(_ range: Range<Int>) -> Int? {
                var value = 0
                for index in range {
                    let digit = bytes[index] &- 0x30
                    guard digit < 10 else { return nil }
                    value = value * 10 + Int(digit)
                }
                return value
            }
            guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
                  let minute = number(14..<16), let second = number(17..<19), let millisecond = number(20..<23) else { return nil }
            let days = Int64(CivilCalendar.daysFromCivil(year: year, month: month, day: day))
            return (days * 86_400 + Int64(hour * 3_600 + minute * 60 + second)) * 1_000 + Int64(millisecond)
        }
    }
}

extension TrackedSession {
    /// False when the entry's prefix names another user or database than the session's (`%u`, `%d`;
    /// `[unknown]` before authentication).
    func matches(user: String?, database: String?) -> Bool {
        func same(_ logged: String?, _ known: String?) -> Bool {
            guard let logged, let known, logged != "[unknown]", !logged.isEmpty else { return true }
            return logged == known
        }
        return same(user, self.user) && same(database, self.database)
    }
}
