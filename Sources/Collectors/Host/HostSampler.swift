import AgentSchema

/// Reads one ``HostSample`` from `/proc`, `/sys` and `statvfs`.
///
/// The parsers are small static functions over file contents so tests can feed them text from any
/// kernel version. They tolerate the column counts different kernels print: they read the columns
/// they know by position and ignore any that a newer kernel appends.
struct HostSampler: Sendable {
    /// Where the files are read from.
    var fileSystem: ProcFileSystem
    /// The PostgreSQL data directory whose filesystem we measure; `nil` measures nothing.
    var dataDirectory: String?
    /// Whose cgroup we report: a process id, or `self` for the agent.
    var cgroupProcess: String

    /// Takes one sample.
    ///
    /// - Parameter timestamp: When the sample is taken, from the caller's clock.
    /// - Throws: ``HostCollector/SampleError`` when `/proc/stat` or `/proc/meminfo`, which every
    ///   Linux kernel has, is missing or unreadable. Any other file only leaves its part `nil`.
    func sample(at timestamp: ContinuousClock.Instant) throws(HostCollector.SampleError) -> HostSample {
        guard let stat = fileSystem.read("/proc/stat") else {
            throw HostCollector.SampleError(code: .missingFile, path: "/proc/stat")
        }
        guard let cpu = Self.parseCPU(stat) else {
            throw HostCollector.SampleError(code: .malformedFile, path: "/proc/stat")
        }
        guard let meminfo = fileSystem.read("/proc/meminfo") else {
            throw HostCollector.SampleError(code: .missingFile, path: "/proc/meminfo")
        }
        guard let memory = Self.parseMemory(meminfo) else {
            throw HostCollector.SampleError(code: .malformedFile, path: "/proc/meminfo")
        }
        var problems: [HostCollector.SampleError] = []
        return HostSample(
            timestamp: timestamp,
            cpuTimes: cpu.times,
            cpuCount: cpu.count,
            load: optionalPart("/proc/loadavg", Self.parseLoad, &problems),
            memory: memory,
            disks: fileSystem.read("/proc/diskstats").map { Self.parseDiskstats($0).filter { isWholeDisk($0.name) } },
            interfaces: fileSystem.read("/proc/net/dev").map(Self.parseNetDev),
            filesystem: dataDirectory.flatMap { path in
                fileSystem.statvfs(path).map { HostSample.Filesystem(path: path, statistics: $0) }
            },
            pressure: readPressure(&problems),
            cgroup: readCGroup(),
            problems: problems
        )
    }

    // MARK: - Reading

    /// Whether a `/proc/diskstats` name is a whole disk worth reporting.
    ///
    /// Loop, RAM-disk and zram devices are skipped: they are not where a database's I/O lands.
    /// `/sys/block` lists exactly the whole disks (partitions live below their disk), so we ask it;
    /// without it (a trimmed container, a fixture) we fall back to recognising partition names.
    func isWholeDisk(_ name: String) -> Bool {
        if name.hasPrefix("loop") || name.hasPrefix("ram") || name.hasPrefix("zram") { return false }
        if fileSystem.exists("/sys/block") {
            // A "/" in a kernel name (cciss/c0d0) appears as "!" in sysfs.
            return fileSystem.exists("/sys/block/" + String(name.map { $0 == "/" ? "!" : $0 }))
        }
        return !Self.looksLikePartition(name)
    }

    /// A file the host may lack: nil when it is missing, and a problem noted when it is there but does not
    /// read (a value that is not a finite number, a line cut short).
    func optionalPart<Part>(
        _ path: String, _ parse: (String) -> Part?, _ problems: inout [HostCollector.SampleError]
    ) -> Part? {
        guard let text = fileSystem.read(path) else { return nil }
        guard let part = parse(text) else {
            problems.append(HostCollector.SampleError(code: .malformedFile, path: path))
            return nil
        }
        return part
    }

