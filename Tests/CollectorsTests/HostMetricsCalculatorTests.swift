import AgentSchema
import Testing

@testable import Collectors

/// The fixtures `proc-a` and `proc-b` are 60 seconds apart on a 2-CPU machine: 12 000 ticks of CPU
/// time, split 20 % user, 1 % nice, 10 % system, 60 % idle, 5 % iowait, 0.5 % irq, 1.5 % softirq,
/// 2 % steal (and 1 % guest inside user); vda read 600 MiB and wrote 1200 MiB, dm-0 half of that;
/// eth0 received 60 MB and sent 30 MB.
@Suite struct HostMetricsCalculatorTests {
    let start = ContinuousClock.now
    let a: HostSample
    let b: HostSample

    init() throws {
        a = try hostFixtureSampler("proc-a").sample(at: start)
        b = try hostFixtureSampler("proc-b").sample(at: start.advanced(by: .seconds(60)))
    }

    @Test func firstSampleHasNoRatesOrPercentages() {
        let metrics = HostMetricsCalculator.metrics(previous: nil, current: b)

        #expect(metrics.intervalSeconds == nil)
        #expect(metrics.cpu == SystemMetrics.CPU(percent: nil, count: 2, modes: nil))
        #expect(metrics.diskIO?.readBytesPerSec == nil)
        #expect(metrics.diskIO?.devices.allSatisfy { $0.readBytesPerSec == nil && $0.busyPercent == nil } == true)
        #expect(metrics.networkIO?.bytesRecvPerSec == nil)
        #expect(metrics.networkIO?.interfaces.allSatisfy { $0.bytesRecvPerSec == nil } == true)
        // What needs no delta is there from the start.
        #expect(metrics.memory.total == 24_684_092 * 1024)
        #expect(metrics.diskIO?.readCount == 27000)
        #expect(metrics.load?.load1 == 0.52)
    }

