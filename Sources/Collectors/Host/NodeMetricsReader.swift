// The host's metrics under the names, types and labels of Debian's prometheus-node-exporter 1.5.0
// (`node_exporter, version 1.5.0 (branch: debian/sid, revision: 1.5.0-1+b6)`), for its cpu, meminfo,
// loadavg, diskstats, netdev and filesystem collectors with their default flags, so dashboards and alerts
// written for node_exporter read the agent unchanged.
//
// Produced (compared with that node_exporter's output on the development VM and on the test fixture
// `Tests/CollectorsTests/Fixtures/node-a`, read through its `--path.procfs`/`--path.sysfs`):
// - `node_cpu_seconds_total{cpu,mode}` (user nice system idle iowait irq softirq steal) and
//   `node_cpu_guest_seconds_total{cpu,mode}` (user nice; `--collector.cpu.guest` is on by default);
// - `node_memory_<Field>_bytes` and `node_memory_<Field>`, one gauge per /proc/meminfo line;
// - `node_load1`, `node_load5`, `node_load15`;
// - the 17 `node_disk_*` families of /proc/diskstats, `device` label;
// - the 16 `node_network_{receive,transmit}_*_total` families of /proc/net/dev, and
//   `node_network_receive_nohandler_total`;
// - `node_filesystem_{avail_bytes,free_bytes,size_bytes,files,files_free,readonly,device_error}`.
//
// Not produced, by area:
// - cpu: `node_cpu_info`, `node_cpu_flag_info`, `node_cpu_bug_info` (from /proc/cpuinfo, and only with
//   `--collector.cpu.info`, off by default); `node_cpu_core_throttles_total` and
//   `node_cpu_package_throttles_total` (/sys/devices/system/cpu/cpu*/thermal_throttle, absent on VMs);
//   `node_cpu_isolated` (only when /sys/devices/system/cpu/isolated lists CPUs). The cpufreq collector's
//   `node_cpu_scaling_frequency_*` and `node_cpu_frequency_*` belong to another collector.
// - disk: `node_disk_info`, `node_disk_device_mapper_info`, `node_disk_ata_rotation_rate_rpm`,
//   `node_disk_ata_write_cache`, `node_disk_ata_write_cache_enabled`: their labels or values come from
//   udev's database (/run/udev/data), which a container often lacks.
// - network: the netclass collector's families from /sys/class/net/<device>/* (`node_network_up`,
//   `_info`, `_mtu_bytes`, `_speed_bytes`, `_carrier`, `_carrier_changes_total`,
//   `_carrier_{up,down}_changes_total`, `_flags`, `_iface_id`, `_iface_link`, `_iface_link_mode`,
//   `_address_assign_type`, `_name_assign_type`, `_net_dev_group`, `_protocol_type`,
//   `_transmit_queue_length`, `_dormant`, `_device_id`): a dozen files per interface per read, and
//   attributes rather than activity. `node_network_address_info` needs `--collector.netdev.address-info`.
// - memory, load, filesystem: nothing left out.
//
// Known differences in values:
// - node_exporter 1.5 keeps the previous CPU figures to hide small backward jumps of `idle` and
//   `iowait`; this reader is stateless and passes the kernel's numbers through.
// - node_exporter 1.5 gives an offline CPU numbered below an online one (no `cpuN` line) zero series;
//   here it has none.
// - `read_bytes_total` and `written_bytes_total` are sectors × 512, the unit /proc/diskstats counts in
//   (Documentation/admin-guide/iostats.rst). node_exporter 1.4 and 1.5 multiply by the device's
//   /sys/block/<dev>/queue/logical_block_size instead, which differs only on 4Kn disks (later releases
//   went back to 512).
// - node_exporter 1.5 gets network counters over netlink by default; /proc/net/dev prints the same
//   kernel counters summed the same way (its `legacy()` mapping), so the values agree. `receive_nohandler`
//   is not in /proc/net/dev: we read /sys/class/net/<device>/statistics/rx_nohandler, the same counter,
//   and leave the series out for a device (or a kernel before 4.6) that lacks the file.
// - Filesystem sizes use `statvfs`'s `f_frsize` where node_exporter multiplies `statfs`'s `f_bsize`;
//   the two are equal on Linux's block filesystems. node_exporter marks a mount whose `statfs` takes over
//   5 s as stuck and skips it until the call returns; the daemon does the same by reading through a
//   ``StatvfsGuard`` (a stuck mount has only `device_error` 1 meanwhile).
// - A malformed line is skipped here; node_exporter fails the whole collector for that scrape.

