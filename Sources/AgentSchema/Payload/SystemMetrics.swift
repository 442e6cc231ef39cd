/// Host metrics of one snapshot: the `system_metrics` part of the payload.
///
/// The totals keep the psutil names the listener already knows from the design research
/// (`cpu.percent`, `memory.available`, `disk_io.read_bytes`, `network_io.bytes_recv`, …) with psutil's
/// semantics; everything else sits beside them and is additive.
///
/// Rates and CPU percentages come from the difference between this sample and the previous one,
/// taken a cycle earlier. On the very first sample there is no previous one, so
/// ``intervalSeconds`` and every rate and percentage that needs a delta are `nil` (omitted from the
/// JSON) rather than a made-up zero.
package struct SystemMetrics: Codable, Sendable, Equatable {
    /// CPU usage over the interval.
    package var cpu: CPU
    /// Load averages; `nil` when `/proc/loadavg` could not be read.
    package var load: Load?
    /// Physical memory, in bytes.
    package var memory: Memory
    /// Swap space, in bytes.
    package var swap: Swap
    /// Block device counters and rates; `nil` when `/proc/diskstats` could not be read.
    package var diskIO: DiskIO?
    /// Network interface counters and rates; `nil` when `/proc/net/dev` could not be read.
    package var networkIO: NetworkIO?
    /// Usage of the filesystem holding the PostgreSQL data directory; `nil` when no data directory
    /// is known or `statvfs` failed.
    package var filesystem: Filesystem?
    /// Pressure stall information; `nil` when the kernel has no `/proc/pressure` (before 4.20, or
    /// booted with `psi=0`).
    package var pressure: Pressure?
    /// Limits and usage of the agent's cgroup; `nil` unless the host uses the unified cgroup v2 hierarchy.
    package var cgroup: CGroup?
    /// Seconds between the previous sample and this one; `nil` on the first sample.
    package var intervalSeconds: Double?

    enum CodingKeys: String, CodingKey {
        case cpu, load, memory, swap
        case diskIO = "disk_io"
        case networkIO = "network_io"
        case filesystem, pressure, cgroup
        case intervalSeconds = "interval_seconds"
    }

    /// Creates the metrics of one snapshot.
    package init(
        cpu: CPU,
        load: Load?,
        memory: Memory,
        swap: Swap,
        diskIO: DiskIO?,
        networkIO: NetworkIO?,
        filesystem: Filesystem?,
        pressure: Pressure?,
        cgroup: CGroup?,
        intervalSeconds: Double?
    ) {
        self.cpu = cpu
        self.load = load
        self.memory = memory
        self.swap = swap
        self.diskIO = diskIO
        self.networkIO = networkIO
        self.filesystem = filesystem
        self.pressure = pressure
        self.cgroup = cgroup
        self.intervalSeconds = intervalSeconds
    }
}

// MARK: - CPU and load

extension SystemMetrics {
    /// CPU usage over the interval, across all CPUs (psutil `cpu_percent()` / `cpu_times_percent()`).
    package struct CPU: Codable, Sendable, Equatable {
        /// Percent of all CPU time that was not idle or waiting for I/O; `nil` on the first sample.
        package var percent: Double?
        /// Number of online logical CPUs.
        package var count: Int
        /// Share of each mode in all CPU time of the interval; `nil` on the first sample.
        package var modes: Modes?

        /// Creates the CPU part.
        package init(percent: Double?, count: Int, modes: Modes?) {
            self.percent = percent
            self.count = count
            self.modes = modes
        }
    }

