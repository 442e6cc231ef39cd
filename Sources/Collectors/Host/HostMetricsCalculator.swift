import AgentSchema

/// Turns two host samples taken a cycle apart into ``SystemMetrics``.
///
/// Pure: no clock, no files. Instantaneous values (memory, load, filesystem, pressure, cgroup) come
/// from the current sample alone; rates and CPU percentages come from the difference to the
/// previous one. Without a usable previous sample they are `nil`, never guessed.
///
/// A counter that went backwards means its device or interface was re-created (or a 32-bit kernel
/// counter wrapped); we cannot tell how much happened in between, so that item's rates are `nil`
/// and it adds nothing to the totals' rates, instead of a negative or absurdly large number.
enum HostMetricsCalculator {
    /// Bytes per `/proc/diskstats` sector: always 512, whatever the device's real sector size.
    static let sectorSize: UInt64 = 512

    /// The metrics for `current`, with rates over the time since `previous`.
    ///
    /// - Parameters:
    ///   - previous: The sample of the previous cycle, or `nil` on the first one. A sample that is
    ///     not older than `current` is ignored, since no rate can be taken over it.
    ///   - current: The sample just taken.
    static func metrics(previous: HostSample?, current: HostSample) -> SystemMetrics {
        let window = previous.flatMap { previous -> Window? in
            let seconds = Self.seconds(current.timestamp - previous.timestamp)
            return seconds > 0 ? Window(previous: previous, seconds: seconds) : nil
        }
        return SystemMetrics(
            cpu: cpu(current: current, previous: window?.previous.cpuTimes),
            load: current.load,
            memory: memory(current.memory),
            swap: swap(current.memory),
            diskIO: current.disks.map { diskIO($0, previous: window?.previous.disks, seconds: window?.seconds) },
            networkIO: current.interfaces.map {
                networkIO($0, previous: window?.previous.interfaces, seconds: window?.seconds)
            },
            filesystem: current.filesystem.map(filesystem),
            pressure: current.pressure,
            cgroup: current.cgroup,
            intervalSeconds: window?.seconds
        )
    }

    /// A usable previous sample and the seconds since it.
    struct Window {
        var previous: HostSample
        var seconds: Double
    }

    /// A duration in (fractional) seconds.
    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// `new − old`, or `nil` when the counter went backwards.
    static func delta(_ new: UInt64, _ old: UInt64) -> UInt64? {
        new >= old ? new - old : nil
    }

    // MARK: - CPU

    /// psutil's `cpu_percent()` and `cpu_times_percent()` over the ticks between the samples.
    static func cpu(current: HostSample, previous: HostSample.CPUTimes?) -> SystemMetrics.CPU {
        guard let previous else { return SystemMetrics.CPU(percent: nil, count: current.cpuCount, modes: nil) }
        let now = current.cpuTimes
        // A mode that went backwards spent no time in the interval: proc(5) warns that iowait can
        // decrease, and psutil clamps the same way.
        func ticks(_ mode: KeyPath<HostSample.CPUTimes, UInt64>) -> Double {
            Double(delta(now[keyPath: mode], previous[keyPath: mode]) ?? 0)
        }
        // In Double, where sums cannot overflow; tick counts stay far below 2^53, so they are exact.
        let user = ticks(\.user), nice = ticks(\.nice), system = ticks(\.system), idle = ticks(\.idle)
        let iowait = ticks(\.iowait), irq = ticks(\.irq), softirq = ticks(\.softirq), steal = ticks(\.steal)
        // guest and guest_nice are already inside user and nice, so they are not added to the total.
        let total = user + nice + system + idle + iowait + irq + softirq + steal
        guard total > 0 else { return SystemMetrics.CPU(percent: nil, count: current.cpuCount, modes: nil) }
        func percent(_ part: Double) -> Double { part * 100 / total }
        return SystemMetrics.CPU(
            percent: percent(total - idle - iowait),
            count: current.cpuCount,
            modes: SystemMetrics.Modes(
                user: percent(user), nice: percent(nice), system: percent(system), idle: percent(idle),
                iowait: percent(iowait), irq: percent(irq), softirq: percent(softirq), steal: percent(steal),
                guest: percent(min(ticks(\.guest), user))
            )
        )
    }

    // MARK: - Memory