/// Reads the host's metrics from `/proc` (and a few `/sys` files) under node_exporter 1.5's names.
///
/// Each area is read on its own: a missing file leaves only its area out. Nothing is kept between reads,
/// so counters are the kernel's totals since boot. The label order of each family is fixed
/// (alphabetical, as node_exporter's exposition prints it); see ``families`` and ``family(named:)``.
package struct NodeMetricsReader: Sendable {
    /// Where the files are read from, and how filesystems are measured.
    package var fileSystem: ProcFileSystem

    /// Creates a reader over `fileSystem`.
    package init(fileSystem: ProcFileSystem = ProcFileSystem()) {
        self.fileSystem = fileSystem
    }

    /// Every sample of every area, in area order: CPU, memory, load, disks, network, filesystems.
    package func read() -> [NodeSample] {
        cpu() + memory() + load() + disks() + network() + filesystems()
    }

    /// `node_cpu_seconds_total` and `node_cpu_guest_seconds_total` from /proc/stat.
    package func cpu() -> [NodeSample] {
        fileSystem.read("/proc/stat").map(Self.parseCPU) ?? []
    }

    /// `node_memory_*` from /proc/meminfo.
    package func memory() -> [NodeSample] {
        fileSystem.read("/proc/meminfo").map(Self.parseMeminfo) ?? []
    }

    /// `node_load1`, `node_load5`, `node_load15` from /proc/loadavg.
    package func load() -> [NodeSample] {
        fileSystem.read("/proc/loadavg").map(Self.parseLoad) ?? []
    }

    /// `node_disk_*` from /proc/diskstats, without the devices node_exporter excludes by default.
    package func disks() -> [NodeSample] {
        fileSystem.read("/proc/diskstats").map(Self.parseDiskstats) ?? []
    }

    /// `node_network_*_total` from /proc/net/dev (and `rx_nohandler` from /sys), without `lo`.
    package func network() -> [NodeSample] {
        guard let text = fileSystem.read("/proc/net/dev") else { return [] }
        var samples = Self.parseNetDev(text)
        let devices = samples.filter { $0.name == "node_network_receive_bytes_total" }.compactMap { $0.label("device") }
        for device in devices {
            guard let file = fileSystem.read("/sys/class/net/\(device)/statistics/rx_nohandler"),
                let value = ProcText.fields(file).first.flatMap({ UInt64($0) })
            else { continue }
            samples.append(
                NodeSample(
                    name: "node_network_receive_nohandler_total", kind: .counter,
                    labels: [NodeSample.Label("device", device)], value: Double(value)
                )
            )
        }
        return samples
    }

    /// `node_filesystem_*` for the mounts of /proc/1/mounts (or /proc/mounts when PID 1's is hidden),
    /// without the mount points and types node_exporter excludes by default.
    ///
    /// Each mount point is measured with ``ProcFileSystem/statvfs`` at its path below the reader's root,
    /// as node_exporter measures it below `--path.rootfs`. When the call fails the mount has only
    /// `device_error` 1: no sizes and no `readonly`, as node_exporter 1.5 does.
    package func filesystems() -> [NodeSample] {
        guard let text = fileSystem.read("/proc/1/mounts") ?? fileSystem.read("/proc/mounts") else { return [] }
        var samples: [NodeSample] = []
        for mount in Self.parseMounts(text) {
            let labels = [
                NodeSample.Label("device", mount.device), NodeSample.Label("fstype", mount.fsType),
                NodeSample.Label("mountpoint", mount.mountPoint),
            ]
            func gauge(_ name: String, _ value: Double) -> NodeSample {
                NodeSample(name: "node_filesystem_" + name, kind: .gauge, labels: labels, value: value)
            }
            guard let statistics = fileSystem.statvfs(fileSystem.resolve(mount.mountPoint)) else {
                samples.append(gauge("device_error", 1))
                continue
            }
            let unit = Double(statistics.fragmentSize)
            samples.append(gauge("device_error", 0))
            samples.append(gauge("readonly", mount.readOnly ? 1 : 0))
            samples.append(gauge("size_bytes", Double(statistics.blocks) * unit))
            samples.append(gauge("free_bytes", Double(statistics.freeBlocks) * unit))
            samples.append(gauge("avail_bytes", Double(statistics.availableBlocks) * unit))
            samples.append(gauge("files", Double(statistics.files)))
            samples.append(gauge("files_free", Double(statistics.freeFiles)))
        }
        return samples
    }
}