    /// Percent of all CPU time spent in each mode during the interval.
    ///
    /// The modes other than `guest` add up to 100. `guest` is already part of `user` (the kernel
    /// counts it twice), so it is a share of `user`, not an extra slice.
    package struct Modes: Codable, Sendable, Equatable {
        /// Normal processes in user mode.
        package var user: Double
        /// Niced processes in user mode.
        package var nice: Double
        /// Kernel mode.
        package var system: Double
        /// Idle.
        package var idle: Double
        /// Idle while I/O was outstanding.
        package var iowait: Double
        /// Servicing hardware interrupts.
        package var irq: Double
        /// Servicing soft interrupts.
        package var softirq: Double
        /// Stolen by the hypervisor for other guests.
        package var steal: Double
        /// Running virtual CPUs of guests (included in `user`).
        package var guest: Double

        /// Creates the per-mode percentages.
        package init(
            user: Double, nice: Double, system: Double, idle: Double, iowait: Double,
            irq: Double, softirq: Double, steal: Double, guest: Double
        ) {
            self.user = user
            self.nice = nice
            self.system = system
            self.idle = idle
            self.iowait = iowait
            self.irq = irq
            self.softirq = softirq
            self.steal = steal
            self.guest = guest
        }
    }

    /// Run-queue load averages, as in `/proc/loadavg` (psutil `getloadavg()`).
    package struct Load: Codable, Sendable, Equatable {
        /// Average over the last minute.
        package var load1: Double
        /// Average over the last five minutes.
        package var load5: Double
        /// Average over the last fifteen minutes.
        package var load15: Double

        /// Creates the load averages.
        package init(load1: Double, load5: Double, load15: Double) {
            self.load1 = load1
            self.load5 = load5
            self.load15 = load15
        }
    }
}

// MARK: - Memory

extension SystemMetrics {
    /// Physical memory in bytes, with psutil `virtual_memory()` semantics.
    package struct Memory: Codable, Sendable, Equatable {
        /// `MemTotal`.
        package var total: UInt64
        /// Memory that can be given to processes without swapping: `MemAvailable`.
        package var available: UInt64
        /// `(total − available) / total × 100`.
        package var percent: Double
        /// `total − free − buffers − cached` (or `total − free` if that would be negative).
        package var used: UInt64
        /// `MemFree`: memory nobody uses at all.
        package var free: UInt64
        /// `Buffers`.
        package var buffers: UInt64
        /// `Cached + SReclaimable`.
        package var cached: UInt64

        /// Creates the memory part.
        package init(
            total: UInt64, available: UInt64, percent: Double, used: UInt64,
            free: UInt64, buffers: UInt64, cached: UInt64
        ) {
            self.total = total
            self.available = available
            self.percent = percent
            self.used = used
            self.free = free
            self.buffers = buffers
            self.cached = cached
        }
    }

    /// Swap space in bytes (psutil `swap_memory()`, without the page-in/out counters).
    package struct Swap: Codable, Sendable, Equatable {
        /// `SwapTotal`.
        package var total: UInt64
        /// `total − free`.
        package var used: UInt64
        /// `SwapFree`.
        package var free: UInt64
        /// `used / total × 100`; `0` when there is no swap, as psutil reports it.
        package var percent: Double

        /// Creates the swap part.
        package init(total: UInt64, used: UInt64, free: UInt64, percent: Double) {
            self.total = total
            self.used = used
            self.free = free
            self.percent = percent
        }
    }
}

// MARK: - Disk I/O

