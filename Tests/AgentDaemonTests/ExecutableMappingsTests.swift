import AgentDaemon
import Testing

@Suite struct ExecutableMappingsTests {
    static let maps = """
        55d4a0000000-55d4a0400000 r--p 00000000 08:01 1234 /usr/bin/postgres-agent
        55d4a0400000-55d4a3800000 r-xp 00400000 08:01 1234 /usr/bin/postgres-agent
        55d4a3800000-55d4a3a00000 rw-p 03800000 08:01 1234 /usr/bin/postgres-agent
        55d4a3a00000-55d4a3b00000 rw-p 00000000 00:00 0 
        7f00c0000000-7f00c0021000 rw-p 00000000 00:00 0 [heap]
        7f00d0000000-7f00d0200000 r-xp 00000000 08:01 99 /usr/lib/x86_64-linux-gnu/libc.so.6
        7f00e0000000-7f00e0001000 r-xp 00000000 08:01 77 /opt/with space/postgres-agent (deleted)
        """

    @Test func findsTheExecutablesMappingsOnly() {
        let ranges = ExecutableMappings.ranges(in: Self.maps, executable: "/usr/bin/postgres-agent")
        #expect(ranges.map(\.permissions) == ["r--p", "r-xp", "rw-p"])
        #expect(ranges[1].start == 0x55d4a0400000 && ranges[1].bytes == 0x3400000)
        // An upgraded binary shows as deleted; a path with a space is one path.
        #expect(ExecutableMappings.ranges(in: Self.maps, executable: "/opt/with space/postgres-agent").count == 1)
        #expect(ExecutableMappings.ranges(in: "garbage\n1-2 r\n", executable: "/usr/bin/postgres-agent").isEmpty)
    }
}