// MARK: - Families

extension NodeMetricsReader {
    /// The CPU modes of `node_cpu_seconds_total`, in /proc/stat's column order.
    static let cpuModes = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]

    /// The `node_disk_` families, in /proc/diskstats's column order after the device name, with the factor
    /// that turns the column into the family's unit (sectors → bytes, milliseconds → seconds).
    static let diskColumns: [(name: String, kind: NodeSample.Kind, scale: Double, help: String)] = [
        ("reads_completed_total", .counter, 1, "The total number of reads completed successfully."),
        ("reads_merged_total", .counter, 1, "The total number of reads merged."),
        ("read_bytes_total", .counter, 512, "The total number of bytes read successfully."),
        ("read_time_seconds_total", .counter, 0.001, "The total number of seconds spent by all reads."),
        ("writes_completed_total", .counter, 1, "The total number of writes completed successfully."),
        ("writes_merged_total", .counter, 1, "The number of writes merged."),
        ("written_bytes_total", .counter, 512, "The total number of bytes written successfully."),
        ("write_time_seconds_total", .counter, 0.001, "This is the total number of seconds spent by all writes."),
        ("io_now", .gauge, 1, "The number of I/Os currently in progress."),
        ("io_time_seconds_total", .counter, 0.001, "Total seconds spent doing I/Os."),
        ("io_time_weighted_seconds_total", .counter, 0.001, "The weighted # of seconds spent doing I/Os."),
        ("discards_completed_total", .counter, 1, "The total number of discards completed successfully."),
        ("discards_merged_total", .counter, 1, "The total number of discards merged."),
        ("discarded_sectors_total", .counter, 1, "The total number of sectors discarded successfully."),
        ("discard_time_seconds_total", .counter, 0.001, "This is the total number of seconds spent by all discards."),
        ("flush_requests_total", .counter, 1, "The total number of flush requests completed successfully"),
        ("flush_requests_time_seconds_total", .counter, 0.001,
         "This is the total number of seconds spent by all flush requests."),
    ]

    /// The receive columns of /proc/net/dev, in order; the transmit ones follow them on each line.
    static let receiveColumns = ["bytes", "packets", "errs", "drop", "fifo", "frame", "compressed", "multicast"]
    /// The transmit columns of /proc/net/dev, in order.
    static let transmitColumns = ["bytes", "packets", "errs", "drop", "fifo", "colls", "carrier", "compressed"]

    /// Every family of fixed name this reader produces. The `node_memory_` families depend on the
    /// kernel's /proc/meminfo fields; ``family(named:)`` describes them too.
    package static let families: [NodeFamily] = {
        var families = [
            NodeFamily(
                name: "node_cpu_seconds_total", kind: .counter, help: "Seconds the CPUs spent in each mode.",
                labelNames: ["cpu", "mode"]
            ),
            NodeFamily(
                name: "node_cpu_guest_seconds_total", kind: .counter,
                help: "Seconds the CPUs spent in guests (VMs) for each mode.", labelNames: ["cpu", "mode"]
            ),
            NodeFamily(name: "node_load1", kind: .gauge, help: "1m load average.", labelNames: []),
            NodeFamily(name: "node_load5", kind: .gauge, help: "5m load average.", labelNames: []),
            NodeFamily(name: "node_load15", kind: .gauge, help: "15m load average.", labelNames: []),
        ]
        for column in NodeMetricsReader.diskColumns {
            families.append(
                NodeFamily(
                    name: "node_disk_" + column.name, kind: column.kind, help: column.help, labelNames: ["device"]
                )
            )
        }
        let receive: [String] = NodeMetricsReader.receiveColumns.map { "receive_" + $0 }
        let transmit: [String] = NodeMetricsReader.transmitColumns.map { "transmit_" + $0 }
        for statistic in receive + ["receive_nohandler"] + transmit {
            families.append(
                NodeFamily(
                    name: "node_network_\(statistic)_total", kind: .counter,
                    help: "Network device statistic \(statistic).", labelNames: ["device"]
                )
            )
        }
        let filesystem = [
            ("avail_bytes", "Filesystem space available to non-root users in bytes."),
            ("free_bytes", "Filesystem free space in bytes."),
            ("size_bytes", "Filesystem size in bytes."),
            ("files", "Filesystem total file nodes."),
            ("files_free", "Filesystem total free file nodes."),
            ("readonly", "Filesystem read-only status."),
            ("device_error", "Whether an error occurred while getting statistics for the given device."),
        ]
        for (name, help) in filesystem {
            families.append(
                NodeFamily(
                    name: "node_filesystem_" + name, kind: .gauge, help: help,
                    labelNames: ["device", "fstype", "mountpoint"]
                )
            )
        }
        return families
    }()

    /// The family of a sample name: one of ``families``, or a `node_memory_` gauge (no labels, help
    /// "Memory information field <Field>." as node_exporter writes it). `nil` for any other name.
    package static func family(named name: String) -> NodeFamily? {
        if let family = families.first(where: { $0.name == name }) { return family }
        let memoryPrefix = "node_memory_"
        guard name.hasPrefix(memoryPrefix), name.count > memoryPrefix.count else { return nil }
        return NodeFamily(
            name: name, kind: .gauge, help: "Memory information field \(name.dropFirst(memoryPrefix.count)).",
            labelNames: []
        )
    }
}

