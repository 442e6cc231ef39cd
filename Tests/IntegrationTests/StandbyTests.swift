import Foundation
import Listener
import TestSupport
import Testing

/// A real standby (pg_basebackup of a throwaway primary, streaming): what the agent reports of it.
@Suite(.serialized, .timeLimit(.minutes(3))) struct StandbyTests {
    @Test func aStandbyShowsItsReplayAgeAsReplicationLagAndItsWALReceiver() async throws {
        let primary = try ThrowawayCluster(port: try TransmitterTests.freePort())
        try primary.start()
        defer { try? primary.stop() }
        let standby = try ThrowawayCluster(port: try TransmitterTests.freePort(), standbyOf: primary)
        try standby.start()
        defer { try? standby.stop() }

        // A transaction for the standby to replay; its commit time bounds the replay age from below.
        let written = Date().timeIntervalSince1970
        let write = try primary.psql("CREATE TABLE replicated (id int); INSERT INTO replicated VALUES (1)")
        try #require(write.status == 0, "\(write.stderr)")
        try await Harness.eventually("the standby replays the primary's transaction") {
            try standby.psql("SELECT CASE WHEN count(*) = 1 THEN 'replayed' END FROM replicated").stdout.contains("replayed")
        }

        let scratch = try ScratchDirectory()
        let listener = try await ReferenceListener(directory: scratch.file("listener"), token: ExporterNamesTests.apiKey)
        defer { listener.stop() }
        let metricsPort = try TransmitterTests.freePort()
        let servers = """
            [postgres]
            conninfo = host=127.0.0.1 port=\(standby.port) dbname=postgres user=postgres connect_timeout=3
            databases = none
            """
        let daemon = try DaemonProcess(
            directory: scratch.file("daemon"),
            config: DaemonTests.config(directory: scratch.path, listener: listener.url, metricsPort: metricsPort,
                                       servers: servers),
            environment: ["POSTGRES_AGENT_LISTENER_API_KEY": ExporterNamesTests.apiKey])

        var lag: Double?
        try await Harness.eventually("pg_replication_lag on /metrics") {
            let scrape = try await ExporterNamesTests.scrape("http://127.0.0.1:\(metricsPort)/metrics")
            lag = scrape.values["pg_replication_lag"]?.values.first
            return lag != nil
        }
        let seen = try #require(lag)
        #expect(seen >= 0 && seen <= Date().timeIntervalSince1970 - written + 1, "\(seen) s")

        var snapshot: [String: Any] = [:]
        try await Harness.eventually("a snapshot of the standby is stored") {
            guard let row = try DaemonTests.stored(listener).last(where: { try $0.kind == "snapshot" && DaemonTests.object($0)["server"] != nil })
            else { return false }
            snapshot = try DaemonTests.object(row)
            return true
        }
        let server = try #require(snapshot["server"] as? [String: Any])
        #expect(server["in_recovery"] as? Bool == true)
        #expect((server["replay_age_seconds"] as? Double).map { $0 >= 0 } == true, "\(server)")
        let database = try #require(snapshot["database"] as? [String: Any])
        let receiver = try #require(database["wal_receiver"] as? [String: Any], "a standby has a WAL receiver")
        #expect(receiver["status"] as? String == "streaming")
        #expect(receiver["sender_port"] as? Int == primary.port)

        let (status, _) = try await daemon.terminate()
        #expect(status == 0)
    }
}