    /// The three PSI files; `nil` when none of them can be read.
    func readPressure(_ problems: inout [HostCollector.SampleError]) -> SystemMetrics.Pressure? {
        var cpu = optionalPart("/proc/pressure/cpu", Self.parsePressure, &problems)
        let memory = optionalPart("/proc/pressure/memory", Self.parsePressure, &problems)
        let io = optionalPart("/proc/pressure/io", Self.parsePressure, &problems)
        if cpu == nil, memory == nil, io == nil { return nil }
        // Kernels from 5.13 print a "full" line for CPU, but at the system level it is undefined
        // and always zero; only a cgroup's cpu.pressure gives it meaning.
        cpu?.fullAvg10 = nil
        cpu?.fullAvg60 = nil
        cpu?.fullAvg300 = nil
        cpu?.fullTotal = nil
        return SystemMetrics.Pressure(cpu: cpu, memory: memory, io: io)
    }

    /// The limits of ``cgroupProcess``'s cgroup; `nil` unless the host runs the unified (v2) hierarchy.
    func readCGroup() -> SystemMetrics.CGroup? {
        // On a v2 host /sys/fs/cgroup is the unified hierarchy and has cgroup.controllers. A v1 or
        // hybrid host mounts the v2 tree (if at all) at /sys/fs/cgroup/unified without controllers,
        // where no limits are set, so we report nothing rather than numbers that bind nothing.
        guard fileSystem.exists("/sys/fs/cgroup/cgroup.controllers"),
            let membership = fileSystem.read("/proc/\(cgroupProcess)/cgroup"),
            let path = Self.parseCGroupPath(membership)
        else { return nil }
        let directory = path == "/" ? "/sys/fs/cgroup" : "/sys/fs/cgroup" + path
        func read(_ name: String) -> String? { fileSystem.read(directory + "/" + name) }
        // The root cgroup has no memory.max, memory.current or cpu.max: those parts stay nil.
        return SystemMetrics.CGroup(
            path: path,
            memoryMax: read("memory.max").flatMap(Self.parseLimit),
            memoryCurrent: read("memory.current").flatMap(Self.parseLimit),
            cpuQuotaCores: read("cpu.max").flatMap(Self.parseCPUMax),
            cpuUsageUsec: read("cpu.stat").flatMap { Self.parseKeyedValues($0)["usage_usec"] },
            memoryEventsOomKill: read("memory.events").flatMap { Self.parseKeyedValues($0)["oom_kill"] }
        )
    }

    // MARK: - Parsers

    /// The aggregate `cpu` line and the number of `cpuN` lines of `/proc/stat`.
    ///
    /// The `cpu` line has 4 columns on the oldest kernels, 7 from 2.6.0, 8 with `steal` (2.6.11),
    /// 9 with `guest` (2.6.24) and 10 with `guest_nice` (2.6.33); missing columns count as 0.
    static func parseCPU(_ text: String) -> (times: HostSample.CPUTimes, count: Int)? {
        var times: HostSample.CPUTimes?
        var count = 0
        for line in ProcText.lines(text) where line.hasPrefix("cpu") {
            let fields = ProcText.fields(line)
            let label = fields[0]
            if label == "cpu" {
                times = parseCPUTimes(fields.dropFirst())
            } else if label.dropFirst(3).allSatisfy(\.isASCIIDigit) {
                count += 1
            }
        }
        return times.map { ($0, count) }
    }

    /// The columns of a `cpu` line after the label.
    static func parseCPUTimes(_ fields: ArraySlice<Substring>) -> HostSample.CPUTimes? {
        var values: [UInt64] = []
        for field in fields {
            guard let value = UInt64(field) else { return nil }
            values.append(value)
        }
        guard values.count >= 4 else { return nil }
        func column(_ index: Int) -> UInt64 { index < values.count ? values[index] : 0 }
        return HostSample.CPUTimes(
            user: column(0), nice: column(1), system: column(2), idle: column(3),
            iowait: column(4), irq: column(5), softirq: column(6), steal: column(7),
            guest: column(8), guestNice: column(9)
        )
    }