// MARK: - Parsers

extension NodeMetricsReader {
    /// The `cpuN` lines of /proc/stat: eight modes and two guest modes per CPU, in seconds.
    ///
    /// The kernel counts in `USER_HZ` ticks, 100 per second on every Linux architecture (procfs and
    /// node_exporter assume the same). Columns an old kernel lacks count as 0; the aggregate `cpu` line is
    /// not exported, as node_exporter does not. Guest time is already inside `user` and `nice`.
    static func parseCPU(_ text: String) -> [NodeSample] {
        let userHZ = 100.0
        var samples: [NodeSample] = []
        var guests: [NodeSample] = []
        for line in ProcText.lines(text) where line.hasPrefix("cpu") {
            let fields = ProcText.fields(line)
            guard let label = fields.first, label.count > 3, let number = Int(label.dropFirst(3)), number >= 0
            else { continue }
            var ticks: [UInt64] = []
            for field in fields.dropFirst().prefix(10) {
                guard let value = UInt64(field) else { break }
                ticks.append(value)
            }
            guard ticks.count >= 4 else { continue }
            func seconds(_ index: Int) -> Double { index < ticks.count ? Double(ticks[index]) / userHZ : 0 }
            let cpu = String(number)
            for (index, mode) in cpuModes.enumerated() {
                samples.append(
                    NodeSample(
                        name: "node_cpu_seconds_total", kind: .counter,
                        labels: [NodeSample.Label("cpu", cpu), NodeSample.Label("mode", mode)], value: seconds(index)
                    )
                )
            }
            for (index, mode) in [(8, "user"), (9, "nice")] {
                guests.append(
                    NodeSample(
                        name: "node_cpu_guest_seconds_total", kind: .counter,
                        labels: [NodeSample.Label("cpu", cpu), NodeSample.Label("mode", mode)], value: seconds(index)
                    )
                )
            }
        }
        return samples + guests
    }

    /// Every /proc/meminfo line as a gauge: `Name: value kB` becomes `node_memory_Name_bytes` (× 1024),
    /// `Name: value` becomes `node_memory_Name`.
    ///
    /// As node_exporter: a parenthesised part of the name becomes `_` plus its contents
    /// (`Active(anon)` → `Active_anon`), and any unit word is taken as kB (the only unit the kernel prints).
    static func parseMeminfo(_ text: String) -> [NodeSample] {
        var samples: [NodeSample] = []
        var seen = Set<String>()
        for line in ProcText.lines(text) {
            let fields = ProcText.fields(line)
            guard fields.count == 2 || fields.count == 3, fields[0].hasSuffix(":"), fields[0].count > 1,
                let number = Int64(fields[1]).map({ Double($0) }) ?? UInt64(fields[1]).map({ Double($0) })
            else { continue }
            var name = "node_memory_" + memoryFieldName(fields[0].dropLast())
            var value = number
            if fields.count == 3 {
                name += "_bytes"
                value *= 1024
            }
            guard seen.insert(name).inserted else { continue }
            samples.append(NodeSample(name: name, kind: .gauge, value: value))
        }
        return samples
    }

