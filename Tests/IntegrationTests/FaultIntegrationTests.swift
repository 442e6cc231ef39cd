import AgentSchema
@testable import Collectors
import Foundation
import PostgresNIO
import TestSupport
import Testing

/// What the collectors do when the server, the role or the extension is not what they hope for.
@Suite(.serialized, .timeLimit(.minutes(3))) struct FaultIntegrationTests {
    static var cluster15: TestClusters.Cluster { get throws { try Harness.cluster(named: "pg15") } }

    @Test func serverDownStillShipsHostMetrics() async throws {
        // A port nothing listens on: the cluster's port + 1000 is outside the harness's range.
        let settings = try Harness.agentSettings(Self.cluster15, port: Self.cluster15.port + 1000)
        let payload = try await Harness.withAgentClient(settings) { agent in
            await Harness.collect(Harness.snapshotCollector(agent, settings: try Harness.collectorSettings()))
        }
        #expect(payload.server == nil)
        #expect(payload.errors.contains { $0.collector == "server" && $0.code == "connection_failed" })
        #expect(payload.systemMetrics != nil, "host metrics do not depend on the server")
    }

    @Test func wrongPasswordNeverShowsThePassword() async throws {
        let secret = "wr0ng-S3cret-\(UInt32.random(in: 0...UInt32.max))"
        let settings = try Harness.agentSettings(Self.cluster15, password: secret)
        #expect(!"\(settings)".contains(secret))
        let payload = try await Harness.withAgentClient(settings) { agent in
            await Harness.collect(Harness.snapshotCollector(agent, settings: try Harness.collectorSettings()))
        }
        let entry = try #require(payload.errors.first { $0.collector == "server" })
        #expect(entry.code == "authentication_failed")
        let encoded = String(decoding: try JSONEncoder().encode(payload), as: UTF8.self)
        #expect(!encoded.contains(secret))
        #expect(!encoded.contains("sslmode"), "no conninfo in the payload")
    }

    @Test func missingExtensionIsReportedAndTheRestShips() async throws {
        let settings = try Harness.agentSettings(Self.cluster15, database: "nopgss")
        let payload = try await Harness.withAgentClient(settings) { agent in
            await Harness.collect(Harness.snapshotCollector(agent, settings: try Harness.collectorSettings()))
        }
        let entry = try #require(payload.errors.first { $0.collector == "statements" })
        #expect(entry.code == "extension_missing")
        #expect(entry.hint?.contains("CREATE EXTENSION pg_stat_statements") == true)
        #expect(payload.pgActivity != nil)
        #expect(payload.database != nil)
    }

    @Test func extensionNotPreloadedIsReported() async throws {
        let cluster = try Harness.cluster(named: "pg15nopreload")
        let payload = try await Harness.withAgentClient(try Harness.agentSettings(cluster, database: "postgres")) { agent in
            await Harness.collect(Harness.snapshotCollector(agent, settings: try Harness.collectorSettings()))
        }
        let entry = try #require(payload.errors.first { $0.collector == "statements" })
        #expect(entry.code == "extension_not_loaded")
        #expect(entry.hint?.contains("shared_preload_libraries") == true)
        #expect(payload.pgActivity != nil)
    }

    @Test func roleWithoutPgMonitorGetsMarkedRows() async throws {
        let busy = try await Harness.session(Self.cluster15, applicationName: "bitville-dddd4444")
        _ = try await busy.query("BEGIN", logger: Harness.logger).collect()
        _ = try await busy.query("SELECT 1", logger: Harness.logger).collect()
        let settings = try Harness.agentSettings(Self.cluster15, user: Harness.clusters.nomonitorUser)
        let payload = try await Harness.withAgentClient(settings) { agent in
            await Harness.collect(Harness.snapshotCollector(agent, settings: try Harness.collectorSettings()))
        }
        let hidden = payload.pgActivity?.filter { $0.insufficientPrivilege == true } ?? []
        #expect(!hidden.isEmpty)
        #expect(hidden.allSatisfy { $0.query == nil })
        #expect(payload.errors.contains { $0.collector == "activity" && $0.code == "insufficient_privilege" })
        #expect(payload.errors.contains { $0.collector == "statements" && $0.code == "insufficient_privilege" })
        _ = try await busy.query("ROLLBACK", logger: Harness.logger).collect()
        try await busy.close()
    }

    @Test func statementTimeoutSurfacesAsQueryCanceled() async throws {
        let settings = try Harness.agentSettings(Self.cluster15)
        let error = try await Harness.withAgentClient(settings, statementTimeoutMs: 50) { agent -> CollectorError? in
            do {
                _ = try await agent.client.rows("SELECT pg_sleep(5)", logger: Harness.logger)
                return nil
            } catch {
                return CollectorError.from(error)
            }
        }
        #expect(error?.code == .queryCanceled)
        #expect(error?.sqlState == "57014")
    }

    /// A server error quoting our SQL (a literal, an identifier) never reaches the payload's text.
    @Test func serverErrorsPrintWithoutTheirQueryText() async throws {
        let secret = "s3cret-literal-\(UInt32.random(in: 0...UInt32.max))"
        let settings = try Harness.agentSettings(Self.cluster15)
        let error = try await Harness.withAgentClient(settings) { agent -> CollectorError? in
            do {
                _ = try await agent.client.rows(PostgresQuery(unsafeSQL: "SELECT '\(secret)'::int"), logger: Harness.logger)
                return nil
            } catch {
                #expect(!"\(error)".contains(secret), "postgres-nio's own description is generic")
                return CollectorError.from(error)
            }
        }
        let mapped = try #require(error)
        #expect(mapped.sqlState == "22P02")
        #expect(!"\(mapped)".contains(secret))
        #expect(!String(reflecting: mapped).contains(secret))
        let entry = mapped.entry(collector: "statements")
        #expect(!entry.message.contains(secret) && !(entry.hint ?? "").contains(secret))
    }

    /// Literals in live query texts are redacted; a password statement is masked even with redaction off.
    @Test(arguments: [true, false])
    func queryTextsAreRedacted(redactLiterals: Bool) async throws {
        let literal = "card-\(UInt32.random(in: 0...UInt32.max))"
        let password = "pw-\(UInt32.random(in: 0...UInt32.max))"
        let reader = try await Harness.session(Self.cluster15, applicationName: "bitville-eeee5555")
        let admin = try await Harness.session(Self.cluster15, applicationName: "bitville-ffff6666")
        _ = try await reader.query("BEGIN", logger: Harness.logger).collect()
        _ = try await reader.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM pg_class WHERE relname = '\(literal)' OR relpages > 42"),
                                   logger: Harness.logger).collect()
        _ = try await admin.query("BEGIN", logger: Harness.logger).collect()
        _ = try await admin.query(PostgresQuery(unsafeSQL: "ALTER ROLE \(Harness.clusters.nomonitorUser) PASSWORD '\(password)'"),
                                  logger: Harness.logger).collect()
        var settings = try Harness.collectorSettings()
        settings.redactQueryLiterals = redactLiterals
        let collectorSettings = settings
        let payload = try await Harness.withAgentClient(try Harness.agentSettings(Self.cluster15)) { agent in
            await Harness.collect(Harness.snapshotCollector(agent, settings: collectorSettings))
        }
        let rows = try #require(payload.pgActivity)
        let readerRow = try #require(rows.first { $0.correlationID == "eeee5555" })
        if redactLiterals {
            #expect(readerRow.query == "SELECT count(*) FROM pg_class WHERE relname = ? OR relpages > ?")
        } else {
            #expect(readerRow.query?.contains(literal) == true)
        }
        let adminRow = try #require(rows.first { $0.correlationID == "ffff6666" })
        #expect(adminRow.query == "ALTER ROLE \(Harness.clusters.nomonitorUser) PASSWORD ?")
        let encoded = String(decoding: try JSONEncoder().encode(payload), as: UTF8.self)
        #expect(!encoded.contains(password))
        _ = try await reader.query("ROLLBACK", logger: Harness.logger).collect()
        _ = try await admin.query("ROLLBACK", logger: Harness.logger).collect()
        try await reader.close()
        try await admin.close()
    }

    /// Our sessions are read-only and carry the timeouts we promise. The write tried is one the monitor
    /// role may make (TEMP is granted to PUBLIC, unlike CREATE): the agent's session refuses it as a
    /// read-only transaction (25006), while a plain session of the same role makes it.
    @Test func sessionsAreReadOnlyWithTimeouts() async throws {
        let settings = try Harness.agentSettings(Self.cluster15)
        try await Harness.withAgentClient(settings) { agent in
            let rows = try await agent.client.rows("""
                SELECT current_setting('default_transaction_read_only') AS ro,
                       current_setting('statement_timeout') AS st, current_setting('lock_timeout') AS lt,
                       current_setting('application_name') AS app
                """, logger: Harness.logger)
            let row = try #require(rows.first)
            #expect(try row.value("ro", as: String.self) == "on")
            #expect(try row.value("st", as: String.self) == "5s")
            #expect(try row.value("lt", as: String.self) == "1s")
            #expect(try row.value("app", as: String.self) == "bitville-monitor")
            let refusal: CollectorError?
            do {
                _ = try await agent.client.rows("CREATE TEMP TABLE agent_must_not_write (id int)", logger: Harness.logger)
                refusal = nil
            } catch {
                refusal = CollectorError.from(error)
            }
            #expect(refusal?.sqlState == "25006", "read_only_sql_transaction, not a missing privilege")
        }
        let plain = try await Harness.session(Self.cluster15, user: Harness.clusters.monitorUser,
                                              password: Harness.clusters.monitorPassword)
        _ = try await plain.query("CREATE TEMP TABLE monitor_role_may_write (id int)", logger: Harness.logger).collect()
        try await plain.close()
    }
}