extension SystemMetrics {
    /// Block device I/O of whole disks (psutil `disk_io_counters()`), summed over ``devices``.
    ///
    /// Counters are cumulative since boot. Times are milliseconds. Device-mapper and md devices are
    /// listed and summed like physical disks (as psutil does), so I/O through LVM or RAID is counted
    /// at both layers in the totals.
    package struct DiskIO: Codable, Sendable, Equatable {
        /// Reads completed.
        package var readCount: UInt64
        /// Writes completed.
        package var writeCount: UInt64
        /// Bytes read.
        package var readBytes: UInt64
        /// Bytes written.
        package var writeBytes: UInt64
        /// Milliseconds spent reading.
        package var readTime: UInt64
        /// Milliseconds spent writing.
        package var writeTime: UInt64
        /// Milliseconds during which I/O was in flight.
        package var busyTime: UInt64
        /// Bytes read per second over the interval; `nil` without a usable previous sample.
        package var readBytesPerSec: Double?
        /// Bytes written per second over the interval; `nil` without a usable previous sample.
        package var writeBytesPerSec: Double?
        /// Reads completed per second over the interval; `nil` without a usable previous sample.
        package var readCountPerSec: Double?
        /// Writes completed per second over the interval; `nil` without a usable previous sample.
        package var writeCountPerSec: Double?
        /// One entry per whole disk.
        package var devices: [Device]

        enum CodingKeys: String, CodingKey {
            case readCount = "read_count"
            case writeCount = "write_count"
            case readBytes = "read_bytes"
            case writeBytes = "write_bytes"
            case readTime = "read_time"
            case writeTime = "write_time"
            case busyTime = "busy_time"
            case readBytesPerSec = "read_bytes_per_sec"
            case writeBytesPerSec = "write_bytes_per_sec"
            case readCountPerSec = "read_count_per_sec"
            case writeCountPerSec = "write_count_per_sec"
            case devices
        }

        /// Creates the disk I/O part.
        package init(
            readCount: UInt64, writeCount: UInt64, readBytes: UInt64, writeBytes: UInt64,
            readTime: UInt64, writeTime: UInt64, busyTime: UInt64,
            readBytesPerSec: Double?, writeBytesPerSec: Double?,
            readCountPerSec: Double?, writeCountPerSec: Double?,
            devices: [Device]
        ) {
            self.readCount = readCount
            self.writeCount = writeCount
            self.readBytes = readBytes
            self.writeBytes = writeBytes
            self.readTime = readTime
            self.writeTime = writeTime
            self.busyTime = busyTime
            self.readBytesPerSec = readBytesPerSec
            self.writeBytesPerSec = writeBytesPerSec
            self.readCountPerSec = readCountPerSec
            self.writeCountPerSec = writeCountPerSec
            self.devices = devices
        }
    }

    /// The counters and rates of one whole disk (psutil `disk_io_counters(perdisk=True)`).
    package struct Device: Codable, Sendable, Equatable {
        /// Kernel name, such as `sda`, `nvme0n1` or `dm-0`.
        package var name: String
        /// Reads completed.
        package var readCount: UInt64
        /// Writes completed.
        package var writeCount: UInt64
        /// Bytes read.
        package var readBytes: UInt64
        /// Bytes written.
        package var writeBytes: UInt64
        /// Milliseconds spent reading.
        package var readTime: UInt64
        /// Milliseconds spent writing.
        package var writeTime: UInt64
        /// Milliseconds during which I/O was in flight.
        package var busyTime: UInt64
        /// Bytes read per second; `nil` without a previous value or when a counter went backwards.
        package var readBytesPerSec: Double?
        /// Bytes written per second; `nil` without a previous value or when a counter went backwards.
        package var writeBytesPerSec: Double?
        /// Reads per second; `nil` without a previous value or when a counter went backwards.
        package var readCountPerSec: Double?
        /// Writes per second; `nil` without a previous value or when a counter went backwards.
        package var writeCountPerSec: Double?
        /// Percent of the interval with I/O in flight (iostat `%util`); `nil` without a previous value
        /// or when `busy_time` went backwards (it is 32 bits wide and wraps after about 49.7 days).
        package var busyPercent: Double?

        enum CodingKeys: String, CodingKey {
            case name
            case readCount = "read_count"
            case writeCount = "write_count"
            case readBytes = "read_bytes"
            case writeBytes = "write_bytes"
            case readTime = "read_time"
            case writeTime = "write_time"
            case busyTime = "busy_time"
            case readBytesPerSec = "read_bytes_per_sec"
            case writeBytesPerSec = "write_bytes_per_sec"
            case readCountPerSec = "read_count_per_sec"
            case writeCountPerSec = "write_count_per_sec"
            case busyPercent = "busy_percent"
        }

        /// Creates one disk's entry.
        package init(
            name: String,
            readCount: UInt64, writeCount: UInt64, readBytes: UInt64, writeBytes: UInt64,
            readTime: UInt64, writeTime: UInt64, busyTime: UInt64,
            readBytesPerSec: Double?, writeBytesPerSec: Double?,
            readCountPerSec: Double?, writeCountPerSec: Double?,
            busyPercent: Double?
        ) {
            self.name = name
            self.readCount = readCount
            self.writeCount = writeCount
            self.readBytes = readBytes
            self.writeBytes = writeBytes
            self.readTime = readTime
            self.writeTime = writeTime
            self.busyTime = busyTime
            self.readBytesPerSec = readBytesPerSec
            self.writeBytesPerSec = writeBytesPerSec
            self.readCountPerSec = readCountPerSec
            self.writeCountPerSec = writeCountPerSec
            self.busyPercent = busyPercent
        }
    }
}