    /// node_exporter's rewrite of a meminfo key: the regular expression `\((.*)\)` replaced by `_$1`, that
    /// is, from the first `(` to the last `)` after it.
    static func memoryFieldName(_ key: Substring) -> String {
        guard let open = key.utf8.firstIndex(of: UInt8(ascii: "(")), let close = key.utf8.lastIndex(of: UInt8(ascii: ")")), open < close else {
            return String(key)
        }
        return String(key[..<open]) + "_" + String(key[key.index(after: open)..<close])
            + String(key[key.index(after: close)...])
    }

    /// The first three columns of /proc/loadavg.
    static func parseLoad(_ text: String) -> [NodeSample] {
        let fields = ProcText.fields(text)
        guard fields.count >= 3 else { return [] }
        var samples: [NodeSample] = []
        for (index, name) in ["node_load1", "node_load5", "node_load15"].enumerated() {
            guard let value = Double(fields[index]), value.isFinite else { return [] }
            samples.append(NodeSample(name: name, kind: .gauge, value: value))
        }
        return samples
    }

    /// The device lines of /proc/diskstats, without the excluded devices (``isExcludedDisk(_:)``).
    ///
    /// After `major minor name` come 11 counters (kernels before 4.18), 15 with discards (4.18) or 17 with
    /// flushes (5.5): as node_exporter, a device has the families of the columns its line has. Lines with
    /// fewer than 11 counters (kernel 2.6's partition lines) are skipped.
    static func parseDiskstats(_ text: String) -> [NodeSample] {
        var samples: [NodeSample] = []
        for line in ProcText.lines(text) {
            let fields = ProcText.fields(line)
            guard fields.count >= 14 else { continue }
            let device = String(fields[2])
            guard !isExcludedDisk(device) else { continue }
            var counters: [UInt64] = []
            for field in fields.dropFirst(3).prefix(diskColumns.count) {
                guard let value = UInt64(field) else { break }
                counters.append(value)
            }
            guard counters.count >= 11 else { continue }
            for (column, value) in zip(diskColumns, counters) {
                samples.append(
                    NodeSample(
                        name: "node_disk_" + column.name, kind: column.kind,
                        labels: [NodeSample.Label("device", device)], value: Double(value) * column.scale
                    )
                )
            }
        }
        return samples
    }

    /// The interface lines of /proc/net/dev, without `lo`; the two header lines have no colon-separated
    /// 16 numbers and are skipped.
    ///
    /// The name ends at the last colon: old kernels print a large first counter right against it.
    static func parseNetDev(_ text: String) -> [NodeSample] {
        let receive: [String] = receiveColumns.map { "receive_" + $0 }
        let names: [String] = receive + transmitColumns.map { "transmit_" + $0 }
        var samples: [NodeSample] = []
        for line in ProcText.lines(text) {
            guard let colon = line.utf8.lastIndex(of: UInt8(ascii: ":")) else { continue }
            let device = String(line[..<colon].trimmingPrefix(while: \.isWhitespace))
            var counters: [UInt64] = []
            for field in ProcText.fields(line[line.index(after: colon)...]).prefix(16) {
                guard let value = UInt64(field) else { break }
                counters.append(value)
            }
            guard !device.isEmpty, counters.count == 16, !isExcludedNetworkDevice(device) else { continue }
            let labels = [NodeSample.Label("device", device)]
            for (name, value) in zip(names, counters) {
                samples.append(
                    NodeSample(name: "node_network_\(name)_total", kind: .counter, labels: labels, value: Double(value))
                )
            }
        }
        return samples
    }

    /// One mount of /proc/mounts that node_exporter measures.
    struct Mount: Sendable, Equatable {
        var device: String
        /// With fstab(5)'s `\040` (space) and `\011` (tab) decoded, as node_exporter decodes them.
        var mountPoint: String
        var fsType: String
        /// Whether the options include `ro`.
        var readOnly: Bool
    }

    /// The mounts of a /proc/mounts file, without the excluded mount points and types, each
    /// device-mount point-type triple once (the first; node_exporter's registry drops later duplicates).
    static func parseMounts(_ text: String) -> [Mount] {
        var mounts: [Mount] = []
        var seen = Set<String>()
        for line in ProcText.lines(text) {
            let fields = ProcText.fields(line)
            guard fields.count >= 4 else { continue }
            var mountPoint = String(fields[1])
            // `replacing` runs a generic search: only for the rare mount point that has an escape.
            if mountPoint.utf8.contains(UInt8(ascii: "\\")) {
                mountPoint = mountPoint.replacing("\\040", with: " ").replacing("\\011", with: "\t")
            }
            let mount = Mount(
                device: String(fields[0]), mountPoint: mountPoint, fsType: String(fields[2]),
                readOnly: fields[3].split(separator: ",").contains("ro")
            )
            guard !isExcludedMountPoint(mount.mountPoint), !excludedFilesystemTypes.contains(mount.fsType),
                  !Self.mayHang(mount.fsType),
                seen.insert(mount.device + "\0" + mount.mountPoint + "\0" + mount.fsType).inserted
            else { continue }
            mounts.append(mount)
        }
        return mounts
    }
}

