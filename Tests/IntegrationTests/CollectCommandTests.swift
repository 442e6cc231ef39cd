import Foundation
import TestSupport
import Testing

/// `postgres-agent collect --once` as an operator runs it: the real binary, a real server.
@Suite(.serialized, .timeLimit(.minutes(3))) struct CollectCommandTests {
    static var cluster: TestClusters.Cluster { get throws { try Harness.cluster(named: "pg17") } }

    var binary: String {
        get throws {
            try #require(ProcessInfo.processInfo.environment["PGAGENT_BINARY"],
                         "PGAGENT_BINARY is not set: run the suite through scripts/test.sh")
        }
    }

    func environment(_ extra: [String: String]) -> [String: String] {
        var environment = ["PATH": "/usr/bin:/bin", "HOME": "/nonexistent"]
        environment.merge(extra) { _, new in new }
        return environment
    }

    var dsn: String {
        get throws { "host=127.0.0.1 port=\(try Self.cluster.port) user=\(Harness.clusters.monitorUser) dbname=app sslmode=disable" }
    }

    @Test func printsOneSnapshotAndKeepsDeltaState() throws {
        let stateDir = FileManager.default.temporaryDirectory.appendingPathComponent(Harness.unique("cli-state")).path
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        let env = environment([
            "PGPASSWORD": Harness.clusters.monitorPassword,
            "POSTGRES_AGENT_AGENT_STATE_DIR": stateDir,
            "POSTGRES_AGENT_COLLECTORS_BASELINE_WINDOW_MS": "100",
            "POSTGRES_AGENT_AGENT_PROJECT": "cli-test",
        ])
        for run in 1...2 {
            let result = try ChildProcess.run([try binary, "collect", "--once", "--dsn", dsn], environment: env)
            #expect(result.status == 0, "run \(run): \(result.stderr)")
            #expect(!result.stdout.contains(Harness.clusters.monitorPassword))
            #expect(!result.stderr.contains(Harness.clusters.monitorPassword))
            let payload = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(payload["schema_version"] as? Int == 1)
            #expect(payload["kind"] as? String == "snapshot")
            #expect(payload["project"] as? String == "cli-test")
            #expect((payload["batch_id"] as? String)?.count == 36)
            let server = try #require(payload["server"] as? [String: Any])
            #expect((server["server_version_num"] as? Int).map { $0 / 10000 } == 17)
            let info = try #require(payload["statements_info"] as? [String: Any])
            #expect(info["baseline"] as? Bool == false, "run \(run): a delta, from the baseline window or saved state")
            let host = try #require(payload["system_metrics"] as? [String: Any])
            #expect((host["cpu"] as? [String: Any])?["percent"] is Double, "run \(run): a complete snapshot has cpu.percent")
            #expect(payload["pg_activity"] is [Any])
            #expect(payload["system_metrics"] is [String: Any])
            #expect((payload["errors"] as? [Any])?.isEmpty == true, "\(payload["errors"] ?? "")")
            try PayloadSchema.expectValid([result.stdout], "collect --once, run \(run)")
        }
        #expect(FileManager.default.fileExists(atPath: stateDir + "/statements-default.sqlite"))
    }

    @Test func aSecondServerFindsTheFirstOnesStateAndStillGetsACompleteSnapshot() throws {
        // Two servers, one state directory: the second finds the first one's statement state (another
        // system identifier), which is no baseline for it.
        let stateDir = FileManager.default.temporaryDirectory.appendingPathComponent(Harness.unique("cli-two")).path
        defer { try? FileManager.default.removeItem(atPath: stateDir) }
        let env = environment([
            "PGPASSWORD": Harness.clusters.monitorPassword, "POSTGRES_AGENT_AGENT_STATE_DIR": stateDir,
            "POSTGRES_AGENT_COLLECTORS_BASELINE_WINDOW_MS": "100",
        ])
        for name in ["pg16", "pg17"] {
            let cluster = try Harness.cluster(named: name)
            let dsn = "host=127.0.0.1 port=\(cluster.port) user=\(Harness.clusters.monitorUser) dbname=app sslmode=disable"
            let result = try ChildProcess.run([try binary, "collect", "--once", "--dsn", dsn], environment: env)
            #expect(result.status == 0, "\(name): \(result.stderr)")
            let payload = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let info = try #require(payload["statements_info"] as? [String: Any])
            #expect(info["baseline"] as? Bool == false, "\(name): statement deltas")
            #expect((info["resets"] as? [String])?.isEmpty == true, "\(name): \(info)")
            let host = try #require(payload["system_metrics"] as? [String: Any])
            #expect((host["cpu"] as? [String: Any])?["percent"] is Double, "\(name): cpu.percent")
        }
    }

    @Test func badConfigurationExits78NamingTheKey() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(Harness.unique("bad") + ".ini").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "[agent]\ninterval_seconds = often\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try ChildProcess.run([try binary, "collect", "--once", "--config", file], environment: environment([:]))
        #expect(result.status == 78)
        #expect(result.stderr.contains("agent.interval_seconds"))
        #expect(!result.stderr.contains("often"), "the message names the key, not the value")
    }

    @Test func passwordInTheConfigurationFileIsRefusedWithoutEchoingIt() throws {
        let secret = "s3cr3t-\(UInt32.random(in: 0...UInt32.max))"
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(Harness.unique("pw") + ".ini").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "[postgres]\npassword = \(secret)\n".write(toFile: file, atomically: true, encoding: .utf8)
        let result = try ChildProcess.run([try binary, "collect", "--once", "--config", file], environment: environment([:]))
        #expect(result.status == 78)
        #expect(result.stderr.contains("password_file"))
        #expect(!result.stderr.contains(secret))
    }

    @Test func passwordOnTheCommandLineIsRefused() throws {
        let secret = "cl1-\(UInt32.random(in: 0...UInt32.max))"
        let result = try ChildProcess.run([try binary, "collect", "--once", "--dsn", "\(dsn) password=\(secret)"],
                                          environment: environment([:]))
        #expect(result.status == 64)
        #expect(!result.stderr.contains(secret))
        #expect(!result.stdout.contains(secret))
    }

    @Test func collectWithoutOnceIsAUsageError() throws {
        let result = try ChildProcess.run([try binary, "collect"], environment: environment([:]))
        #expect(result.status == 64)
        #expect(result.stderr.contains("--once"))
    }

    @Test func unreachableServerStillPrintsASnapshotWithErrors() throws {
        let result = try ChildProcess.run(
            [try binary, "collect", "--once", "--dsn", "host=127.0.0.1 port=\(Self.cluster.port + 1000) user=x sslmode=disable"],
            environment: environment(["POSTGRES_AGENT_COLLECTORS_BASELINE_WINDOW_MS": "0",
                                      "POSTGRES_AGENT_AGENT_STATE_DIR": "/dev/null/state"]))
        #expect(result.status == 0, "\(result.stderr)")
        let payload = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let errors = try #require(payload["errors"] as? [[String: Any]])
        #expect(errors.contains { $0["collector"] as? String == "server" && $0["code"] as? String == "connection_failed" })
        #expect(payload["system_metrics"] != nil)
        try PayloadSchema.expectValid([result.stdout], "collect --once of a server that is down")
    }
}
