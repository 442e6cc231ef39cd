import AgentSchema
import Foundation
import Testing

@testable import Collectors

/// The directory of a fixture tree (`proc-a`, `proc-b`, `proc-old`) that stands for `/`.
func hostFixtureRoot(_ name: String) throws -> String {
    let fixtures = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    return fixtures.appendingPathComponent(name).path(percentEncoded: false)
}

/// `statvfs` of the data directory used with the fixtures: this machine's root filesystem.
let hostFixtureDataDirectory = "/var/lib/postgresql/16/main"
let hostFixtureStatvfs: @Sendable (String) -> ProcFileSystem.VolumeStatistics? = { path in
    guard path == hostFixtureDataDirectory else { return nil }
    return ProcFileSystem.VolumeStatistics(
        fragmentSize: 4096, blocks: 66_053_021, freeBlocks: 62_018_044, availableBlocks: 20_731_426,
        files: 16_777_216, freeFiles: 16_356_014
    )
}

/// A sampler over a fixture tree, with the fake `statvfs`.
func hostFixtureSampler(_ name: String, dataDirectory: String? = hostFixtureDataDirectory) throws -> HostSampler {
    HostSampler(
        fileSystem: ProcFileSystem(root: try hostFixtureRoot(name), statvfs: hostFixtureStatvfs),
        dataDirectory: dataDirectory,
        cgroupProcess: "self"
    )
}

@Suite struct HostSamplerTests {
    let instant = ContinuousClock.now