// MARK: - Default exclusions

extension NodeMetricsReader {
    /// `--collector.diskstats.device-exclude`'s default, `^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$`:
    /// RAM disks, loop devices, floppies and the partitions of IDE, SCSI, virtio, Xen and NVMe disks.
    ///
    /// No alternative ends in a digit, so the alternative is exactly what precedes the trailing digits.
    static func isExcludedDisk(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        var end = bytes.count
        while end > 0, isDigit(bytes[end - 1]) { end -= 1 }
        guard end > 0, end < bytes.count else { return false }
        let stem = Array(bytes[..<end])
        if stem == Array("ram".utf8) || stem == Array("loop".utf8) || stem == Array("fd".utf8) { return true }
        func isLowercaseLetter(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
        if stem.count == 3, [UInt8(ascii: "h"), UInt8(ascii: "s"), UInt8(ascii: "v")].contains(stem[0]),
            stem[1] == UInt8(ascii: "d"), isLowercaseLetter(stem[2])
        {
            return true
        }
        if stem.count == 4, stem[0..<3].elementsEqual("xvd".utf8), isLowercaseLetter(stem[3]) { return true }
        // nvme\d+n\d+p
        guard stem.count >= 8, stem[0..<4].elementsEqual("nvme".utf8), stem.last == UInt8(ascii: "p") else {
            return false
        }
        var index = 4
        while index < stem.count, isDigit(stem[index]) { index += 1 }
        guard index > 4, index < stem.count, stem[index] == UInt8(ascii: "n") else { return false }
        let namespaceStart = index + 1
        index = namespaceStart
        while index < stem.count, isDigit(stem[index]) { index += 1 }
        return index > namespaceStart && index == stem.count - 1
    }

    /// `--collector.filesystem.mount-points-exclude`'s default in Debian's build,
    /// `^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)`.
    static func isExcludedMountPoint(_ path: String) -> Bool {
        let bytes = Array(path.utf8)
        for text in ["/dev", "/proc", "/run", "/sys", "/mnt", "/media"] {
            let prefix = Array(text.utf8)
            if bytes.starts(with: prefix), bytes.count == prefix.count || bytes[prefix.count] == UInt8(ascii: "/") {
                return true
            }
        }
        // `.+` then `($|/)` holds for any non-empty rest (a mount point holds no newline).
        for text in ["/var/lib/docker/", "/var/lib/containers/storage/"] {
            let prefix = Array(text.utf8)
            if bytes.starts(with: prefix), bytes.count > prefix.count { return true }
        }
        return false
    }

    /// `--collector.filesystem.fs-types-exclude`'s default, `^(autofs|binfmt_misc|bpf|cgroup2?|configfs|…)$`.
    /// Network and FUSE filesystems, left out where node_exporter measures them: `statvfs` on a hard
    /// mount whose server is gone blocks without end (node_exporter gives up after 5 s and remembers the
    /// mount; this reader runs in the snapshot cycle and must never block it).
    static func mayHang(_ fsType: String) -> Bool {
        ["nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "9p", "afs", "ceph", "glusterfs", "lustre", "gpfs", "sshfs",
         "davfs", "fuse"].contains(fsType) || fsType.hasPrefix("fuse.")
    }

    static let excludedFilesystemTypes: Set<String> = [
        "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts", "devtmpfs", "fusectl",
        "hugetlbfs", "iso9660", "mqueue", "nsfs", "overlay", "proc", "procfs", "pstore", "rpc_pipefs", "securityfs",
        "selinuxfs", "squashfs", "sysfs", "tracefs",
    ]

    /// `--collector.netdev.device-exclude`'s default in Debian's build, `^lo$`.
    static func isExcludedNetworkDevice(_ name: String) -> Bool {
        name == "lo"
    }

    /// `0` to `9`, as Go's `\d`.
    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