    /// A decimal number that is finite: `Double` also reads `nan` and `inf`, which a broken or hostile
    /// `/proc` (a container's emulation of it) may hold and which no JSON can carry.
    static func finite(_ text: Substring) -> Double? {
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// `/proc/loadavg`: the first three columns.
    static func parseLoad(_ text: String) -> SystemMetrics.Load? {
        let fields = ProcText.fields(text)
        guard fields.count >= 3, let load1 = finite(fields[0]), let load5 = finite(fields[1]),
            let load15 = finite(fields[2])
        else { return nil }
        return SystemMetrics.Load(load1: load1, load5: load5, load15: load15)
    }

    /// `/proc/meminfo` in bytes; `nil` without `MemTotal` and `MemFree`.
    static func parseMemory(_ text: String) -> HostSample.Memory? {
        let fields = parseMeminfo(text)
        guard let total = fields["MemTotal"], let free = fields["MemFree"] else { return nil }
        // The other fields exist on every kernel since 2.6.19 except MemAvailable (3.14).
        return HostSample.Memory(
            total: total,
            free: free,
            available: fields["MemAvailable"],
            buffers: fields["Buffers"] ?? 0,
            cached: fields["Cached"] ?? 0,
            sReclaimable: fields["SReclaimable"] ?? 0,
            swapTotal: fields["SwapTotal"] ?? 0,
            swapFree: fields["SwapFree"] ?? 0
        )
    }

    /// Every `Name: value [kB]` line of `/proc/meminfo`, with kB converted to bytes.
    static func parseMeminfo(_ text: String) -> [String: UInt64] {
        var fields: [String: UInt64] = [:]
        for line in ProcText.lines(text) {
            guard let colon = line.utf8.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let words = ProcText.fields(line[line.index(after: colon)...])
            guard let first = words.first, let value = UInt64(first) else { continue }
            guard words.count > 1, words[1] == "kB" else {
                fields[String(line[..<colon])] = value
                continue
            }
            let (bytes, overflow) = value.multipliedReportingOverflow(by: 1024)
            if !overflow { fields[String(line[..<colon])] = bytes }
        }
        return fields
    }

    /// Every device line of `/proc/diskstats`.
    ///
    /// After `major minor name` come 11 counters (kernels before 4.18), 15 with discards (4.18) or
    /// 17 with flushes (5.5); we use the first 11. Kernel 2.6 printed only 4 counters for
    /// partitions, which we skip since partitions are not reported.
    static func parseDiskstats(_ text: String) -> [HostSample.Disk] {
        ProcText.lines(text).compactMap { line -> HostSample.Disk? in
            let fields = ProcText.fields(line)
            guard fields.count >= 14 else { return nil }
            var counters: [UInt64] = []
            for field in fields[3..<14] {
                guard let value = UInt64(field) else { return nil }
                counters.append(value)
            }
            // 0 reads, 1 reads merged, 2 sectors read, 3 ms reading, 4 writes, 5 writes merged,
            // 6 sectors written, 7 ms writing, 8 in flight, 9 ms with I/O in flight, 10 weighted ms.
            return HostSample.Disk(
                name: String(fields[2]),
                reads: counters[0], sectorsRead: counters[2], readTime: counters[3],
                writes: counters[4], sectorsWritten: counters[6], writeTime: counters[7],
                busyTime: counters[9]
            )
        }
    }

    /// Every interface line of `/proc/net/dev`, skipping its two header lines.
    ///
    /// The name ends at the last colon; old kernels print a large first counter right against it
    /// (`eth0:123456789`), so we cannot split on whitespace alone.
    static func parseNetDev(_ text: String) -> [HostSample.Interface] {
        ProcText.lines(text).compactMap { line -> HostSample.Interface? in
            guard let colon = line.utf8.lastIndex(of: UInt8(ascii: ":")) else { return nil }
            let name = line[..<colon].trimmingPrefix(while: \.isWhitespace)
            var counters: [UInt64] = []
            for field in ProcText.fields(line[line.index(after: colon)...]).prefix(12) {
                guard let value = UInt64(field) else { return nil }
                counters.append(value)
            }
            guard !name.isEmpty, counters.count == 12 else { return nil }
            // Receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes packets errs drop …
            return HostSample.Interface(
                name: String(name),
                bytesRecv: counters[0], packetsRecv: counters[1], errin: counters[2], dropin: counters[3],
                bytesSent: counters[8], packetsSent: counters[9], errout: counters[10], dropout: counters[11]
            )
        }
    }

    /// One `/proc/pressure/*` file: a `some` line and, except for CPU before 5.13, a `full` line,
    /// each `avg10=… avg60=… avg300=… total=…`.
    static func parsePressure(_ text: String) -> SystemMetrics.Resource? {
        var lines: [Substring: (avg10: Double, avg60: Double, avg300: Double, total: UInt64)] = [:]
        for line in ProcText.lines(text) {
            let words = ProcText.fields(line)
            guard let kind = words.first else { continue }
            var values: [Substring: Substring] = [:]
            for word in words.dropFirst() {
                guard let equals = word.utf8.firstIndex(of: UInt8(ascii: "=")) else { continue }
                values[word[..<equals]] = word[word.index(after: equals)...]
            }
            guard let avg10 = values["avg10"].flatMap({ finite($0) }),
                let avg60 = values["avg60"].flatMap({ finite($0) }),
                let avg300 = values["avg300"].flatMap({ finite($0) }),
                let total = values["total"].flatMap({ UInt64($0) })
            else { continue }
            lines[kind] = (avg10, avg60, avg300, total)
        }
        guard let some = lines["some"] else { return nil }
        let full = lines["full"]
        return SystemMetrics.Resource(
            someAvg10: some.avg10, someAvg60: some.avg60, someAvg300: some.avg300, someTotal: some.total,
            fullAvg10: full?.avg10, fullAvg60: full?.avg60, fullAvg300: full?.avg300, fullTotal: full?.total
        )
    }

    /// The v2 path from `/proc/<pid>/cgroup`: the `0::/path` line (v1 lines are `N:controllers:/path`).
    static func parseCGroupPath(_ text: String) -> String? {
        for line in ProcText.lines(text) where line.hasPrefix("0::") {
            let path = line.dropFirst(3)
            return path.hasPrefix("/") ? String(path) : nil
        }
        return nil
    }

    /// A single number such as `memory.max` or `memory.current`; `nil` for `max` (no limit).
    static func parseLimit(_ text: String) -> UInt64? {
        let word = ProcText.fields(text).first
        return word.flatMap { UInt64($0) }
    }

    /// `cpu.max` (`"<quota> <period>"`, quota `max` for none) as a number of cores.
    static func parseCPUMax(_ text: String) -> Double? {
        let fields = ProcText.fields(text)
        guard fields.count >= 2, let quota = UInt64(fields[0]), let period = UInt64(fields[1]), period > 0
        else { return nil }
        return Double(quota) / Double(period)
    }

    /// Flat `key value` files such as `cpu.stat` and `memory.events`.
    static func parseKeyedValues(_ text: String) -> [String: UInt64] {
        var values: [String: UInt64] = [:]
        for line in ProcText.lines(text) {
            let fields = ProcText.fields(line)
            guard fields.count >= 2, let value = UInt64(fields[1]) else { continue }
            values[String(fields[0])] = value
        }
        return values
    }

    /// Recognises partition names when `/sys/block` cannot tell us.
    ///
    /// `nvme0n1p2` and `mmcblk0p1` number partitions after a `p`; `sda1`, `vdb15`, `xvda1` and `hda2`
    /// append digits to the disk's letters. Everything else (`dm-0`, `md127`, `nvme0n1`) is a disk.
    static func looksLikePartition(_ name: String) -> Bool {
        if name.hasPrefix("nvme") || name.hasPrefix("mmcblk") {
            guard let p = name.lastIndex(of: "p"), p > name.startIndex else { return false }
            let number = name[name.index(after: p)...]
            return !number.isEmpty && number.allSatisfy(\.isASCIIDigit)
                && name[name.index(before: p)].isASCIIDigit
        }
        for prefix in ["sd", "hd", "vd", "xvd"] where name.hasPrefix(prefix) {
            return name.last?.isASCIIDigit == true
        }
        return false
    }
}

extension Character {
    /// `0` to `9` only: `isNumber` would also accept other scripts' digits and fractions.
    fileprivate var isASCIIDigit: Bool { "0"..."9" ~= self }
}
