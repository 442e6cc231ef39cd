import Dispatch
import Synchronization

extension StatvfsGuard {
    /// One call, between the caller that waits for it and the worker that makes it.
    final class Job: Sendable {
        enum Phase {
            case queued, running, answered(ProcFileSystem.VolumeStatistics?), givenUp
        }

        let path: String
        let done = DispatchSemaphore(value: 0)
        private let phase = Mutex(Phase.queued)

        init(path: String) { self.path = path }

        /// The answer, once `done` was signalled.
        var answer: ProcFileSystem.VolumeStatistics? {
            phase.withLock { phase in
                if case .answered(let statistics) = phase { return statistics }
                return nil
            }
        }

        /// The worker takes the job; false when its caller has given up on it.
        func start() -> Bool {
            phase.withLock { phase in
                guard case .queued = phase else { return false }
                phase = .running
                return true
            }
        }

        /// The worker's answer; false when the caller gave up on it meanwhile.
        func finish(_ statistics: ProcFileSystem.VolumeStatistics?) -> Bool {
            let delivered = phase.withLock { phase -> Bool in
                guard case .running = phase else { return false }
                phase = .answered(statistics)
                return true
            }
            if delivered { done.signal() }
            return delivered
        }

        /// The caller's time is up: where the job was then. An answer already given stays.
        func giveUp() -> Phase {
            phase.withLock { phase in
                let was = phase
                if case .answered = phase { return was }
                phase = .givenUp
                return was
            }
        }
    }
}