    @Test func readsEveryPartOfAModernKernel() throws {
        let sample = try hostFixtureSampler("proc-a").sample(at: instant)

        #expect(sample.timestamp == instant)
        #expect(
            sample.cpuTimes
                == HostSample.CPUTimes(
                    user: 42404, nice: 10, system: 7821, idle: 26575, iowait: 236, irq: 0, softirq: 87,
                    steal: 63, guest: 500, guestNice: 0
                )
        )
        #expect(sample.cpuCount == 2)
        #expect(sample.load == SystemMetrics.Load(load1: 1.76, load5: 0.71, load15: 0.27))
        #expect(
            sample.memory
                == HostSample.Memory(
                    total: 24_684_092 * 1024, free: 22_897_308 * 1024, available: 24_275_604 * 1024,
                    buffers: 60956 * 1024, cached: 1_447_092 * 1024, sReclaimable: 174_972 * 1024,
                    swapTotal: 2_097_148 * 1024, swapFree: 2_097_148 * 1024
                )
        )
        #expect(
            sample.disks?.first
                == HostSample.Disk(
                    name: "vda", reads: 10000, sectorsRead: 2_296_834, readTime: 9332, writes: 5492,
                    sectorsWritten: 1_112_320, writeTime: 4422, busyTime: 8068
                )
        )
        #expect(sample.interfaces?.map(\.name) == ["lo", "ifb0", "ifb1", "eth0"])
        #expect(
            sample.interfaces?.last
                == HostSample.Interface(
                    name: "eth0", bytesRecv: 1_845_806, packetsRecv: 2055, errin: 1, dropin: 3,
                    bytesSent: 907_905, packetsSent: 1075, errout: 0, dropout: 2
                )
        )
        #expect(sample.filesystem?.path == hostFixtureDataDirectory)
        #expect(sample.filesystem?.statistics.blocks == 66_053_021)
    }

    @Test func keepsWholeDisksAndSkipsPartitionsLoopAndZram() throws {
        let sample = try hostFixtureSampler("proc-a").sample(at: instant)

        // vda1 has no /sys/block entry; loop0 and zram0 have one but are skipped by name.
        #expect(sample.disks?.map(\.name) == ["vda", "dm-0"])
    }

    @Test func readsPressureWithoutTheUndefinedCPUFullLine() throws {
        let sample = try hostFixtureSampler("proc-a").sample(at: instant)

        #expect(
            sample.pressure?.cpu
                == SystemMetrics.Resource(someAvg10: 1.41, someAvg60: 23.73, someAvg300: 15.38, someTotal: 68_892_729)
        )
        #expect(
            sample.pressure?.io
                == SystemMetrics.Resource(
                    someAvg10: 0.18, someAvg60: 0.35, someAvg300: 0.73, someTotal: 5_484_412,
                    fullAvg10: 0.08, fullAvg60: 0.05, fullAvg300: 0.13, fullTotal: 1_916_566
                )
        )
        #expect(sample.pressure?.memory?.fullTotal == 1_706_337)
    }

    @Test func readsTheCGroupV2LimitsOfOwnCGroup() throws {
        let sample = try hostFixtureSampler("proc-a").sample(at: instant)

        #expect(
            sample.cgroup
                == SystemMetrics.CGroup(
                    path: "/system.slice/postgresql.service", memoryMax: 4_294_967_296,
                    memoryCurrent: 1_073_741_824, cpuQuotaCores: 1.5, cpuUsageUsec: 516_284_152,
                    memoryEventsOomKill: 0
                )
        )
    }

    @Test func readsAnOlderKernelWithFewerColumns() throws {
        let sample = try hostFixtureSampler("proc-old").sample(at: instant)

        // Seven columns: no steal, guest or guest_nice yet.
        #expect(
            sample.cpuTimes
                == HostSample.CPUTimes(
                    user: 1_814_350, nice: 2150, system: 422_310, idle: 38_215_400, iowait: 98210, irq: 3100,
                    softirq: 14230
                )
        )
        #expect(sample.memory.available == nil)
        // No /sys/block: partitions are recognised by name; md0 is kept, ram0 and loop0 are not.
        #expect(sample.disks?.map(\.name) == ["sda", "sdb", "md0", "nvme0n1"])
        #expect(sample.disks?.first?.busyTime == 8_120_440)
        // A counter printed against the colon ("eth0:8812345678").
        #expect(sample.interfaces?.last?.bytesRecv == 8_812_345_678)
        #expect(sample.interfaces?.last?.bytesSent == 2_210_987_654)
        #expect(sample.interfaces?.first?.bytesRecv == 58_913_220)
    }

    @Test func leavesPressureAndCGroupOutWhenTheKernelHasNone() throws {
        let sample = try hostFixtureSampler("proc-old").sample(at: instant)

        #expect(sample.pressure == nil)
        #expect(sample.cgroup == nil)
    }

    @Test func measuresNoFilesystemWithoutADataDirectoryOrWhenStatvfsFails() throws {
        #expect(try hostFixtureSampler("proc-a", dataDirectory: nil).sample(at: instant).filesystem == nil)
        #expect(try hostFixtureSampler("proc-a", dataDirectory: "/nonexistent").sample(at: instant).filesystem == nil)
    }

    @Test func throwsWhenProcStatIsMissing() throws {
        let sampler = HostSampler(
            fileSystem: ProcFileSystem(root: try hostFixtureRoot("no-such-tree")),
            dataDirectory: nil,
            cgroupProcess: "self"
        )

        #expect(throws: HostCollector.SampleError(code: .missingFile, path: "/proc/stat")) {
            try sampler.sample(at: instant)
        }
    }

    @Test(arguments: [
        "cpu  100 2 30 400",
        "cpu  100 2 30 400 5 6 7",
        "cpu  100 2 30 400 5 6 7 8",
        "cpu  100 2 30 400 5 6 7 8 9",
        "cpu  100 2 30 400 5 6 7 8 9 10",
        "cpu  100 2 30 400 5 6 7 8 9 10 11",
    ])
    func parsesCPULinesOfEveryWidth(line: String) throws {
        let parsed = try #require(HostSampler.parseCPU(line + "\ncpu0 1 2 3 4\ncpu1 1 2 3 4\nctxt 5\n"))
        let columns = line.split(separator: " ").dropFirst().map { UInt64($0)! }
        func column(_ index: Int) -> UInt64 { index < columns.count ? columns[index] : 0 }

        #expect(parsed.count == 2)
        #expect(
            parsed.times
                == HostSample.CPUTimes(
                    user: column(0), nice: column(1), system: column(2), idle: column(3), iowait: column(4),
                    irq: column(5), softirq: column(6), steal: column(7), guest: column(8), guestNice: column(9)
                )
        )
    }

    @Test func rejectsAStatFileWithoutACPULine() {
        #expect(HostSampler.parseCPU("intr 1 2 3\nctxt 4\n") == nil)
        #expect(HostSampler.parseCPU("cpu  1 2 x 4\n") == nil)
    }

    @Test(arguments: [
        // Before 4.18: 11 counters.
        "   8       0 sda 1 2 3 4 5 6 7 8 0 10 11",
        // 4.18: discards.
        "   8       0 sda 1 2 3 4 5 6 7 8 0 10 11 12 13 14 15",
        // 5.5: flushes.
        "   8       0 sda 1 2 3 4 5 6 7 8 0 10 11 12 13 14 15 16 17",
    ])
    func parsesDiskstatsOfEveryWidth(line: String) {
        #expect(
            HostSampler.parseDiskstats(line + "\n")
                == [
                    HostSample.Disk(
                        name: "sda", reads: 1, sectorsRead: 3, readTime: 4, writes: 5, sectorsWritten: 7,
                        writeTime: 8, busyTime: 10
                    )
                ]
        )
    }

    @Test func skipsOldStylePartitionLinesInDiskstats() {
        // Kernel 2.6 printed only four counters for partitions.
        #expect(HostSampler.parseDiskstats("   8    1 sda1 1207100 43901002 9711200 77690120\n").isEmpty)
    }

    @Test func parsesNetDevWithoutItsHeaders() {
        let text = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
              eth0:   45806      55    1    2    0     0          0         0     7905      75    3    4    0     0       0          0

            """

        #expect(
            HostSampler.parseNetDev(text)
                == [
                    HostSample.Interface(
                        name: "eth0", bytesRecv: 45806, packetsRecv: 55, errin: 1, dropin: 2, bytesSent: 7905,
                        packetsSent: 75, errout: 3, dropout: 4
                    )
                ]
        )
    }

    @Test func parsesPressureWithoutAFullLine() {
        // CPU before 5.13.
        #expect(
            HostSampler.parsePressure("some avg10=0.50 avg60=0.25 avg300=0.10 total=1234\n")
                == SystemMetrics.Resource(someAvg10: 0.5, someAvg60: 0.25, someAvg300: 0.1, someTotal: 1234)
        )
        #expect(HostSampler.parsePressure("") == nil)
    }

    @Test func findsTheV2PathAmongCGroupLines() {
        #expect(HostSampler.parseCGroupPath("0::/\n") == "/")
        #expect(HostSampler.parseCGroupPath("4:memory:/docker/abc\n0::/docker/abc\n") == "/docker/abc")
        #expect(HostSampler.parseCGroupPath("4:memory:/docker/abc\n1:name=systemd:/\n") == nil)
    }

    @Test func readsUnlimitedCGroupValuesAsNil() {
        #expect(HostSampler.parseLimit("max\n") == nil)
        #expect(HostSampler.parseLimit("536870912\n") == 536_870_912)
        #expect(HostSampler.parseCPUMax("max 100000\n") == nil)
        #expect(HostSampler.parseCPUMax("50000 100000\n") == 0.5)
        #expect(HostSampler.parseKeyedValues("usage_usec 42\nuser_usec 40\n")["usage_usec"] == 42)
    }

    @Test(arguments: [
        ("sda", false), ("sda1", true), ("vdb15", true), ("xvda1", true), ("hda2", true),
        ("nvme0n1", false), ("nvme0n1p2", true), ("mmcblk0", false), ("mmcblk0p1", true),
        ("dm-0", false), ("md127", false),
    ])
    func recognisesPartitionNames(name: String, isPartition: Bool) {
        #expect(HostSampler.looksLikePartition(name) == isPartition)
    }
}