    @Test func cpuPercentagesComeFromTheTickDeltas() {
        let metrics = HostMetricsCalculator.metrics(previous: a, current: b)

        #expect(metrics.intervalSeconds == 60)
        // Busy = everything but idle and iowait.
        #expect(metrics.cpu.percent == 35)
        #expect(metrics.cpu.count == 2)
        #expect(
            metrics.cpu.modes
                == SystemMetrics.Modes(
                    user: 20, nice: 1, system: 10, idle: 60, iowait: 5, irq: 0.5, softirq: 1.5, steal: 2, guest: 1
                )
        )
    }

    @Test func memoryFollowsPsutil() {
        let metrics = HostMetricsCalculator.metrics(previous: a, current: b)
        let kB: UInt64 = 1024

        #expect(
            metrics.memory
                == SystemMetrics.Memory(
                    total: 24_684_092 * kB,
                    available: 18_513_069 * kB,
                    // (total − available) / total: a quarter of 24 684 092 kB is 6 171 023 kB.
                    percent: 25,
                    // total − MemFree − Buffers − (Cached + SReclaimable)
                    used: (24_684_092 - 20_000_000 - 100_000 - (2_500_000 + 200_000)) * kB,
                    free: 20_000_000 * kB,
                    buffers: 100_000 * kB,
                    cached: (2_500_000 + 200_000) * kB
                )
        )
        #expect(
            metrics.swap
                == SystemMetrics.Swap(
                    total: 2_097_148 * kB, used: 524_287 * kB, free: 1_572_861 * kB, percent: 25
                )
        )
    }

    @Test func memoryWithoutMemAvailableFallsBackToFreePlusCached() throws {
        let old = try hostFixtureSampler("proc-old").sample(at: start)

        let metrics = HostMetricsCalculator.metrics(previous: nil, current: old)

        #expect(metrics.memory.available == (412_376 + 5_210_044) * 1024)
        #expect(metrics.memory.cached == (5_210_044 + 380_112) * 1024)
    }

    @Test func swapPercentIsZeroWithoutSwap() {
        var sample = b
        sample.memory.swapTotal = 0
        sample.memory.swapFree = 0

        #expect(
            HostMetricsCalculator.metrics(previous: nil, current: sample).swap
                == SystemMetrics.Swap(total: 0, used: 0, free: 0, percent: 0)
        )
    }

    @Test func diskRatesComeFromTheCounterDeltas() throws {
        let disk = try #require(HostMetricsCalculator.metrics(previous: a, current: b).diskIO)

        #expect(
            disk.devices.first
                == SystemMetrics.Device(
                    name: "vda",
                    readCount: 16000, writeCount: 17492,
                    readBytes: 3_525_634 * 512, writeBytes: 3_569_920 * 512,
                    readTime: 12332, writeTime: 10422, busyTime: 23068,
                    readBytesPerSec: 10_485_760, writeBytesPerSec: 20_971_520,
                    readCountPerSec: 100, writeCountPerSec: 200,
                    busyPercent: 25
                )
        )
        let dm = try #require(disk.devices.last)
        #expect(dm.name == "dm-0")
        #expect(dm.readBytesPerSec == 5_242_880)
        #expect(dm.busyPercent == 20)
        // Totals sum both layers, as psutil does.
        #expect(disk.readCount == 16000 + 11000)
        #expect(disk.readBytes == (3_525_634 + 2_614_400) * 512)
        #expect(disk.busyTime == 23068 + 19900)
        #expect(disk.readBytesPerSec == 15_728_640)
        #expect(disk.writeBytesPerSec == 31_457_280)
        #expect(disk.readCountPerSec == 150)
        #expect(disk.writeCountPerSec == 300)
    }

    @Test func networkTotalsLeaveLoopbackOut() throws {
        let network = try #require(HostMetricsCalculator.metrics(previous: a, current: b).networkIO)

        #expect(network.bytesRecv == 61_845_806)
        #expect(network.bytesSent == 30_907_905)
        #expect(network.packetsRecv == 42055)
        #expect(network.packetsSent == 21075)
        #expect(network.errin == 2)
        #expect(network.errout == 0)
        #expect(network.dropin == 5)
        #expect(network.dropout == 2)
        #expect(network.bytesRecvPerSec == 1_000_000)
        #expect(network.bytesSentPerSec == 500_000)
        let lo = try #require(network.interfaces.first)
        #expect(lo.name == "lo")
        #expect(lo.bytesRecvPerSec == 100)
        #expect(network.interfaces.last?.bytesSentPerSec == 500_000)
    }

    @Test func filesystemPercentIsComputedAsDfDoes() throws {
        let filesystem = try #require(HostMetricsCalculator.metrics(previous: a, current: b).filesystem)
        let used: UInt64 = (66_053_021 - 62_018_044) * 4096
        let available: UInt64 = 20_731_426 * 4096

        #expect(
            filesystem
                == SystemMetrics.Filesystem(
                    path: hostFixtureDataDirectory, total: 66_053_021 * 4096, used: used,
                    free: 62_018_044 * 4096, available: available,
                    percent: Double(used) * 100 / Double(used + available),
                    inodesTotal: 16_777_216, inodesFree: 16_356_014
                )
        )
        // df rounds this up to 17 %.
        #expect((16.29...16.30).contains(filesystem.percent ?? 0))
    }

    @Test func aReCreatedInterfaceOrDiskGetsNoRate() throws {
        var c = b
        c.timestamp = b.timestamp.advanced(by: .seconds(60))
        // eth0 came back from zero: it now shows less than a minute ago.
        c.interfaces?[3].bytesRecv = 5000
        c.interfaces?[3].bytesSent = 2_000_000_000
        c.interfaces?[3].packetsRecv = 50
        // lo moved on normally.
        c.interfaces?[0].bytesRecv += 600
        // vda was re-attached and starts again; dm-0 moved on normally.
        c.disks?[0].reads = 10
        c.disks?[0].sectorsRead = 80
        c.disks?[1].sectorsRead += 122_880

        let metrics = HostMetricsCalculator.metrics(previous: b, current: c)

        let network = try #require(metrics.networkIO)
        #expect(network.interfaces[3].bytesRecvPerSec == nil)
        #expect(network.interfaces[3].bytesSentPerSec == nil)
        #expect(network.interfaces[0].bytesRecvPerSec == 10)
        // The totals' rates cover the interfaces measured over the whole minute: ifb0 and ifb1, idle.
        #expect(network.bytesRecvPerSec == 0)
        let disk = try #require(metrics.diskIO)
        #expect(disk.devices[0].readBytesPerSec == nil)
        #expect(disk.devices[0].readCountPerSec == nil)
        #expect(disk.devices[1].readBytesPerSec == 1_048_576)
        #expect(disk.readBytesPerSec == 1_048_576)
    }

    @Test func aWrappedBusyTimeDropsOnlyTheBusyPercent() throws {
        var c = b
        c.timestamp = b.timestamp.advanced(by: .seconds(60))
        c.disks?[0].busyTime = 1200
        c.disks?[0].sectorsRead += 1200

        let device = try #require(HostMetricsCalculator.metrics(previous: b, current: c).diskIO?.devices.first)

        #expect(device.busyPercent == nil)
        #expect(device.readBytesPerSec == 10240)
    }

    @Test func everythingGoingBackwardsYieldsNoRates() throws {
        // proc-a read after proc-b: a reboot, or a different host behind the same root.
        var later = a
        later.timestamp = b.timestamp.advanced(by: .seconds(60))

        let metrics = HostMetricsCalculator.metrics(previous: b, current: later)

        #expect(metrics.intervalSeconds == 60)
        #expect(metrics.cpu.percent == nil)
        #expect(metrics.cpu.modes == nil)
        #expect(metrics.diskIO?.readBytesPerSec == nil)
        #expect(metrics.diskIO?.devices.allSatisfy { $0.readBytesPerSec == nil && $0.busyPercent == nil } == true)
        // lo and eth0 went backwards; ifb0 and ifb1 stood still at zero, which is a measurement.
        #expect(metrics.networkIO?.interfaces.map(\.bytesSentPerSec) == [nil, 0, 0, nil])
        #expect(metrics.networkIO?.bytesSentPerSec == 0)
    }

    @Test func anIowaitThatWentBackwardsCountsAsNoIowait() {
        var c = b
        c.timestamp = b.timestamp.advanced(by: .seconds(60))
        c.cpuTimes.iowait -= 10
        c.cpuTimes.idle += 9000
        c.cpuTimes.user += 3000

        let cpu = HostMetricsCalculator.metrics(previous: b, current: c).cpu

        #expect(cpu.modes?.iowait == 0)
        #expect(cpu.modes?.idle == 75)
        #expect(cpu.percent == 25)
    }

    @Test func aNewInterfaceHasNoRateUntilItsSecondSample() throws {
        var c = b
        c.timestamp = b.timestamp.advanced(by: .seconds(60))
        c.interfaces?.append(
            HostSample.Interface(
                name: "veth1", bytesRecv: 9_000_000, packetsRecv: 10, errin: 0, dropin: 0, bytesSent: 0,
                packetsSent: 0, errout: 0, dropout: 0
            )
        )

        let network = try #require(HostMetricsCalculator.metrics(previous: b, current: c).networkIO)

        #expect(network.interfaces.last?.name == "veth1")
        #expect(network.interfaces.last?.bytesRecvPerSec == nil)
        #expect(network.bytesRecv == 61_845_806 + 9_000_000)
        #expect(network.bytesRecvPerSec == 0)
    }

    @Test func aPreviousSampleThatIsNotOlderIsIgnored() {
        let metrics = HostMetricsCalculator.metrics(previous: b, current: a)

        #expect(metrics.intervalSeconds == nil)
        #expect(metrics.cpu.percent == nil)
        #expect(metrics.networkIO?.bytesRecvPerSec == nil)
    }

    @Test func sameInstantGivesNoInterval() {
        var c = b
        c.timestamp = b.timestamp

        #expect(HostMetricsCalculator.metrics(previous: b, current: c).intervalSeconds == nil)
    }
}
