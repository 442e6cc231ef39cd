import AgentSchema
import Foundation
import Testing

@testable import Collectors

@Suite struct HostCollectorTests {
    let start = ContinuousClock.now

    /// A root that is a symbolic link we can re-point between fixture trees, so one collector sees
    /// the machine move on from `proc-a` to `proc-b` as it would between two cycles.
    final class MovableRoot {
        let directory: URL
        var link: URL { directory.appendingPathComponent("root") }

        init() throws {
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("host-collector-tests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        func point(at target: String) throws {
            try? FileManager.default.removeItem(at: link)
            try FileManager.default.createSymbolicLink(
                atPath: link.path(percentEncoded: false), withDestinationPath: target
            )
        }

        func collector() -> HostCollector {
            HostCollector(
                root: link.path(percentEncoded: false),
                dataDirectory: hostFixtureDataDirectory,
                statvfs: hostFixtureStatvfs
            )
        }
    }

    /// Metrics for `proc-a` followed by `proc-b` a minute later, through one collector.
    func collectAThenB() throws -> (first: SystemMetrics, second: SystemMetrics) {
        let root = try MovableRoot()
        let collector = root.collector()
        try root.point(at: try hostFixtureRoot("proc-a"))
        let first = try collector.collect(now: start)
        try root.point(at: try hostFixtureRoot("proc-b"))
        let second = try collector.collect(now: start.advanced(by: .seconds(60)))
        return (first, second)
    }

    @Test func ratesStartWithTheSecondCollection() throws {
        let (first, second) = try collectAThenB()

        #expect(first.intervalSeconds == nil)
        #expect(first.cpu.percent == nil)
        #expect(first.networkIO?.bytesRecvPerSec == nil)
        #expect(second.intervalSeconds == 60)
        #expect(second.cpu.percent == 35)
        #expect(second.networkIO?.bytesRecvPerSec == 1_000_000)
        #expect(second.diskIO?.devices.first?.busyPercent == 25)
        #expect(second.memory.percent == 25)
        #expect(second.cgroup?.memoryEventsOomKill == 1)
        #expect(second.pressure?.memory?.someAvg10 == 1.2)
    }

    @Test func keepsThePreviousSampleWhenACollectionFails() throws {
        let root = try MovableRoot()
        let collector = root.collector()
        try root.point(at: try hostFixtureRoot("proc-a"))
        _ = try collector.collect(now: start)

        try root.point(at: root.directory.appendingPathComponent("empty").path(percentEncoded: false))
        #expect(throws: HostCollector.SampleError(code: .missingFile, path: "/proc/stat")) {
            try collector.collect(now: start.advanced(by: .seconds(30)))
        }

        try root.point(at: try hostFixtureRoot("proc-b"))
        let metrics = try collector.collect(now: start.advanced(by: .seconds(60)))
        #expect(metrics.intervalSeconds == 60)
        #expect(metrics.cpu.percent == 35)
    }

