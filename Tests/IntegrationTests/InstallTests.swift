import Foundation
import TestSupport
import Testing

/// scripts/install.sh into a staging root, and the systemd unit it installs, checked by systemd itself.
@Suite struct InstallTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func installsWithSafePermissionsAndTheUnitPassesSystemdAnalyzeVerify() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.file("root")
        let result = try ChildProcess.run([Self.repository + "/scripts/install.sh", "--binary", try ReferenceListener.binary,
                                           "--destdir", root])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Self.mode(root + "/usr/local/bin/postgres-agent") == 0o755)
        #expect(try Self.mode(root + "/etc/bitville") == 0o750)
        #expect(try Self.mode(root + "/etc/bitville/postgres-agent.ini") == 0o640)
        #expect(try Self.mode(root + "/etc/bitville/postgres-agent.key") == 0o640, "root's key, readable by the agent's group")
        #expect(try Self.mode(root + "/var/lib/bitville-postgres-agent") == 0o750)
        #expect(result.stderr.contains("would chown root:bitville-agent \(root)/etc/bitville/postgres-agent.key"))
        let config = try String(contentsOfFile: root + "/etc/bitville/postgres-agent.ini", encoding: .utf8)
        #expect(config.contains("api_key_file = /etc/bitville/postgres-agent.key"))

        // A second run keeps the operator's configuration and key, and puts loose modes right.
        try (config + "\n; edited by the operator\n").write(toFile: root + "/etc/bitville/postgres-agent.ini", atomically: true, encoding: .utf8)
        try "the-key\n".write(toFile: root + "/etc/bitville/postgres-agent.key", atomically: false, encoding: .utf8)
        chmod(root + "/etc/bitville/postgres-agent.key", 0o666)
        chmod(root + "/etc/bitville/postgres-agent.ini", 0o644)
        let again = try ChildProcess.run([Self.repository + "/scripts/install.sh", "--binary", try ReferenceListener.binary,
                                          "--destdir", root])
        #expect(again.status == 0)
        #expect(try String(contentsOfFile: root + "/etc/bitville/postgres-agent.ini", encoding: .utf8).contains("edited by the operator"))
        #expect(try String(contentsOfFile: root + "/etc/bitville/postgres-agent.key", encoding: .utf8) == "the-key\n")
        #expect(try Self.mode(root + "/etc/bitville/postgres-agent.key") == 0o640)
        #expect(try Self.mode(root + "/etc/bitville/postgres-agent.ini") == 0o640)

        // systemd's own check of the unit, with ExecStart pointing at the staged binary.
        let unit = try String(contentsOfFile: root + "/etc/systemd/system/postgres-agent.service", encoding: .utf8)
        for line in ["Type=notify", "WatchdogSec=", "Restart=on-failure", "NoNewPrivileges=yes", "ProtectSystem=strict",
                     "ProtectHome=yes", "PrivateTmp=yes", "ReadWritePaths=/var/lib/bitville-postgres-agent",
                     "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service", "MemoryMax=", "User=bitville-agent",
                     "ProtectProc=invisible"] {
            #expect(unit.contains(line), "\(line)")
        }
        let staged = scratch.file("postgres-agent.service")
        try unit.replacingOccurrences(of: "/usr/local/bin/postgres-agent", with: root + "/usr/local/bin/postgres-agent")
            .write(toFile: staged, atomically: true, encoding: .utf8)
        let verify = try ChildProcess.run(["/usr/bin/systemd-analyze", "verify", staged])
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stderr.isEmpty, "no warnings: \(verify.stderr)")
    }
}
