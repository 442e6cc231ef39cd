import Dispatch
import Foundation
import Synchronization

extension StatvfsGuard {
    /// A thread that makes the calls in turn. Abandoned while it is blocked in one, it ends when that
    /// call returns.
    final class Worker: Sendable {
        private let jobs = Mutex<(queue: [Job], abandoned: Bool)>(([], false))
        private let pending = DispatchSemaphore(value: 0)

        init(measure: @escaping @Sendable (String) -> ProcFileSystem.VolumeStatistics?,
             returned: @escaping @Sendable (String) -> Void) {
            let thread = Thread { [self] in
                while true {
                    pending.wait()
                    let next = jobs.withLock { jobs -> (job: Job?, abandoned: Bool) in
                        (jobs.queue.isEmpty ? nil : jobs.queue.removeFirst(), jobs.abandoned)
                    }
                    guard let job = next.job else {
                        if next.abandoned { return }
                        continue
                    }
                    guard job.start() else { continue }
                    let statistics = measure(job.path)
                    if !job.finish(statistics) {
                        // Its caller gave up: this worker was abandoned and the path marked stuck.
                        returned(job.path)
                        return
                    }
                }
            }
            thread.name = "statvfs"
            thread.start()
        }

        func submit(_ job: Job) {
            jobs.withLock { $0.queue.append(job) }
            pending.signal()
        }

        /// No more jobs: the jobs still queued are given up by their callers; the thread ends once its
        /// call returns.
        func abandon() {
            jobs.withLock { $0.abandoned = true }
            pending.signal()
        }
    }
}