    @Test func sampleErrorNamesTheFile() {
        #expect(
            String(describing: HostCollector.SampleError(code: .malformedFile, path: "/proc/meminfo"))
                == "malformedFile: /proc/meminfo"
        )
    }

    @Test func encodesSnakeCaseKeys() throws {
        let (_, second) = try collectAThenB()
        let json = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(second)) as? [String: Any]
        )

        #expect(
            Set(json.keys)
                == [
                    "cpu", "load", "memory", "swap", "disk_io", "network_io", "filesystem", "pressure", "cgroup",
                    "interval_seconds",
                ]
        )
        let cpu = try #require(json["cpu"] as? [String: Any])
        #expect(Set(cpu.keys) == ["percent", "count", "modes"])
        #expect(
            Set(try #require(cpu["modes"] as? [String: Any]).keys)
                == ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest"]
        )
        #expect(
            Set(try #require(json["memory"] as? [String: Any]).keys)
                == ["total", "available", "percent", "used", "free", "buffers", "cached"]
        )
        let diskCounters: Set<String> = [
            "read_count", "write_count", "read_bytes", "write_bytes", "read_time", "write_time", "busy_time",
            "read_bytes_per_sec", "write_bytes_per_sec", "read_count_per_sec", "write_count_per_sec",
        ]
        let disk = try #require(json["disk_io"] as? [String: Any])
        #expect(Set(disk.keys) == diskCounters.union(["devices"]))
        let device = try #require((disk["devices"] as? [[String: Any]])?.first)
        #expect(Set(device.keys) == diskCounters.union(["name", "busy_percent"]))
        let networkCounters: Set<String> = [
            "bytes_sent", "bytes_recv", "packets_sent", "packets_recv", "errin", "errout", "dropin", "dropout",
            "bytes_sent_per_sec", "bytes_recv_per_sec",
        ]
        let network = try #require(json["network_io"] as? [String: Any])
        #expect(Set(network.keys) == networkCounters.union(["interfaces"]))
        let interface = try #require((network["interfaces"] as? [[String: Any]])?.first)
        #expect(Set(interface.keys) == networkCounters.union(["name"]))
        #expect(
            Set(try #require(json["filesystem"] as? [String: Any]).keys)
                == ["path", "total", "used", "free", "available", "percent", "inodes_total", "inodes_free"]
        )
        let pressure = try #require(json["pressure"] as? [String: Any])
        #expect(
            Set(try #require(pressure["cpu"] as? [String: Any]).keys)
                == ["some_avg10", "some_avg60", "some_avg300", "some_total"]
        )
        #expect(
            Set(try #require(pressure["io"] as? [String: Any]).keys)
                == [
                    "some_avg10", "some_avg60", "some_avg300", "some_total",
                    "full_avg10", "full_avg60", "full_avg300", "full_total",
                ]
        )
        #expect(
            Set(try #require(json["cgroup"] as? [String: Any]).keys)
                == [
                    "path", "memory_max", "memory_current", "cpu_quota_cores", "cpu_usage_usec",
                    "memory_events_oom_kill",
                ]
        )
    }

    @Test func firstSampleOmitsWhatNeedsADelta() throws {
        let (first, _) = try collectAThenB()
        let text = String(decoding: try JSONEncoder().encode(first), as: UTF8.self)

        #expect(!text.contains("interval_seconds"))
        #expect(!text.contains("_per_sec"))
        #expect(!text.contains("busy_percent"))
        #expect(!text.contains("\"modes\""))
        #expect(!text.contains("\"percent\":null"))
    }

    @Test func roundTripsThroughJSON() throws {
        let (first, second) = try collectAThenB()

        for metrics in [first, second] {
            #expect(try JSONDecoder().decode(SystemMetrics.self, from: JSONEncoder().encode(metrics)) == metrics)
        }
    }

    /// Two samples of this machine's own /proc, back to back: no fixture, no sleep, only invariants.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/stat")))
    func samplesTheRealProcTwice() throws {
        let collector = HostCollector(dataDirectory: FileManager.default.temporaryDirectory.path(percentEncoded: false))
        let clock = ContinuousClock()

        let first = try collector.collect(now: clock.now)
        let second = try collector.collect(now: clock.now)

        #expect(first.intervalSeconds == nil)
        #expect(first.cpu.percent == nil)
        #expect(try #require(second.intervalSeconds) > 0)
        for metrics in [first, second] {
            #expect(metrics.cpu.count >= 1)
            #expect(metrics.memory.total > 0)
            #expect(metrics.memory.total >= metrics.memory.available)
            #expect(metrics.memory.total >= metrics.memory.used)
            #expect((0...100).contains(metrics.memory.percent))
            #expect(metrics.swap.total >= metrics.swap.used)
            #expect((0...100).contains(metrics.swap.percent))
            let load = try #require(metrics.load)
            #expect(load.load1 >= 0 && load.load5 >= 0 && load.load15 >= 0)
            let filesystem = try #require(metrics.filesystem)
            #expect(filesystem.total >= filesystem.used)
            #expect(filesystem.free >= filesystem.available)
            #expect((0...100).contains(try #require(filesystem.percent)))
            let disk = try #require(metrics.diskIO)
            #expect(!disk.devices.contains { $0.name.hasPrefix("loop") || $0.name.hasPrefix("zram") })
            let network = try #require(metrics.networkIO)
            #expect(network.interfaces.contains { $0.name == "lo" })
        }
        if let percent = second.cpu.percent {
            #expect((0...100).contains(percent))
            let modes = try #require(second.cpu.modes)
            let sum = modes.user + modes.nice + modes.system + modes.idle + modes.iowait + modes.irq + modes.softirq
                + modes.steal
            #expect(abs(sum - 100) < 0.000_001)
        }
        let rates =
            [second.diskIO?.readBytesPerSec, second.diskIO?.writeBytesPerSec, second.networkIO?.bytesRecvPerSec]
            + (second.diskIO?.devices.map(\.busyPercent) ?? [])
            + (second.networkIO?.interfaces.map(\.bytesSentPerSec) ?? [])
        #expect(rates.allSatisfy { ($0 ?? 0) >= 0 })
    }
}

/// A `/proc` that says `nan` or `inf` (a container's emulation of it, a broken kernel module): JSON cannot
/// carry such numbers, and the encoder used to drop the whole snapshot for them.
@Suite struct HostCollectorNonFiniteTests {
    @Test func nanAndInfinityAreLeftOutAndReportedNotShipped() throws {
        let base = URL(fileURLWithPath: try hostFixtureRoot("proc-a")).appendingPathComponent("proc")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("host-nan-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let proc = root.appendingPathComponent("proc")
        try FileManager.default.createDirectory(at: proc, withIntermediateDirectories: true)
        for file in ["stat", "meminfo"] {
            try FileManager.default.copyItem(at: base.appendingPathComponent(file), to: proc.appendingPathComponent(file))
        }
        try "nan inf 0.50 1/100 4242\n".write(to: proc.appendingPathComponent("loadavg"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: proc.appendingPathComponent("pressure"), withIntermediateDirectories: true)
        try "some avg10=nan avg60=0.00 avg300=0.00 total=1\n".write(
            to: proc.appendingPathComponent("pressure/io"), atomically: true, encoding: .utf8)
        let collector = HostCollector(root: root.path(percentEncoded: false), dataDirectory: hostFixtureDataDirectory,
                                      statvfs: hostFixtureStatvfs)
        let reading = try collector.collectReporting(now: .now)
        #expect(reading.metrics.load == nil)
        #expect(reading.metrics.pressure?.io == nil)
        #expect(Set(reading.problems.map(\.path)) == ["/proc/loadavg", "/proc/pressure/io"])
        // What is left encodes: nothing non-finite remains for the payload's JSON.
        _ = try JSONEncoder().encode(reading.metrics)
    }
}
