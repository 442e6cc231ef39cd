import AsyncHTTPClient
import Delivery
import Foundation
import Listener
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// `postgres-agent run` as a real process: against a database that is down at start and comes up, a
/// listener that goes away and comes back, SIGTERM, SIGHUP, and a fake systemd.
@Suite(.serialized, .timeLimit(.minutes(4))) struct DaemonTests {
    static let apiKey = "key-\(UInt64.random(in: 0...UInt64.max))"
    static let password = "pw-\(UInt64.random(in: 0...UInt64.max))"

    static func config(directory: String, listener: String, metricsPort: Int, servers: String, interval: Int = 1,
                       logLevel: String = "info", metrics: String = "") -> String {
        """
        [agent]
        project = daemon-test
        interval_seconds = \(interval)
        state_dir = \(directory)/state
        log_level = \(logLevel)

        \(servers)

        [listener]
        url = \(listener)
        timeout_ms = 2000

        [metrics]
        listen = 127.0.0.1:\(metricsPort)
        \(metrics)
        """
    }

    /// The daemon over two servers of one host, PG 15 as `first` and PG 16 as `second`, with their
    /// `[postgres:…]` sections (to write the configuration again).
    static func twoServerDaemon(_ scratch: ScratchDirectory, listener: ReferenceListener,
                                metricsPort: Int) throws -> (daemon: DaemonProcess, servers: String) {
        let servers = """
            [postgres:first]
            conninfo = host=127.0.0.1 port=\(try Harness.cluster(named: "pg15").port) dbname=app user=\(Harness.clusters.monitorUser)
            [postgres:second]
            conninfo = host=127.0.0.1 port=\(try Harness.cluster(named: "pg16").port) dbname=app user=\(Harness.clusters.monitorUser)
            """
        let environment = ["POSTGRES_AGENT_LISTENER_API_KEY": apiKey,
                           "POSTGRES_AGENT_POSTGRES_FIRST_PASSWORD": Harness.clusters.monitorPassword,
                           "POSTGRES_AGENT_POSTGRES_SECOND_PASSWORD": Harness.clusters.monitorPassword]
        let daemon = try DaemonProcess(
            directory: scratch.file("daemon"),
            config: config(directory: scratch.path, listener: listener.url, metricsPort: metricsPort, servers: servers),
            environment: environment)
        return (daemon, servers)
    }

    static func stored(_ listener: ReferenceListener) throws -> [BatchStore.Row] {
        try listener.store().rows(limit: 100_000)
    }

    static func object(_ row: BatchStore.Row) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(row.json)) as? [String: Any])
    }

    static func get(_ url: String) async throws -> (Int, String) {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    @Test func databaseDownAtStartListenerAwaySIGTERMAndRestartLoseNothing() async throws {
        let scratch = try ScratchDirectory()
        let cluster = try ThrowawayCluster(port: try TransmitterTests.freePort())
        var listener = try await ReferenceListener(directory: scratch.file("listener"), token: Self.apiKey)
        let listenerPort = try #require(Int(listener.url.split(separator: ":")[2].prefix { $0.isNumber }))
        let metricsPort = try TransmitterTests.freePort()
        let servers = """
            [postgres:throwaway]
            conninfo = host=127.0.0.1 port=\(cluster.port) dbname=postgres user=postgres connect_timeout=2
            log_path = \(cluster.logDirectory)
            log_prefix = auto
            """
        let daemon = try DaemonProcess(
            directory: scratch.file("daemon"),
            config: Self.config(directory: scratch.path, listener: listener.url, metricsPort: metricsPort, servers: servers,
                                logLevel: "debug"),
            environment: ["POSTGRES_AGENT_LISTENER_API_KEY": Self.apiKey,
                          "POSTGRES_AGENT_POSTGRES_THROWAWAY_PASSWORD": Self.password])

        // The database is down: the agent runs on, and its snapshots say why.
        try await Harness.eventually("snapshots while the database is down") {
            try Self.stored(listener).filter { $0.kind == "snapshot" }.count >= 2
        }
        let downSnapshot = try Self.object(try #require(try Self.stored(listener).first { $0.kind == "snapshot" }))
        let errors = try #require(downSnapshot["errors"] as? [[String: Any]])
        #expect(errors.contains { $0["collector"] as? String == "server" }, "\(errors)")
        #expect(downSnapshot["server"] == nil)
        #expect(daemon.notifications().contains { $0.hasPrefix("READY=1") }, "READY=1 once started")

        // It comes up: snapshots carry the server, and the log (asked for its prefix) flows, correlated.
        try cluster.start()
        let failed = try cluster.psql("SELECT 1/0", application: "bitville-4f2a9c1e-aaaa-bbbb-cccc-0123456789ab")
        #expect(failed.status != 0)
        try await Harness.eventually("a snapshot with the server, after it came up", attempts: 1_000) {
            try Self.stored(listener).contains { row in try row.kind == "snapshot" && Self.object(row)["server"] != nil }
        }
        try await Harness.eventually("the division by zero, from the log", attempts: 1_000) {
            _ = try cluster.psql("SELECT 1/0", application: "bitville-4f2a9c1e-aaaa-bbbb-cccc-0123456789ab")
            return try Self.stored(listener).contains { row in
                guard row.kind == "logs" else { return false }
                let events = try Self.object(row)["events"] as? [[String: Any]] ?? []
                return events.contains {
                    ($0["message"] as? String)?.contains("division by zero") == true
                        && $0["correlation_id"] as? String == "4f2a9c1e-aaaa-bbbb-cccc-0123456789ab"
                }
            }
        }
        #expect(daemon.notifications().contains { $0.contains("WATCHDOG=1") }, "the watchdog is fed")
        let (metricsStatus, metrics) = try await Self.get("http://127.0.0.1:\(metricsPort)/metrics")
        #expect(metricsStatus == 200)
        #expect(metrics.contains(#"pgagent_snapshot_cycles_total{instance="throwaway"}"#))
        #expect(metrics.contains("pgagent_send_acknowledged_total"))
        #expect(metrics.contains(#"pgagent_log_entries_total{instance="throwaway"}"#))
        let (healthStatus, _) = try await Self.get("http://127.0.0.1:\(metricsPort)/healthz")
        #expect(healthStatus == 200)

        // The database restarts under the agent: snapshots say it is gone, then carry it again.
        try cluster.stop()
        let beforeRestart = try Self.stored(listener).count
        do {
            try await Harness.eventually("a snapshot while the database is stopped", attempts: 1_000) {
                try Self.stored(listener).dropFirst(beforeRestart).contains { row in
                    try row.kind == "snapshot" && Self.object(row)["server"] == nil
                }
            }
        } catch {
            // Seen once in CI, unexplained: what the daemon said is the evidence.
            Issue.record("the daemon's last log lines:\n\(daemon.logText.split(separator: "\n").suffix(60).joined(separator: "\n"))")
            throw error
        }
        try cluster.start()
        let afterRestart = try Self.stored(listener).count
        try await Harness.eventually("a snapshot with the server after its restart", attempts: 1_000) {
            try Self.stored(listener).dropFirst(afterRestart).contains { row in
                try row.kind == "snapshot" && Self.object(row)["server"] != nil
            }
        }

        // The listener goes away: payloads wait in the spool.
        #expect(listener.stop() == 0)
        let spoolPath = scratch.path + "/state/spool.sqlite"
        try await Harness.eventually("payloads spooled while the listener is away", attempts: 1_000) {
            try await Spool(path: spoolPath, limits: .init(maxBytes: 100 << 20)).status().depth >= 3
        }
        // SIGTERM: a clean exit by itself, inside the unit's TimeoutStopSec=30 (past it systemd kills the
        // agent). That is the contract; how fast the parts stop in order is AgentDaemonTests' business.
        let stopped = try await daemon.terminate()
        #expect(stopped.status == 0)
        #expect(stopped.took < .seconds(30), "took \(stopped.took), past the unit's TimeoutStopSec")
        #expect(daemon.notifications().contains { $0.hasPrefix("STOPPING=1") })
        let waiting = try await Spool(path: spoolPath, limits: .init(maxBytes: 100 << 20)).batchIDs()
        #expect(waiting.count >= 3)

        // Listener and agent back: what waited arrives, once each.
        listener = try await ReferenceListener(directory: scratch.file("listener"), port: listenerPort, token: Self.apiKey)
        defer { listener.stop() }
        try daemon.restart()
        try await Harness.eventually("the spooled payloads after the restart", attempts: 1_000) {
            Set(try Self.stored(listener).map(\.batchID)).isSuperset(of: waiting)
        }
        #expect(try listener.store().counts().duplicates <= 1, "at most the batch in flight at SIGTERM is resent")
        // Everything the listener received is what docs/schema says: snapshots of a server down, up and
        // restarting, and the logs payloads.
        let received = try Self.stored(listener)
        #expect(Set(received.map(\.kind)) == ["snapshot", "logs"])
        try PayloadSchema.expectValid(received.map { String(decoding: $0.json, as: UTF8.self) }, "payloads the listener received")
        let second = try await daemon.terminate()
        #expect(second.status == 0)

        // Every line is a JSON object with the Graylog fields, and no line carries a secret.
        let lines = try daemon.logLines()
        #expect(lines.count > 5)
        #expect(lines.allSatisfy { $0["timestamp"] is String && $0["level"] is String && $0["message"] is String })
        #expect(!daemon.logText.contains(Self.apiKey))
        #expect(!daemon.logText.contains(Self.password))
        #expect(!listener.log.contains(Self.apiKey))
    }

    @Test func twoServersAndSighupWithAGoodThenABadConfiguration() async throws {
        let scratch = try ScratchDirectory()
        let listener = try await ReferenceListener(directory: scratch.file("listener"), token: Self.apiKey)
        defer { listener.stop() }
        let metricsPort = try TransmitterTests.freePort()
        // Two servers on one host: one spool, payloads tagged with each instance's name.
        let (daemon, servers) = try Self.twoServerDaemon(scratch, listener: listener, metricsPort: metricsPort)
        do {
            try await Harness.eventually("snapshots of both servers") {
            Set(try Self.stored(listener).compactMap(\.instance)) == ["first", "second"]
        }
        // Each instance reports its own server (a first cycle may still lack the server part while its
        // connection comes up, so wait for both to show one).
        try await Harness.eventually("each instance reports its own server") {
            let versions = try Self.stored(listener).compactMap { row in
                ((try Self.object(row))["server"] as? [String: Any])?["server_version_num"] as? Int
            }
            return Set(versions.map { $0 / 10_000 }) == [15, 16]
        }
        } catch {
            Issue.record("daemon log: \(daemon.logText.suffix(4000))")
            throw error
        }

        // A good change: a new interval and level, applied without a restart of the process.
        try Self.config(directory: scratch.path, listener: listener.url, metricsPort: metricsPort, servers: servers,
                        interval: 2, logLevel: "debug").write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        try await Harness.eventually("the reload") {
            try daemon.logLines().contains { $0["message"] as? String == "configuration reloaded" && $0["interval_s"] as? String == "2" }
        }
        try await Harness.eventually("debug lines after the reload") {
            try daemon.logLines().contains { $0["level"] as? String == "debug" }
        }

        // A bad one: refused with the key named, the old one stays and snapshots go on.
        try Self.config(directory: scratch.path, listener: listener.url, metricsPort: metricsPort, servers: servers)
            .replacingOccurrences(of: "interval_seconds = 1", with: "intervall = 5")
            .write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        try await Harness.eventually("the refusal") {
            try daemon.logLines().contains {
                $0["message"] as? String == "the new configuration is refused; the one in force stays"
                    && ($0["error"] as? String)?.contains("intervall") == true
            }
        }
        let before = try Self.stored(listener).count
        try await Harness.eventually("snapshots after the refusal") { try Self.stored(listener).count >= before + 2 }
        #expect(daemon.process.exited() == nil)
        let stopped = try await daemon.terminate()
        #expect(stopped.status == 0)
        #expect(!daemon.logText.contains(Self.apiKey))
        #expect(!daemon.logText.contains(Harness.clusters.monitorPassword))
    }

    /// Reloads that land while the snapshot parts are starting: each SIGHUP changes the interval, so both
    /// parts restart, and the next SIGHUP comes as soon as both have restarted, while their first cycle is
    /// connecting (the probe, the pool's first connection, a database visit); the last one is followed by
    /// SIGTERM. Cancelled there, or shut down gracefully, PostgresNIO 1.33 left queries that never
    /// complete: a part stopped for good (no more restarts, no more snapshots) and the daemon outlived
    /// SIGTERM. Before the fix (`ConnectionProbe.connectShielded`, `InstanceRuntime.withClient`) this
    /// test failed in 6 runs of 6; after it, it passed in 8 of 8.
    @Test func reloadsWhilePartsConnectLeaveEveryPartAliveAndStoppable() async throws {
        let scratch = try ScratchDirectory()
        let listener = try await ReferenceListener(directory: scratch.file("listener"), token: Self.apiKey)
        defer { listener.stop() }
        let metricsPort = try TransmitterTests.freePort()
        let (daemon, servers) = try Self.twoServerDaemon(scratch, listener: listener, metricsPort: metricsPort)
        func restarts(_ name: String) throws -> Int {
            try daemon.logLines().count { $0["message"] as? String == "snapshots of \(name) restarts with the new configuration" }
        }
        let counts = { (rows: [BatchStore.Row]) in Dictionary(grouping: rows.compactMap(\.instance), by: { $0 }).mapValues(\.count) }
        // Four lives of the daemon (the window is a few milliseconds wide, and one life crosses it at times).
        var reloads = 0
        for life in 1...4 {
            if life > 1 { try daemon.restart() }
            let start = counts(try Self.stored(listener))
            try await Harness.eventually("snapshots of both servers (life \(life))") {
                let now = counts(try Self.stored(listener))
                return now["first", default: 0] > start["first", default: 0] && now["second", default: 0] > start["second", default: 0]
            }
            for _ in 1...30 {
                reloads += 1
                try Self.config(directory: scratch.path, listener: listener.url, metricsPort: metricsPort, servers: servers,
                                interval: reloads % 2 + 1).write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
                daemon.signal(SIGHUP)
                try await Harness.eventually("both parts restarted for reload \(reloads)") {
                    try restarts("first") >= reloads && restarts("second") >= reloads
                }
            }
            // Every part still collects after the storm.
            let before = counts(try Self.stored(listener))
            try await Harness.eventually("snapshots of both servers after the reloads (life \(life))") {
                let now = counts(try Self.stored(listener))
                return now["first", default: 0] > before["first", default: 0] && now["second", default: 0] > before["second", default: 0]
            }
            // SIGTERM while both parts are starting again (graceful shutdown stopped the pool under a query).
            reloads += 1
            try Self.config(directory: scratch.path, listener: listener.url, metricsPort: metricsPort, servers: servers,
                            interval: reloads % 2 + 1).write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            try await Harness.eventually("both parts restarted for reload \(reloads)") {
                try restarts("first") >= reloads && restarts("second") >= reloads
            }
            let stopped = try await daemon.terminate()
            #expect(stopped.status == 0, "life \(life)")
        }
    }

    /// Any local user can take the metrics port first: the agent runs on without the endpoint, says so
    /// (log with the key, STATUS=), keeps shipping, and serves the endpoint once the port is free.
    @Test func aMetricsPortInUseLeavesTheAgentRunningAndTheEndpointComesBack() async throws {
        let scratch = try ScratchDirectory()
        let listener = try await ReferenceListener(directory: scratch.file("listener"), token: Self.apiKey)
        defer { listener.stop() }
        let metricsPort = try TransmitterTests.freePort()
        let squatter = try await ReferenceListener(directory: scratch.file("squatter"), port: metricsPort, token: "other")
        let daemon = try DaemonProcess(
            directory: scratch.file("daemon"),
            config: Self.config(directory: scratch.path, listener: listener.url, metricsPort: metricsPort,
                                servers: "[postgres]\nconninfo = host=127.0.0.1 port=1 dbname=x connect_timeout=1"),
            environment: ["POSTGRES_AGENT_LISTENER_API_KEY": Self.apiKey])
        try await Harness.eventually("the endpoint's failure is logged with its key", attempts: 1_000) {
            daemon.logText.contains("metrics.listen")
        }
        try await Harness.eventually("STATUS= says the endpoint is down", attempts: 1_000) {
            daemon.notifications().contains { $0.contains("METRICS ENDPOINT DOWN: cannot listen on 127.0.0.1:\(metricsPort)") }
        }
        try await Harness.eventually("snapshots still arrive", attempts: 1_000) {
            try Self.stored(listener).filter { $0.kind == "snapshot" }.count >= 2
        }
        #expect(daemon.process.exited() == nil, "the agent runs on")
        // The port is freed: the retry (1 s doubling) takes it.
        #expect(squatter.stop() == 0)
        try await Harness.eventually("the endpoint serves once the port is free", attempts: 2_000) {
            let (status, body) = try await Self.get("http://127.0.0.1:\(metricsPort)/metrics")
            return status == 200 && body.contains("pgagent_snapshot_cycles_total")
        }
        let stopped = try await daemon.terminate()
        #expect(stopped.status == 0)
        #expect(!daemon.logText.contains(Self.apiKey))
    }
}