// MARK: - Network I/O

extension SystemMetrics {
    /// Network counters (psutil `net_io_counters()`), summed over every interface except `lo`.
    ///
    /// Loopback traffic is not traffic the host exchanges with anyone, so it stays out of the
    /// totals; it is still listed in ``interfaces``.
    package struct NetworkIO: Codable, Sendable, Equatable {
        /// Bytes transmitted.
        package var bytesSent: UInt64
        /// Bytes received.
        package var bytesRecv: UInt64
        /// Packets transmitted.
        package var packetsSent: UInt64
        /// Packets received.
        package var packetsRecv: UInt64
        /// Receive errors.
        package var errin: UInt64
        /// Transmit errors.
        package var errout: UInt64
        /// Received packets dropped.
        package var dropin: UInt64
        /// Outgoing packets dropped.
        package var dropout: UInt64
        /// Bytes transmitted per second over the interval; `nil` without a usable previous sample.
        package var bytesSentPerSec: Double?
        /// Bytes received per second over the interval; `nil` without a usable previous sample.
        package var bytesRecvPerSec: Double?
        /// One entry per interface, `lo` included.
        package var interfaces: [Interface]

        enum CodingKeys: String, CodingKey {
            case bytesSent = "bytes_sent"
            case bytesRecv = "bytes_recv"
            case packetsSent = "packets_sent"
            case packetsRecv = "packets_recv"
            case errin, errout, dropin, dropout
            case bytesSentPerSec = "bytes_sent_per_sec"
            case bytesRecvPerSec = "bytes_recv_per_sec"
            case interfaces
        }

        /// Creates the network part.
        package init(
            bytesSent: UInt64, bytesRecv: UInt64, packetsSent: UInt64, packetsRecv: UInt64,
            errin: UInt64, errout: UInt64, dropin: UInt64, dropout: UInt64,
            bytesSentPerSec: Double?, bytesRecvPerSec: Double?,
            interfaces: [Interface]
        ) {
            self.bytesSent = bytesSent
            self.bytesRecv = bytesRecv
            self.packetsSent = packetsSent
            self.packetsRecv = packetsRecv
            self.errin = errin
            self.errout = errout
            self.dropin = dropin
            self.dropout = dropout
            self.bytesSentPerSec = bytesSentPerSec
            self.bytesRecvPerSec = bytesRecvPerSec
            self.interfaces = interfaces
        }
    }

