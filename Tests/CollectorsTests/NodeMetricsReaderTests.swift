import Testing

@testable import Collectors

/// The fixture `node-a` holds this development VM's /proc files, trimmed, with a few lines added to cover
/// the cases the VM lacks: a guest-time CPU, partitions (`vda1`, `nvme0n1p1`), a 15-column (`dm-0`) and an
/// 11-column (`nvme0n1`) diskstats line, network error counters, and mounts the default exclusions drop.
/// prometheus-node-exporter 1.5.0 run with `--path.procfs` and `--path.sysfs` on it printed the values
/// checked here. `node-b` has only /proc/mounts (no /proc/1/mounts) and no other file.
///
/// `statvfs` is faked per mount point: the reader asks for the mount point below the fixture root, and
/// `/tmp` fails.
func nodeFixtureReader(_ name: String = "node-a") throws -> NodeMetricsReader {
    let root = ProcFileSystem(root: try hostFixtureRoot(name)).root
    let volumes: [String: ProcFileSystem.VolumeStatistics] = [
        "/": ProcFileSystem.VolumeStatistics(
            fragmentSize: 4096, blocks: 66_053_021, freeBlocks: 61_283_546, availableBlocks: 19_997_904,
            files: 16_777_216, freeFiles: 16_293_038
        ),
        "/boot": ProcFileSystem.VolumeStatistics(
            fragmentSize: 1024, blocks: 999_320, freeBlocks: 801_114, availableBlocks: 747_834, files: 65_536,
            freeFiles: 65_201
        ),
        "/srv/pg data": ProcFileSystem.VolumeStatistics(
            fragmentSize: 4096, blocks: 26_201_600, freeBlocks: 20_000_000, availableBlocks: 20_000_000,
            files: 52_428_800, freeFiles: 52_400_000
        ),
        "/var/lib/docker": ProcFileSystem.VolumeStatistics(
            fragmentSize: 4096, blocks: 1000, freeBlocks: 500, availableBlocks: 400, files: 64, freeFiles: 32
        ),
        "/boot/efi": ProcFileSystem.VolumeStatistics(
            fragmentSize: 512, blocks: 1_048_576, freeBlocks: 1_000_000, availableBlocks: 1_000_000, files: 0,
            freeFiles: 0
        ),
    ]
    return NodeMetricsReader(
        fileSystem: ProcFileSystem(root: root) { path in
            guard path.hasPrefix(root) else { return nil }
            return volumes[String(path.dropFirst(root.count))]
        }
    )
}

/// The sample of `name` with exactly `labels`, in that order.
func nodeSample(_ samples: [NodeSample], _ name: String, _ labels: [(String, String)] = []) -> NodeSample? {
    let wanted = labels.map { NodeSample.Label($0.0, $0.1) }
    return samples.first { $0.name == name && $0.labels == wanted }
}

@Suite struct NodeMetricsReaderTests {
    // MARK: - CPU

