import Dispatch
import Foundation
import Logging
import Synchronization
import Testing

@testable import Collectors

/// A mount that stops answering `statvfs` (a hard NFS mount whose server is gone) must not stop the
/// reader: the call is given up on, the mount left out while its call is blocked, measured again once
/// it returns. The hang is a fake that blocks until the test lets it go; the guard's wait says "time is
/// up" once the fake is blocked, so no test waits for a timeout to pass.
@Suite(.timeLimit(.minutes(1))) struct StatvfsGuardTests {
    /// A `statvfs` that blocks on one path until released, and counts its calls.
    final class HangingStatvfs: Sendable {
        let hangingPath: String
        private let release = DispatchSemaphore(value: 0)
        private let blocked = Atomic<Bool>(false)
        private let released = Atomic<Bool>(false)
        private let calls = Mutex<[String: Int]>([:])

        init(hangingPath: String) { self.hangingPath = hangingPath }

        static let volume = ProcFileSystem.VolumeStatistics(fragmentSize: 4096, blocks: 1000, freeBlocks: 600,
                                                             availableBlocks: 500, files: 64, freeFiles: 32)

        func measure(_ path: String) -> ProcFileSystem.VolumeStatistics? {
            calls.withLock { $0[path, default: 0] += 1 }
            if path.hasSuffix(hangingPath), !released.load(ordering: .sequentiallyConsistent) {
                blocked.store(true, ordering: .sequentiallyConsistent)
                release.wait()
                blocked.store(false, ordering: .sequentiallyConsistent)
            }
            return Self.volume
        }

        func calls(_ path: String) -> Int { calls.withLock { $0[path, default: 0] } }
        /// Ends the blocked call; later calls answer at once.
        func letGo() {
            released.store(true, ordering: .sequentiallyConsistent)
            release.signal()
        }

        /// The guard's wait: the answer, or "time is up" once the call hangs.
        var wait: StatvfsGuard.Wait {
            { [self] done in
                while true {
                    if done.wait(timeout: .now() + .milliseconds(2)) == .success { return true }
                    if self.blocked.load(ordering: .sequentiallyConsistent) { return false }
                }
            }
        }
    }

    static let logger = Logger(label: "test")

    /// Waits (bounded) until the given-up call has returned and the guard knows it.
    static func untilUnstuck(_ guarded: StatvfsGuard) async throws {
        for _ in 0..<10_000 where !guarded.stuckPaths.isEmpty { try await Task.sleep(for: .milliseconds(1)) }
        #expect(guarded.stuckPaths.isEmpty, "the returned call clears the mount")
    }

    @Test func aMountThatHangsIsLeftOutUntilItsCallReturns() async throws {
        let fake = HangingStatvfs(hangingPath: "/nfs")
        let guarded = StatvfsGuard(measure: fake.measure, wait: fake.wait, logger: Self.logger)

        #expect(guarded.statvfs("/") == HangingStatvfs.volume)
        #expect(guarded.statvfs("/nfs") == nil, "no answer in time")
        #expect(guarded.stuckPaths == ["/nfs"])
        // Later reads skip it without calling again (the first call is still blocked), and the other
        // mounts are measured by a new worker.
        #expect(guarded.statvfs("/nfs") == nil)
        #expect(fake.calls("/nfs") == 1)
        #expect(guarded.statvfs("/") == HangingStatvfs.volume)
        #expect(fake.calls("/") == 2)

        fake.letGo()
        try await Self.untilUnstuck(guarded)
        // Measured again, by a call of its own.
        #expect(guarded.statvfs("/nfs") == HangingStatvfs.volume)
        #expect(fake.calls("/nfs") == 2)
    }

    @Test func theNodeFilesystemsOfAHangingMountSayDeviceErrorAndTheOthersAreMeasured() async throws {
        let root = ProcFileSystem(root: try hostFixtureRoot("node-a")).root
        let fake = HangingStatvfs(hangingPath: "/boot")
        let guarded = StatvfsGuard(measure: fake.measure, wait: fake.wait, logger: Self.logger)
        let reader = NodeMetricsReader(fileSystem: ProcFileSystem(root: root, statvfs: guarded.statvfs))

        for _ in 0..<2 {
            let samples = reader.filesystems()
            let boot = [("device", "/dev/vda1"), ("fstype", "ext4"), ("mountpoint", "/boot")]
            #expect(nodeSample(samples, "node_filesystem_device_error", boot)?.value == 1)
            #expect(nodeSample(samples, "node_filesystem_size_bytes", boot) == nil)
            let data = [("device", "/dev/vdb"), ("fstype", "xfs"), ("mountpoint", "/srv/pg data")]
            #expect(nodeSample(samples, "node_filesystem_device_error", data)?.value == 0)
            #expect(nodeSample(samples, "node_filesystem_size_bytes", data)?.value == Double(1000 * 4096))
        }
        #expect(fake.calls(root + "/boot") == 1, "the second read did not wait on the hanging mount")
        fake.letGo()
        try await Self.untilUnstuck(guarded)
    }

    @Test func theRealCallAnswersAsStatvfsDoes() {
        let guarded = StatvfsGuard(logger: Self.logger)
        let direct = ProcFileSystem.systemStatvfs("/")
        let through = guarded.statvfs("/")
        #expect(through != nil)
        #expect(through?.fragmentSize == direct?.fragmentSize)
        #expect(through?.blocks == direct?.blocks)
        #expect(guarded.statvfs("/nonexistent/\(UUID())") == nil)
        #expect(guarded.stuckPaths.isEmpty)
    }
}