    /// The counters and rates of one network interface (psutil `net_io_counters(pernic=True)`).
    package struct Interface: Codable, Sendable, Equatable {
        /// Interface name, such as `eth0`.
        package var name: String
        /// Bytes transmitted.
        package var bytesSent: UInt64
        /// Bytes received.
        package var bytesRecv: UInt64
        /// Packets transmitted.
        package var packetsSent: UInt64
        /// Packets received.
        package var packetsRecv: UInt64
        /// Receive errors.
        package var errin: UInt64
        /// Transmit errors.
        package var errout: UInt64
        /// Received packets dropped.
        package var dropin: UInt64
        /// Outgoing packets dropped.
        package var dropout: UInt64
        /// Bytes transmitted per second; `nil` without a previous value or when a counter went
        /// backwards (the interface was re-created).
        package var bytesSentPerSec: Double?
        /// Bytes received per second; `nil` without a previous value or when a counter went
        /// backwards (the interface was re-created).
        package var bytesRecvPerSec: Double?

        enum CodingKeys: String, CodingKey {
            case name
            case bytesSent = "bytes_sent"
            case bytesRecv = "bytes_recv"
            case packetsSent = "packets_sent"
            case packetsRecv = "packets_recv"
            case errin, errout, dropin, dropout
            case bytesSentPerSec = "bytes_sent_per_sec"
            case bytesRecvPerSec = "bytes_recv_per_sec"
        }

        /// Creates one interface's entry.
        package init(
            name: String,
            bytesSent: UInt64, bytesRecv: UInt64, packetsSent: UInt64, packetsRecv: UInt64,
            errin: UInt64, errout: UInt64, dropin: UInt64, dropout: UInt64,
            bytesSentPerSec: Double?, bytesRecvPerSec: Double?
        ) {
            self.name = name
            self.bytesSent = bytesSent
            self.bytesRecv = bytesRecv
            self.packetsSent = packetsSent
            self.packetsRecv = packetsRecv
            self.errin = errin
            self.errout = errout
            self.dropin = dropin
            self.dropout = dropout
            self.bytesSentPerSec = bytesSentPerSec
            self.bytesRecvPerSec = bytesRecvPerSec
        }
    }
}

// MARK: - Filesystem

extension SystemMetrics {
    /// Usage of the filesystem holding a path (the data directory), from `statvfs`, in bytes.
    package struct Filesystem: Codable, Sendable, Equatable {
        /// The path that was measured.
        package var path: String
        /// Size of the filesystem.
        package var total: UInt64
        /// `total − free`.
        package var used: UInt64
        /// Free blocks, including those reserved for root.
        package var free: UInt64
        /// Free blocks an unprivileged user (such as `postgres`) may still use.
        package var available: UInt64
        /// `used / (used + available) × 100`, as `df` computes it, so that 100 means "the
        /// database can write no more"; `nil` for a filesystem without blocks.
        package var percent: Double?
        /// Number of inodes.
        package var inodesTotal: UInt64
        /// Free inodes.
        package var inodesFree: UInt64

        enum CodingKeys: String, CodingKey {
            case path, total, used, free, available, percent
            case inodesTotal = "inodes_total"
            case inodesFree = "inodes_free"
        }

        /// Creates the filesystem part.
        package init(
            path: String, total: UInt64, used: UInt64, free: UInt64, available: UInt64,
            percent: Double?, inodesTotal: UInt64, inodesFree: UInt64
        ) {
            self.path = path
            self.total = total
            self.used = used
            self.free = free
            self.available = available
            self.percent = percent
            self.inodesTotal = inodesTotal
            self.inodesFree = inodesFree
        }
    }
}

// MARK: - Pressure stall information

extension SystemMetrics {
    /// Pressure stall information from `/proc/pressure`: how much time tasks spent waiting for a resource.
    package struct Pressure: Codable, Sendable, Equatable {
        /// CPU pressure (only `some`: the kernel leaves `full` undefined for CPU at system level).
        package var cpu: Resource?
        /// Memory pressure.
        package var memory: Resource?
        /// I/O pressure.
        package var io: Resource?

        /// Creates the pressure part.
        package init(cpu: Resource?, memory: Resource?, io: Resource?) {
            self.cpu = cpu
            self.memory = memory
            self.io = io
        }
    }

