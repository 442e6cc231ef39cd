import AgentSchema

/// The raw kernel counters of one host sample, as read from `/proc`, `/sys` and `statvfs`.
///
/// A sample on its own gives the instantaneous values (memory, load, filesystem, pressure, cgroup);
/// rates need two of them, which ``HostMetricsCalculator`` turns into ``SystemMetrics``.
struct HostSample: Sendable, Equatable {
    /// When the sample was taken, as passed in by the caller; only differences between samples matter.
    var timestamp: ContinuousClock.Instant
    /// The aggregate `cpu` line of `/proc/stat`.
    var cpuTimes: CPUTimes
    /// Number of `cpuN` lines in `/proc/stat`: the online logical CPUs.
    var cpuCount: Int
    /// `/proc/loadavg`.
    var load: SystemMetrics.Load?
    /// `/proc/meminfo`.
    var memory: Memory
    /// Whole disks from `/proc/diskstats`; `nil` when the file is missing.
    var disks: [Disk]?
    /// Interfaces from `/proc/net/dev`; `nil` when the file is missing.
    var interfaces: [Interface]?
    /// The data directory's filesystem, with the path that was measured.
    var filesystem: Filesystem?
    /// `/proc/pressure/{cpu,memory,io}`, which hold no state worth deriving from.
    var pressure: SystemMetrics.Pressure?
    /// The cgroup v2 limits and counters, as read.
    var cgroup: SystemMetrics.CGroup?
    /// Optional files that were there but did not read: reported in the payload's `errors`.
    var problems: [HostCollector.SampleError] = []
}

extension HostSample {
    /// CPU time per mode since boot, in clock ticks (`USER_HZ`, normally 1/100 s).
    ///
    /// Older kernels print fewer columns; the missing modes are 0, which is what those kernels
    /// would have counted had they known them.
    struct CPUTimes: Sendable, Equatable {
        var user: UInt64 = 0
        var nice: UInt64 = 0
        var system: UInt64 = 0
        var idle: UInt64 = 0
        var iowait: UInt64 = 0
        var irq: UInt64 = 0
        var softirq: UInt64 = 0
        var steal: UInt64 = 0
        /// Already included in `user`.
        var guest: UInt64 = 0
        /// Already included in `nice`.
        var guestNice: UInt64 = 0
    }

    /// The `/proc/meminfo` fields we use, in bytes.
    struct Memory: Sendable, Equatable {
        var total: UInt64
        var free: UInt64
        /// `MemAvailable`, which kernels before 3.14 do not have.
        var available: UInt64?
        var buffers: UInt64
        var cached: UInt64
        var sReclaimable: UInt64
        var swapTotal: UInt64
        var swapFree: UInt64
    }

    /// One line of `/proc/diskstats`. Times are milliseconds.
    struct Disk: Sendable, Equatable {
        var name: String
        var reads: UInt64
        var sectorsRead: UInt64
        var readTime: UInt64
        var writes: UInt64
        var sectorsWritten: UInt64
        var writeTime: UInt64
        /// Milliseconds with I/O in flight ("io_ticks"); printed as 32 bits, so it wraps.
        var busyTime: UInt64
    }

    /// One line of `/proc/net/dev`.
    struct Interface: Sendable, Equatable {
        var name: String
        var bytesRecv: UInt64
        var packetsRecv: UInt64
        var errin: UInt64
        var dropin: UInt64
        var bytesSent: UInt64
        var packetsSent: UInt64
        var errout: UInt64
        var dropout: UInt64
    }

    /// The `statvfs` result for the data directory.
    struct Filesystem: Sendable, Equatable {
        var path: String
        var statistics: ProcFileSystem.VolumeStatistics
    }
}
