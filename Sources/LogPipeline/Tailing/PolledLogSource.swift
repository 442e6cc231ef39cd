/// A log source the ``LogFollower`` polls: files (``LogTailer``) or the systemd journal
/// (``JournalTailer``). Each poll hands over the entries completed since the last one and the checkpoint
/// that covers them.
package protocol PolledLogSource {
    /// Reads for at most `budget` bytes; `now` is the follower's clock since it began.
    mutating func poll(now: Duration, budget: Int) -> LogTailer.Batch
    /// Whether a file (or the journal) is being read.
    var isReading: Bool { get }
    /// How the last start went (where reading began and why), for the daemon's log.
    var lastStart: String? { get }
    /// The counters so far.
    var statistics: LogTailer.Statistics { get }
    /// How many bytes reading is behind (0 when unknown).
    var lagBytes: Int64 { get }
    /// Why the last read failed, when the source knows (journalctl's exit and message).
    var lastError: String? { get }
}

extension LogTailer: PolledLogSource {
    package var isReading: Bool { currentPath != nil }
    package var lastError: String? { nil }
}