    @Test func readsEveryModeOfEveryCPUInSeconds() throws {
        let samples = try nodeFixtureReader().cpu()

        #expect(samples.filter { $0.name == "node_cpu_seconds_total" }.count == 16)
        #expect(
            samples.first
                == NodeSample(
                    name: "node_cpu_seconds_total", kind: .counter,
                    labels: [NodeSample.Label("cpu", "0"), NodeSample.Label("mode", "user")], value: 131_321.0 / 100
                )
        )
        #expect(nodeSample(samples, "node_cpu_seconds_total", [("cpu", "0"), ("mode", "idle")])?.value == Double(157_583.0 / 100))
        #expect(nodeSample(samples, "node_cpu_seconds_total", [("cpu", "1"), ("mode", "nice")])?.value == 0.12)
        #expect(nodeSample(samples, "node_cpu_seconds_total", [("cpu", "1"), ("mode", "irq")])?.value == 0.07)
        #expect(nodeSample(samples, "node_cpu_seconds_total", [("cpu", "1"), ("mode", "steal")])?.value == 1.82)
        // The aggregate line is not exported.
        #expect(!samples.contains { $0.label("cpu") == nil })
    }

    @Test func readsGuestTimeSeparately() throws {
        let samples = try nodeFixtureReader().cpu()

        let guest = samples.filter { $0.name == "node_cpu_guest_seconds_total" }
        #expect(guest.count == 4)
        #expect(guest.allSatisfy { $0.kind == .counter })
        #expect(nodeSample(samples, "node_cpu_guest_seconds_total", [("cpu", "1"), ("mode", "user")])?.value == 2.5)
        #expect(nodeSample(samples, "node_cpu_guest_seconds_total", [("cpu", "1"), ("mode", "nice")])?.value == 0.03)
        #expect(nodeSample(samples, "node_cpu_guest_seconds_total", [("cpu", "0"), ("mode", "user")])?.value == 0)
    }

    @Test func countsMissingColumnsOfAnOldKernelAsZero() {
        let samples = NodeMetricsReader.parseCPU("cpu  4 3 2 1\ncpu0 400 300 200 100\nintr 1\n")

        #expect(samples.count == 10)
        #expect(nodeSample(samples, "node_cpu_seconds_total", [("cpu", "0"), ("mode", "idle")])?.value == 1)
        #expect(nodeSample(samples, "node_cpu_seconds_total", [("cpu", "0"), ("mode", "steal")])?.value == 0)
        #expect(nodeSample(samples, "node_cpu_guest_seconds_total", [("cpu", "0"), ("mode", "nice")])?.value == 0)
    }

    // MARK: - Memory

    @Test func readsEveryMeminfoFieldUnderNodeExportersNames() throws {
        let samples = try nodeFixtureReader().memory()

        // One gauge per line of the fixture's 54.
        #expect(samples.count == 54)
        #expect(samples.allSatisfy { $0.kind == .gauge && $0.labels.isEmpty })
        #expect(nodeSample(samples, "node_memory_MemAvailable_bytes")?.value == Double(23_190_360 * 1024))
        #expect(nodeSample(samples, "node_memory_MemTotal_bytes")?.value == Double(24_683_772 * 1024))
        #expect(nodeSample(samples, "node_memory_Active_anon_bytes")?.value == Double(71068 * 1024))
        #expect(nodeSample(samples, "node_memory_Hugepagesize_bytes")?.value == Double(2048 * 1024))
        // No unit: the number as printed.
        #expect(nodeSample(samples, "node_memory_HugePages_Total")?.value == 4)
        #expect(nodeSample(samples, "node_memory_HugePages_Free")?.value == 3)
        #expect(!samples.contains { $0.name.contains("(") || $0.name.contains(")") })
    }

    @Test(arguments: [
        ("Active(anon)", "Active_anon"), ("Inactive(file)", "Inactive_file"), ("MemFree", "MemFree"),
        ("a(b)c(d)", "a_b)c(d"), ("open(only", "open(only"), ("close)only", "close)only"),
    ])
    func rewritesParenthesesAsNodeExporterDoes(key: String, name: String) {
        #expect(NodeMetricsReader.memoryFieldName(Substring(key)) == name)
    }

    // MARK: - Load

    @Test func readsTheThreeLoadAverages() throws {
        let samples = try nodeFixtureReader().load()

        #expect(
            samples == [
                NodeSample(name: "node_load1", kind: .gauge, value: 3.3),
                NodeSample(name: "node_load5", kind: .gauge, value: 2.13),
                NodeSample(name: "node_load15", kind: .gauge, value: 1.89),
            ]
        )
    }

    // MARK: - Disks

    @Test func readsDiskstatsWithoutLoopDevicesAndPartitions() throws {
        let samples = try nodeFixtureReader().disks()

        var devices: [String] = []
        for device in samples.compactMap({ $0.label("device") }) where !devices.contains(device) {
            devices.append(device)
        }
        // loop0, loop1, vda1 and nvme0n1p1 match the default exclusion; zram0 and dm-0 do not.
        #expect(devices == ["vda", "zram0", "dm-0", "nvme0n1"])
        #expect(
            nodeSample(samples, "node_disk_read_bytes_total", [("device", "vda")])
                == NodeSample(
                    name: "node_disk_read_bytes_total", kind: .counter, labels: [NodeSample.Label("device", "vda")],
                    value: 9_042_498 * 512
                )
        )
        #expect(nodeSample(samples, "node_disk_written_bytes_total", [("device", "vda")])?.value == Double(66_322_952 * 512))
        #expect(nodeSample(samples, "node_disk_reads_completed_total", [("device", "vda")])?.value == 233_585)
        #expect(nodeSample(samples, "node_disk_read_time_seconds_total", [("device", "vda")])?.value == Double(104_075 * 0.001))
        #expect(nodeSample(samples, "node_disk_io_time_weighted_seconds_total", [("device", "vda")])?.value == 479.801)
        #expect(nodeSample(samples, "node_disk_discarded_sectors_total", [("device", "vda")])?.value == 51_046_344)
        #expect(nodeSample(samples, "node_disk_flush_requests_total", [("device", "vda")])?.value == 42079)
        #expect(nodeSample(samples, "node_disk_flush_requests_time_seconds_total", [("device", "vda")])?.value == 2.519)
        // node_exporter prints 9.120000000000001: milliseconds times 0.001, not divided by 1000.
        #expect(nodeSample(samples, "node_disk_write_time_seconds_total", [("device", "dm-0")])?.value == Double(9120 * 0.001))
        #expect(nodeSample(samples, "node_disk_io_now", [("device", "dm-0")])?.kind == .gauge)
        #expect(nodeSample(samples, "node_disk_io_now", [("device", "dm-0")])?.value == 2)
    }

    @Test func exportsOnlyTheColumnsADiskLineHas() throws {
        let samples = try nodeFixtureReader().disks()

        func families(_ device: String) -> Int { samples.filter { $0.label("device") == device }.count }
        #expect(families("vda") == 17)
        // 4.18 to 5.4: discards, no flushes.
        #expect(families("dm-0") == 15)
        #expect(nodeSample(samples, "node_disk_flush_requests_total", [("device", "dm-0")]) == nil)
        // Before 4.18: eleven counters.
        #expect(families("nvme0n1") == 11)
        #expect(nodeSample(samples, "node_disk_io_time_weighted_seconds_total", [("device", "nvme0n1")])?.value == 233.427)
        #expect(nodeSample(samples, "node_disk_discards_completed_total", [("device", "nvme0n1")]) == nil)
    }

    @Test(arguments: [
        ("ram0", true), ("loop12", true), ("fd0", true), ("sda1", true), ("hdb2", true), ("vdz9", true),
        ("xvda1", true), ("nvme0n1p1", true), ("nvme10n12p3", true), ("vda15", true),
        ("ram", false), ("sda", false), ("sdaa1", false), ("xvdab1", false), ("xd1", false), ("nvme0n1", false),
        ("nvmen1p1", false), ("nvme0np1", false), ("nvme0n1p", false), ("mmcblk0p1", false), ("dm-0", false),
        ("md127", false), ("zram0", false), ("sr0", false), ("vda", false), ("1", false), ("nvme0n1p1a", false),
    ])
    func excludesDisksAsTheDefaultExpression(name: String, excluded: Bool) {
        // Expected values from Go-compatible `re` on ^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$.
        #expect(NodeMetricsReader.isExcludedDisk(name) == excluded)
    }

    // MARK: - Network

    @Test func readsNetDevWithoutLoopback() throws {
        let samples = try nodeFixtureReader().network()

        #expect(!samples.contains { $0.label("device") == "lo" })
        #expect(samples.filter { $0.label("device") == "ifb0" }.count == 16)
        #expect(samples.allSatisfy { $0.kind == .counter && $0.name.hasSuffix("_total") })
        let eth0: [(String, Double)] = [
            ("receive_bytes", 121_804_342), ("receive_packets", 2858), ("receive_errs", 1), ("receive_drop", 2),
            ("receive_fifo", 3), ("receive_frame", 4), ("receive_compressed", 5), ("receive_multicast", 6),
            ("transmit_bytes", 168_609), ("transmit_packets", 1849), ("transmit_errs", 7), ("transmit_drop", 8),
            ("transmit_fifo", 9), ("transmit_colls", 10), ("transmit_carrier", 11), ("transmit_compressed", 12),
        ]
        for (statistic, value) in eth0 {
            #expect(nodeSample(samples, "node_network_\(statistic)_total", [("device", "eth0")])?.value == Double(value))
        }
    }

    @Test func readsNohandlerFromSysWhereTheFileExists() throws {
        let samples = try nodeFixtureReader().network()

        #expect(nodeSample(samples, "node_network_receive_nohandler_total", [("device", "eth0")])?.value == 5)
        #expect(nodeSample(samples, "node_network_receive_nohandler_total", [("device", "ifb0")]) == nil)
    }

    @Test func readsACounterPrintedAgainstTheColon() {
        let text = """
            Inter-|   Receive                                                |  Transmit
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
              eth0:8812345678 55    1    2    0     0          0         0     7905      75    3    4    0     0       0          0

            """

        let samples = NodeMetricsReader.parseNetDev(text)

        #expect(nodeSample(samples, "node_network_receive_bytes_total", [("device", "eth0")])?.value == 8_812_345_678)
    }

    // MARK: - Filesystems

    @Test func measuresTheMountsTheDefaultExclusionsLeave() throws {
        let samples = try nodeFixtureReader().filesystems()

        var mountPoints: [String] = []
        for mountPoint in samples.compactMap({ $0.label("mountpoint") }) where !mountPoints.contains(mountPoint) {
            mountPoints.append(mountPoint)
        }
        // /proc, /sys, /dev, /dev/shm, /mnt/…, /run, /media/…, /var/lib/docker/… and the cgroup2, overlay
        // and squashfs types are excluded; the second "/" line is the same mount.
        #expect(mountPoints == ["/", "/boot", "/tmp", "/srv/pg data", "/var/lib/docker"])
        let root = [("device", "/dev/vda"), ("fstype", "ext4"), ("mountpoint", "/")]
        #expect(
            nodeSample(samples, "node_filesystem_size_bytes", root)
                == NodeSample(
                    name: "node_filesystem_size_bytes", kind: .gauge,
                    labels: [
                        NodeSample.Label("device", "/dev/vda"), NodeSample.Label("fstype", "ext4"),
                        NodeSample.Label("mountpoint", "/"),
                    ],
                    value: 66_053_021 * 4096
                )
        )
        #expect(nodeSample(samples, "node_filesystem_free_bytes", root)?.value == Double(61_283_546 * 4096))
        #expect(nodeSample(samples, "node_filesystem_avail_bytes", root)?.value == Double(19_997_904 * 4096))
        #expect(nodeSample(samples, "node_filesystem_files", root)?.value == 16_777_216)
        #expect(nodeSample(samples, "node_filesystem_files_free", root)?.value == 16_293_038)
        #expect(nodeSample(samples, "node_filesystem_readonly", root)?.value == 0)
        #expect(nodeSample(samples, "node_filesystem_device_error", root)?.value == 0)
        #expect(samples.filter { $0.label("mountpoint") == "/" }.count == 7)
    }

    @Test func readsReadOnlyFromTheMountOptions() throws {
        let samples = try nodeFixtureReader().filesystems()

        let boot = [("device", "/dev/vda1"), ("fstype", "ext4"), ("mountpoint", "/boot")]
        #expect(nodeSample(samples, "node_filesystem_readonly", boot)?.value == 1)
        #expect(nodeSample(samples, "node_filesystem_size_bytes", boot)?.value == Double(999_320 * 1024))
    }

    @Test func decodesAnEscapedSpaceInTheMountPoint() throws {
        let samples = try nodeFixtureReader().filesystems()

        let data = [("device", "/dev/vdb"), ("fstype", "xfs"), ("mountpoint", "/srv/pg data")]
        #expect(nodeSample(samples, "node_filesystem_avail_bytes", data)?.value == Double(20_000_000 * 4096))
    }

    @Test func givesOnlyDeviceErrorWhenStatvfsFails() throws {
        let samples = try nodeFixtureReader().filesystems()

        let tmp = samples.filter { $0.label("mountpoint") == "/tmp" }
        #expect(
            tmp == [
                NodeSample(
                    name: "node_filesystem_device_error", kind: .gauge,
                    labels: [
                        NodeSample.Label("device", "tmpfs"), NodeSample.Label("fstype", "tmpfs"),
                        NodeSample.Label("mountpoint", "/tmp"),
                    ],
                    value: 1
                )
            ]
        )
    }

    @Test func fallsBackToProcMountsWithoutPIDOnesMounts() throws {
        let samples = try nodeFixtureReader("node-b").filesystems()

        #expect(Set(samples.compactMap { $0.label("mountpoint") }) == ["/", "/boot/efi"])
        let efi = [("device", "/dev/sda1"), ("fstype", "vfat"), ("mountpoint", "/boot/efi")]
        #expect(nodeSample(samples, "node_filesystem_size_bytes", efi)?.value == Double(1_048_576 * 512))
    }

    @Test(arguments: [
        ("/", false), ("/dev", true), ("/dev/shm", true), ("/devices", false), ("/run", true),
        ("/run/user/1000", true), ("/running", false), ("/mnt/x", true), ("/media", true),
        ("/var/lib/docker", false), ("/var/lib/docker/", false), ("/var/lib/docker/x", true),
        ("/var/lib/containers/storage/overlay", true), ("/sys/fs/cgroup", true), ("/srv/pg data", false),
        ("/proc", true),
    ])
    func excludesMountPointsAsTheDefaultExpression(path: String, excluded: Bool) {
        #expect(NodeMetricsReader.isExcludedMountPoint(path) == excluded)
    }

    // MARK: - Whole read

    @Test func leavesOutTheAreasWhoseFilesAreMissing() throws {
        let reader = try nodeFixtureReader("node-b")

        #expect(reader.cpu().isEmpty)
        #expect(reader.memory().isEmpty)
        #expect(reader.load().isEmpty)
        #expect(reader.disks().isEmpty)
        #expect(reader.network().isEmpty)
        #expect(!reader.filesystems().isEmpty)
    }

    @Test func everySampleMatchesItsFamily() throws {
        let samples = try nodeFixtureReader().read()

        #expect(!samples.isEmpty)
        for sample in samples {
            let family = try #require(NodeMetricsReader.family(named: sample.name), "\(sample.name)")
            #expect(family.kind == sample.kind, "\(sample.name)")
            #expect(family.labelNames == sample.labels.map(\.name), "\(sample.name)")
        }
        #expect(NodeMetricsReader.family(named: "node_memory_MemFree_bytes")?.help == "Memory information field MemFree_bytes.")
        #expect(NodeMetricsReader.family(named: "node_disk_info") == nil)
    }

    @Test func noFamilyHasTheSameLabelsTwice() throws {
        let samples = try nodeFixtureReader().read()

        var seen = Set<[String]>()
        for sample in samples {
            let key = [sample.name] + sample.labels.flatMap { [$0.name, $0.value] }
            #expect(seen.insert(key).inserted, "\(key)")
        }
    }

    @Test func declaresEachFixedFamilyOnce() {
        let names = NodeMetricsReader.families.map(\.name)

        #expect(Set(names).count == names.count)
        // 2 CPU, 3 load, 17 disk, 17 network, 7 filesystem.
        #expect(names.count == 46)
    }
}