    /// psutil's `virtual_memory()` on Linux.
    static func memory(_ memory: HostSample.Memory) -> SystemMetrics.Memory {
        let cached = memory.cached.plus(memory.sReclaimable)
        // Before 3.14 there is no MemAvailable; psutil then falls back to MemFree + Cached. Some
        // containers report a MemAvailable above MemTotal, where psutil also uses MemFree.
        var available = memory.available ?? memory.free.plus(memory.cached)
        if available > memory.total { available = min(memory.free, memory.total) }
        let reclaimable = memory.free.plus(memory.buffers).plus(cached)
        // psutil falls back to total − free when buffers and caches exceed what is not free.
        let used =
            memory.total >= reclaimable ? memory.total - reclaimable : memory.total - min(memory.free, memory.total)
        let percent = memory.total > 0 ? Double(memory.total - available) * 100 / Double(memory.total) : 0
        return SystemMetrics.Memory(
            total: memory.total, available: available, percent: percent, used: used,
            free: memory.free, buffers: memory.buffers, cached: cached
        )
    }

    /// psutil's `swap_memory()` without the page-in/out counters.
    static func swap(_ memory: HostSample.Memory) -> SystemMetrics.Swap {
        let used = delta(memory.swapTotal, memory.swapFree) ?? 0
        let percent = memory.swapTotal > 0 ? Double(used) * 100 / Double(memory.swapTotal) : 0
        return SystemMetrics.Swap(total: memory.swapTotal, used: used, free: memory.swapFree, percent: percent)
    }

    // MARK: - Disks

    /// Per-disk counters and rates, and their sums.
    static func diskIO(
        _ disks: [HostSample.Disk], previous: [HostSample.Disk]?, seconds: Double?
    ) -> SystemMetrics.DiskIO {
        let previousByName = Dictionary(
            (previous ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }
        )
        var totals = SystemMetrics.DiskIO(
            readCount: 0, writeCount: 0, readBytes: 0, writeBytes: 0, readTime: 0, writeTime: 0, busyTime: 0,
            readBytesPerSec: nil, writeBytesPerSec: nil, readCountPerSec: nil, writeCountPerSec: nil, devices: []
        )
        // The deltas of the devices that could be measured over the whole interval.
        var measured: (reads: UInt64, writes: UInt64, sectorsRead: UInt64, sectorsWritten: UInt64)?
        for disk in disks {
            var device = SystemMetrics.Device(
                name: disk.name,
                readCount: disk.reads, writeCount: disk.writes,
                readBytes: disk.sectorsRead.times(sectorSize), writeBytes: disk.sectorsWritten.times(sectorSize),
                readTime: disk.readTime, writeTime: disk.writeTime, busyTime: disk.busyTime,
                readBytesPerSec: nil, writeBytesPerSec: nil, readCountPerSec: nil, writeCountPerSec: nil,
                busyPercent: nil
            )
            if let seconds, let old = previousByName[disk.name] {
                if let reads = delta(disk.reads, old.reads), let writes = delta(disk.writes, old.writes),
                    let sectorsRead = delta(disk.sectorsRead, old.sectorsRead),
                    let sectorsWritten = delta(disk.sectorsWritten, old.sectorsWritten)
                {
                    device.readCountPerSec = Double(reads) / seconds
                    device.writeCountPerSec = Double(writes) / seconds
                    device.readBytesPerSec = Double(sectorsRead.times(sectorSize)) / seconds
                    device.writeBytesPerSec = Double(sectorsWritten.times(sectorSize)) / seconds
                    let sum = measured ?? (0, 0, 0, 0)
                    measured = (
                        sum.reads.plus(reads), sum.writes.plus(writes),
                        sum.sectorsRead.plus(sectorsRead), sum.sectorsWritten.plus(sectorsWritten)
                    )
                }
                // busy_time is printed as 32 bits and wraps every 2^32 ms, so it is judged on its own.
                if let busy = delta(disk.busyTime, old.busyTime) {
                    device.busyPercent = Double(busy) * 100 / (seconds * 1000)
                }
            }
            totals.readCount = totals.readCount.plus(device.readCount)
            totals.writeCount = totals.writeCount.plus(device.writeCount)
            totals.readBytes = totals.readBytes.plus(device.readBytes)
            totals.writeBytes = totals.writeBytes.plus(device.writeBytes)
            totals.readTime = totals.readTime.plus(device.readTime)
            totals.writeTime = totals.writeTime.plus(device.writeTime)
            totals.busyTime = totals.busyTime.plus(device.busyTime)
            totals.devices.append(device)
        }
        if let measured, let seconds {
            totals.readCountPerSec = Double(measured.reads) / seconds
            totals.writeCountPerSec = Double(measured.writes) / seconds
            totals.readBytesPerSec = Double(measured.sectorsRead.times(sectorSize)) / seconds
            totals.writeBytesPerSec = Double(measured.sectorsWritten.times(sectorSize)) / seconds
        }
        return totals
    }

