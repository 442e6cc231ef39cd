import Synchronization

/// Optional parts that are down while the agent runs on without them (the metrics endpoint whose
/// address is taken, for one), for the systemd status line. A part sets its problem when it fails and
/// clears it once it works again; the supervisor retries it meanwhile.
package final class PartProblems: Sendable {
    private let problems = Mutex<[String: String]>([:])

    package init() {}

    /// Records that `part` is down because of `problem`, or (nil) that it works again.
    package func set(_ part: String, _ problem: String?) {
        problems.withLock { $0[part] = problem }
    }

    /// The parts that are down, by name, with their problem.
    package var current: [(part: String, problem: String)] {
        problems.withLock { $0.sorted { $0.key < $1.key }.map { (part: $0.key, problem: $0.value) } }
    }
}