    /// The stall figures of one resource.
    ///
    /// `some` is the share of time at least one task was stalled on the resource, `full` the
    /// share of time all non-idle tasks were. Averages are percentages over 10, 60 and 300 seconds;
    /// totals are cumulative microseconds.
    package struct Resource: Codable, Sendable, Equatable {
        /// `some` average over 10 seconds, in percent.
        package var someAvg10: Double
        /// `some` average over 60 seconds, in percent.
        package var someAvg60: Double
        /// `some` average over 300 seconds, in percent.
        package var someAvg300: Double
        /// `some` stall time since boot, in microseconds.
        package var someTotal: UInt64
        /// `full` average over 10 seconds, in percent; `nil` when not reported.
        package var fullAvg10: Double?
        /// `full` average over 60 seconds, in percent; `nil` when not reported.
        package var fullAvg60: Double?
        /// `full` average over 300 seconds, in percent; `nil` when not reported.
        package var fullAvg300: Double?
        /// `full` stall time since boot, in microseconds; `nil` when not reported.
        package var fullTotal: UInt64?

        enum CodingKeys: String, CodingKey {
            case someAvg10 = "some_avg10"
            case someAvg60 = "some_avg60"
            case someAvg300 = "some_avg300"
            case someTotal = "some_total"
            case fullAvg10 = "full_avg10"
            case fullAvg60 = "full_avg60"
            case fullAvg300 = "full_avg300"
            case fullTotal = "full_total"
        }

        /// Creates the stall figures of one resource.
        package init(
            someAvg10: Double, someAvg60: Double, someAvg300: Double, someTotal: UInt64,
            fullAvg10: Double? = nil, fullAvg60: Double? = nil, fullAvg300: Double? = nil,
            fullTotal: UInt64? = nil
        ) {
            self.someAvg10 = someAvg10
            self.someAvg60 = someAvg60
            self.someAvg300 = someAvg300
            self.someTotal = someTotal
            self.fullAvg10 = fullAvg10
            self.fullAvg60 = fullAvg60
            self.fullAvg300 = fullAvg300
            self.fullTotal = fullTotal
        }
    }
}

// MARK: - cgroup v2

extension SystemMetrics {
    /// Limits and usage of a cgroup v2, read from `/sys/fs/cgroup/<path>`.
    ///
    /// In a container these are the limits that actually bind, often far below the host's totals.
    package struct CGroup: Codable, Sendable, Equatable {
        /// The cgroup path from `/proc/<pid>/cgroup` (the `0::` line), such as `/system.slice/postgresql.service`.
        package var path: String
        /// `memory.max` in bytes; `nil` when unlimited (`max`) or not exposed (the root cgroup).
        package var memoryMax: UInt64?
        /// `memory.current` in bytes; `nil` when not exposed.
        package var memoryCurrent: UInt64?
        /// CPU limit in cores, `cpu.max` quota ÷ period; `nil` when unlimited or not exposed.
        package var cpuQuotaCores: Double?
        /// `usage_usec` from `cpu.stat`: CPU time used since the cgroup was created, in microseconds.
        package var cpuUsageUsec: UInt64?
        /// `oom_kill` from `memory.events`: processes killed by the OOM killer in this cgroup.
        package var memoryEventsOomKill: UInt64?

        enum CodingKeys: String, CodingKey {
            case path
            case memoryMax = "memory_max"
            case memoryCurrent = "memory_current"
            case cpuQuotaCores = "cpu_quota_cores"
            case cpuUsageUsec = "cpu_usage_usec"
            case memoryEventsOomKill = "memory_events_oom_kill"
        }

        /// Creates the cgroup part.
        package init(
            path: String, memoryMax: UInt64?, memoryCurrent: UInt64?, cpuQuotaCores: Double?,
            cpuUsageUsec: UInt64?, memoryEventsOomKill: UInt64?
        ) {
            self.path = path
            self.memoryMax = memoryMax
            self.memoryCurrent = memoryCurrent
            self.cpuQuotaCores = cpuQuotaCores
            self.cpuUsageUsec = cpuUsageUsec
            self.memoryEventsOomKill = memoryEventsOomKill
        }
    }
}