    // MARK: - Network

    /// Per-interface counters and rates, and their sums without `lo`.
    static func networkIO(
        _ interfaces: [HostSample.Interface], previous: [HostSample.Interface]?, seconds: Double?
    ) -> SystemMetrics.NetworkIO {
        let previousByName = Dictionary(
            (previous ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }
        )
        var totals = SystemMetrics.NetworkIO(
            bytesSent: 0, bytesRecv: 0, packetsSent: 0, packetsRecv: 0,
            errin: 0, errout: 0, dropin: 0, dropout: 0,
            bytesSentPerSec: nil, bytesRecvPerSec: nil, interfaces: []
        )
        var measured: (sent: UInt64, recv: UInt64)?
        for interface in interfaces {
            var entry = SystemMetrics.Interface(
                name: interface.name,
                bytesSent: interface.bytesSent, bytesRecv: interface.bytesRecv,
                packetsSent: interface.packetsSent, packetsRecv: interface.packetsRecv,
                errin: interface.errin, errout: interface.errout,
                dropin: interface.dropin, dropout: interface.dropout,
                bytesSentPerSec: nil, bytesRecvPerSec: nil
            )
            let isLoopback = interface.name == "lo"
            if let seconds, let old = previousByName[interface.name], let change = delta(interface, since: old) {
                entry.bytesSentPerSec = Double(change.sent) / seconds
                entry.bytesRecvPerSec = Double(change.recv) / seconds
                if !isLoopback {
                    let sum = measured ?? (0, 0)
                    measured = (sum.sent.plus(change.sent), sum.recv.plus(change.recv))
                }
            }
            if !isLoopback {
                totals.bytesSent = totals.bytesSent.plus(interface.bytesSent)
                totals.bytesRecv = totals.bytesRecv.plus(interface.bytesRecv)
                totals.packetsSent = totals.packetsSent.plus(interface.packetsSent)
                totals.packetsRecv = totals.packetsRecv.plus(interface.packetsRecv)
                totals.errin = totals.errin.plus(interface.errin)
                totals.errout = totals.errout.plus(interface.errout)
                totals.dropin = totals.dropin.plus(interface.dropin)
                totals.dropout = totals.dropout.plus(interface.dropout)
            }
            totals.interfaces.append(entry)
        }
        if let measured, let seconds {
            totals.bytesSentPerSec = Double(measured.sent) / seconds
            totals.bytesRecvPerSec = Double(measured.recv) / seconds
        }
        return totals
    }

    /// The byte deltas of an interface, or `nil` when any of its counters went backwards (a
    /// re-created interface starts again from zero).
    static func delta(_ new: HostSample.Interface, since old: HostSample.Interface) -> (sent: UInt64, recv: UInt64)? {
        guard let sent = delta(new.bytesSent, old.bytesSent), let recv = delta(new.bytesRecv, old.bytesRecv),
            delta(new.packetsSent, old.packetsSent) != nil, delta(new.packetsRecv, old.packetsRecv) != nil,
            delta(new.errin, old.errin) != nil, delta(new.errout, old.errout) != nil,
            delta(new.dropin, old.dropin) != nil, delta(new.dropout, old.dropout) != nil
        else { return nil }
        return (sent, recv)
    }

    // MARK: - Filesystem

    /// `df` arithmetic over `statvfs`.
    static func filesystem(_ filesystem: HostSample.Filesystem) -> SystemMetrics.Filesystem {
        let statistics = filesystem.statistics
        let unit = statistics.fragmentSize
        let usedBlocks = delta(statistics.blocks, statistics.freeBlocks) ?? 0
        let used = usedBlocks.times(unit)
        let available = statistics.availableBlocks.times(unit)
        // Like df, we leave the blocks reserved for root out of the denominator: at 100 % an
        // unprivileged postgres can write no more, even though `free` is not yet zero.
        let usable = used.plus(available)
        return SystemMetrics.Filesystem(
            path: filesystem.path,
            total: statistics.blocks.times(unit),
            used: used,
            free: statistics.freeBlocks.times(unit),
            available: available,
            percent: usable > 0 ? Double(used) * 100 / Double(usable) : nil,
            inodesTotal: statistics.files,
            inodesFree: statistics.freeFiles
        )
    }
}

extension UInt64 {
    /// `self + other`, or `.max` instead of trapping: a corrupt `/proc` line must not crash the agent.
    fileprivate func plus(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }

    /// `self × other`, or `.max` instead of trapping.
    fileprivate func times(_ other: UInt64) -> UInt64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? .max : product
    }
}
