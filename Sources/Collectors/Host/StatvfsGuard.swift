package import Dispatch
package import Logging
import Synchronization

/// `statvfs(3)` with a time limit. A mount whose server is gone (a hard NFS or CIFS mount, a FUSE
/// daemon that hangs) blocks the call until it answers, in a state no signal ends; called on the
/// snapshot cycle's task it would stop the cycle for good, and no deadline helps, because a task group
/// waits for its blocked child. Here the call runs on a worker thread of the guard's own; a path that
/// does not answer within ``timeout`` is reported unmeasured (`nil`) and marked stuck, the worker is
/// left blocked there, and later calls for that path return `nil` at once until the blocked call
/// returns. node_exporter does the same (`--collector.filesystem.mount-timeout`, 5 s).
///
/// Threads: one worker (``Worker``), plus one per mount that is stuck now (each blocked in the kernel);
/// each call is a ``Job`` between the caller and the worker.
package final class StatvfsGuard: Sendable {
    /// Waits for a job's answer: true when it came, false when the time is up. Tests inject a wait
    /// that says "time is up" when they decide it.
    package typealias Wait = @Sendable (DispatchSemaphore) -> Bool

    /// How long a path may take before it counts as stuck.
    package let timeout: Duration
    private let measure: @Sendable (String) -> ProcFileSystem.VolumeStatistics?
    private let wait: Wait
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var stuck: Set<String> = []
        var worker: Worker?
    }

    /// - Parameters:
    ///   - timeout: how long one path may take; 5 s, as node_exporter.
    ///   - measure: the call to guard; the real `statvfs(3)` by default.
    ///   - wait: how a caller waits for the worker's answer; by default up to `timeout`.
    package init(timeout: Duration = .seconds(5),
                 measure: @escaping @Sendable (String) -> ProcFileSystem.VolumeStatistics? = ProcFileSystem.systemStatvfs,
                 wait: Wait? = nil, logger: Logger) {
        self.timeout = timeout
        self.measure = measure
        let nanoseconds = Int(timeout.components.seconds) * 1_000_000_000 + Int(timeout.components.attoseconds / 1_000_000_000)
        self.wait = wait ?? { $0.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success }
        self.logger = logger
    }

    deinit {
        // The idle worker ends with its guard; a blocked one ends when its call returns.
        state.withLock { $0.worker }?.abandon()
    }

    /// The paths whose call has not returned, sorted.
    package var stuckPaths: [String] { state.withLock { $0.stuck.sorted() } }

    /// Measures the filesystem that holds `path`: nil when the call fails, when it did not answer in
    /// time, or while an earlier call for the path has not returned.
    package func statvfs(_ path: String) -> ProcFileSystem.VolumeStatistics? {
        let job = Job(path: path)
        let worker: Worker? = state.withLock { state in
            if state.stuck.contains(path) { return nil }
            if state.worker == nil {
                let measure = self.measure
                state.worker = Worker(measure: measure) { [weak self] path in self?.returned(path) }
            }
            state.worker?.submit(job)
            return state.worker
        }
        guard let worker else { return nil }
        if wait(job.done) { return job.answer }
        switch job.giveUp() {
        case .answered(let statistics):
            return statistics
        case .queued, .givenUp:
            // Behind a path that is stuck: no answer this time, and nothing learned about this path.
            return nil
        case .running:
            state.withLock { state in
                state.stuck.insert(path)
                if state.worker === worker { state.worker = nil }
            }
            worker.abandon()
            logger.warning("a mount point does not answer statvfs: it is left out until it does", metadata: [
                "mount_point": "\(path)", "timeout_s": "\(timeout.components.seconds)",
            ])
            return nil
        }
    }

    /// A call that was given up on has returned: the path is measured again from now on.
    private func returned(_ path: String) {
        state.withLock { _ = $0.stuck.remove(path) }
        logger.notice("a mount point answers statvfs again", metadata: ["mount_point": "\(path)"])
    }
}
