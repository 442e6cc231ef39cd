import AgentSchema
import SQLRedaction
import Foundation
@testable import LogPipeline
import Testing

@Suite struct LogClassifierTests {
    private let classifier: LogClassifier
    private let literalsKept: LogClassifier

    init() throws {
        classifier = LogClassifier(redactor: SQLRedactor(), correlation: try CorrelationExtractor())
        literalsKept = LogClassifier(redactor: SQLRedactor(redactLiterals: false), correlation: try CorrelationExtractor())
    }

    // MARK: Every class on real logs

    @Test func everyClassIsRecognisedOnTheRealLogs() throws {
        let all: Set<LogEventClass> = [
            .slowQuery, .autoExplain, .error, .lockWait, .deadlock, .tempFile, .checkpoint, .autovacuum,
            .autoanalyze, .connection, .authentication, .authenticationFailed, .disconnection, .other,
            .syntaxError, .constraintViolation, .configurationReload,
        ]
        for name in ["pg17-workload.json", "pg17-workload.csv", "pg14-workload.csv"] {
            let events = try classified(name)
            #expect(Set(events.compactMap(\.event)) == all, "\(name)")
            #expect(events.allSatisfy { $0.event != nil })
        }
    }

    @Test func slowQueriesCarryDurationStatementAndParameters() throws {
        for name in ["pg17-workload.json", "pg14-workload.csv"] {
            let events = try classified(name)
            let bind = try #require(events.first { $0.message?.contains("  bind <unnamed>: SELECT id, owner") == true })
            #expect(bind.event == .slowQuery && bind.durationMs != nil)
            #expect(bind.details?["phase"] == .string("bind") && bind.details?["prepared_name"] == .string("<unnamed>"))
            #expect(bind.details?["statement"] == .string("SELECT id, owner FROM accounts WHERE id = $1 AND owner = $2 "))
            #expect(bind.details?["parameters"] == .string("$1 = ?, $2 = ?"))
            #expect(bind.detail?.lowercased() == "parameters: $1 = ?, $2 = ?")
            #expect(bind.correlationID == "5f3a9c0e1d2b")

            let execute = try #require(events.first { $0.message?.contains("statement: EXECUTE getacc") == true })
            #expect(execute.message?.hasSuffix("statement: EXECUTE getacc(?, ?);") == true)
            #expect(execute.details?["prepare"] == .string("PREPARE getacc(int, text) AS SELECT * FROM accounts WHERE id = $1 AND owner = $2;"))

            let multiline = try #require(events.first { $0.message?.contains("FROM accounts\n WHERE owner =") == true })
            #expect(multiline.details?["statement"] == .string("SELECT id,\n       owner\n  FROM accounts\n WHERE owner = ?\n   AND id IN (?);"))
            #expect(multiline.details?["duration_ms"] == multiline.durationMs.map { .number($0) })
        }
    }

    @Test func autoExplainPlansMoveToDetailsRedacted() throws {
        let events = try classified("pg17-workload.json")
        let plans = events.filter { $0.event == .autoExplain }
        #expect(plans.count == 2)
        let text = try #require(plans.first { $0.details?["format"] == .string("text") })
        #expect(text.message?.hasPrefix("duration: ") == true && text.message?.hasSuffix(" ms  plan:") == true)
        guard case .string(let plan) = text.details?["plan"] else {
            Issue.record("text plan missing")
            return
        }
        #expect(plan.hasPrefix("Query Text: SELECT count(*) FROM accounts WHERE owner = ? AND id < ?\nAggregate  (cost="))
        #expect(plan.contains("Index Cond: (id < ?)") && plan.contains("Filter: (owner = ?::text)"))
        #expect(plan.contains("rows=1 width=8"))

        let json = try #require(plans.first { $0.details?["format"] == .string("json") })
        guard case .object(let document) = json.details?["plan"], case .object(let node) = document["Plan"] else {
            Issue.record("json plan missing")
            return
        }
        #expect(document["Query Text"] == .string("SELECT id FROM accounts WHERE id = ? OR owner LIKE ?"))
        #expect(node["Filter"] == .string("((id = ?) OR (owner ~~ ?::text))"))
        #expect(node["Node Type"] == .string("Seq Scan") && node["Plan Rows"] == .integer(1))
        #expect(json.durationMs != nil)
    }

    @Test func errorsCarryTheirSQLStateAndRedactedStatements() throws {
        let events = try classified("pg17-workload.json")
        let division = events.filter { $0.message == "division by zero" }
        #expect(division.count == 3 && division.allSatisfy { $0.event == .error && $0.details == ["sqlstate": .string("22012")] })
        let inFunction = try #require(division.first { $0.context?.hasPrefix("SQL expression") == true })
        #expect(inFunction.context == "SQL expression \"(SELECT x / ? FROM accounts WHERE id = ? AND owner <> ?)\"\nPL/pgSQL function f(integer) line 1 at RETURN")
        #expect(inFunction.statement == "SELECT f(?);")
        let bound = try #require(division.first { $0.context?.contains("portal") == true })
        #expect(bound.context == "unnamed portal with parameters: $1 = ?")
        let custom = try #require(events.first { $0.message == "custom failure 42" })
        #expect(custom.event == .error && custom.hint == "try again" && custom.detail == "some detail")
        let fatal = try #require(events.first { $0.severity == .fatal })
        #expect(fatal.event == .authenticationFailed)
    }

    @Test func lockWaitsNameTheLockTheWaitAndTheHolders() throws {
        let events = try classified("pg17-workload.json")
        let waits = events.filter { $0.event == .lockWait }
        #expect(waits.count == 5)
        let waiting = try #require(waits.first { $0.details?["state"] == .string("waiting") })
        guard case .integer(let pid) = waiting.details?["pid"] else {
            Issue.record("no pid")
            return
        }
        #expect(Int(pid) == waiting.pid)
        #expect(waiting.details?["lock_mode"] == .string("ShareLock") && waiting.details?["lock_type"] == .string("transaction"))
        #expect(waiting.details?["waiters"] == .array([.integer(pid)]))
        guard case .array(let holders) = waiting.details?["holders"], case .number(let waited) = waiting.details?["waited_ms"] else {
            Issue.record("no holders or wait")
            return
        }
        #expect(holders.count == 1 && waited >= 100)
        #expect(waiting.statement == "UPDATE accounts SET balance = balance - ? WHERE id = ?")
        #expect(waits.contains { $0.details?["state"] == .string("acquired") })
        let detected = try #require(waits.first { $0.details?["state"] == .string("deadlock_detected") })
        #expect(detected.details?["waiters"] == .array([]))
    }

    @Test func deadlocksListTheProcessesFromDetail() throws {
        for name in ["pg17-workload.json", "pg14-workload.csv"] {
            let deadlock = try #require(try classified(name).first { $0.event == .deadlock })
            guard case .array(let processes) = deadlock.details?["processes"], processes.count == 2,
                  case .object(let first) = processes[0], case .object(let second) = processes[1] else {
                Issue.record("processes missing in \(name)")
                continue
            }
            #expect(first["blocked_by"] == second["pid"] && second["blocked_by"] == first["pid"])
            #expect(first["statement"] == .string("UPDATE accounts SET balance = ? WHERE id = ?"))
            #expect(first["lock_mode"] == .string("ShareLock") && first["lock_type"] == .string("transaction"))
            #expect(deadlock.details?["sqlstate"] == .string("40P01"))
            #expect(deadlock.detail?.contains("WHERE id = ?") == true && deadlock.detail?.contains("= 10") == false)
        }
    }

    @Test func tempFilesCheckpointsAndMaintenanceHaveTheirFigures() throws {
        for name in ["pg17-workload.json", "pg14-workload.csv"] {
            let events = try classified(name)
            let temp = try #require(events.first { $0.event == .tempFile })
            #expect(temp.details?["size_bytes"] == .integer(1_400_000))
            #expect(temp.details?["path"].map { "\($0)".contains("base/pgsql_tmp/pgsql_tmp") } == true)

            let checkpoints = events.filter { $0.event == .checkpoint }
            #expect(checkpoints.count == 2)
            #expect(checkpoints[0].details?["kind"] == .string("starting"))
            #expect(checkpoints[0].details?["flags"] == .array([.string("immediate"), .string("force"), .string("wait")]))
            let complete = checkpoints[1].details ?? [:]
            #expect(complete["kind"] == .string("complete"))
            for key in ["buffers_written", "buffers_percent", "wal_files_added", "wal_files_removed", "wal_files_recycled",
                        "write_s", "sync_s", "total_s", "sync_files", "longest_s", "average_s", "distance_kb", "estimate_kb"] {
                #expect(complete[key] != nil, "\(key) in \(name)")
            }

            let vacuum = try #require(events.first { $0.event == .autovacuum && $0.details?["table"] == .string("app.public.big") })
            #expect(vacuum.details?["tuples_removed"] == .integer(15000) && vacuum.details?["tuples_remain"] == .integer(5000))
            #expect(vacuum.details?["pages_removed"] == .integer(0) && vacuum.details?["pages_remain"] == .integer(207))
            #expect(vacuum.details?["index_scans"] == .integer(0) && vacuum.details?["aggressive"] == .bool(false))
            for key in ["buffer_hits", "wal_records", "wal_bytes", "read_rate_mb_s", "write_rate_mb_s", "elapsed_s", "cpu_user_s"] {
                #expect(vacuum.details?[key] != nil, "\(key) in \(name)")
            }
            let analyze = try #require(events.first { $0.event == .autoanalyze && $0.details?["table"] == .string("app.public.big") })
            #expect(analyze.details?["elapsed_s"] != nil && analyze.details?["buffer_hits"] != nil)
        }
    }

    /// Every figure of a PG 17 autovacuum entry, index line included, and of an autoanalyze one: the
    /// statistics lines are read over their bytes, so the whole of `details` is pinned here (the values
    /// the `Substring` reading gave, compared on 5 MB of a real server's log when the byte reading came).
    @Test func everyFigureOfAnAutovacuumAndAnAutoanalyzeEntry() {
        var vacuum = event("""
            automatic vacuum of table "postgres.pg_catalog.pg_statistic": index scans: 1
            pages: 0 removed, 20 remain, 20 scanned (100.00% of total)
            tuples: 33 removed, 410 remain, 0 are dead but not yet removable
            removable cutoff: 1605, which was 0 XIDs old when operation ended
            new relfrozenxid: 1588, which is 858 XIDs ahead of previous value
            frozen: 0 pages from table (0.00% of total) had 0 tuples frozen
            index scan needed: 3 pages from table (15.00% of total) had 33 dead item identifiers removed
            index "pg_statistic_relid_att_inh_index": pages: 4 in total, 0 newly deleted, 0 currently deleted, 0 reusable
            I/O timings: read: 0.087 ms, write: 0.000 ms
            avg read rate: 241.127 MB/s, avg write rate: 0.000 MB/s
            buffer usage: 68 hits, 15 misses, 0 dirtied
            WAL usage: 15 records, 0 full page images, 1327 bytes
            system usage: CPU: user: 0.01 s, system: 0.00 s, elapsed: 1.25 s
            """)
        classifier.classify(&vacuum)
        #expect(vacuum.event == .autovacuum)
        #expect(vacuum.details == [
            "aggressive": .bool(false), "wraparound": .bool(false), "table": .string("postgres.pg_catalog.pg_statistic"),
            "index_scans": .integer(1), "pages_removed": .integer(0), "pages_remain": .integer(20), "pages_scanned": .integer(20),
            "tuples_removed": .integer(33), "tuples_remain": .integer(410), "tuples_dead_not_yet_removable": .integer(0),
            "removable_cutoff": .integer(1605), "new_relfrozenxid": .integer(1588),
            "frozen_pages": .integer(0), "frozen_tuples": .integer(0),
            "indexes": .array([.object(["name": .string("pg_statistic_relid_att_inh_index"), "pages_in_total": .integer(4),
                                        "pages_newly_deleted": .integer(0), "pages_currently_deleted": .integer(0),
                                        "pages_reusable": .integer(0)])]),
            "io_read_ms": .number(0.087), "io_write_ms": .number(0), "read_rate_mb_s": .number(241.127),
            "write_rate_mb_s": .number(0), "buffer_hits": .integer(68), "buffer_misses": .integer(15),
            "buffer_dirtied": .integer(0), "wal_records": .integer(15), "wal_full_page_images": .integer(0),
            "wal_bytes": .integer(1327), "cpu_user_s": .number(0.01), "cpu_system_s": .number(0), "elapsed_s": .number(1.25),
        ])
        var analyze = event("""
            automatic analyze of table "app.churn.t29"
            I/O timings: read: 0.171 ms, write: 0.000 ms
            avg read rate: 234.375 MB/s, avg write rate: 54.688 MB/s
            buffer usage: 285 hits, 30 misses, 7 dirtied
            system usage: CPU: user: 0.00 s, system: 0.00 s, elapsed: 0.00 s
            """)
        classifier.classify(&analyze)
        #expect(analyze.event == .autoanalyze)
        #expect(analyze.details == [
            "table": .string("app.churn.t29"), "io_read_ms": .number(0.171), "io_write_ms": .number(0),
            "read_rate_mb_s": .number(234.375), "write_rate_mb_s": .number(54.688), "buffer_hits": .integer(285),
            "buffer_misses": .integer(30), "buffer_dirtied": .integer(7), "cpu_user_s": .number(0), "cpu_system_s": .number(0),
            "elapsed_s": .number(0),
        ])
    }

    /// Numbers read from bytes are the ones `Int64(_:)` and `Double(_:)` give, odd forms included.
    @Test func numbersFromBytesAreTheStandardLibrarys() {
        for text in ["0", "-0", "7", "-12", "0.00", "-0.50", "241.127", "100.00", "123456789012345", "1234567890123456",
                     "0.1", "2.675", "12.", ".5", "+3", "1e3", "1.2.3", "-", "", "abc", "99999999999999999999", "3.14159265358979"] {
            let bytes = Array(text.utf8)
            let fromBytes = bytes.withUnsafeBufferPointer { LogClassifier.number($0) }
            #expect(fromBytes == LogClassifier.number(Substring(text)), "\(text)")
        }
    }

    @Test func newerCheckpointAndConnectionFormatsAreRead() {
        var checkpoint = event("checkpoint complete: wrote 5 buffers (0.0%), wrote 3 SLRU buffers; 0 WAL file(s) added, 0 removed, 1 recycled; write=0.101 s, sync=0.002 s, total=0.110 s; sync files=4, longest=0.001 s, average=0.001 s; distance=12 kB, estimate=40 kB; lsn=0/1A2B3C8, redo lsn=0/1A2B370")
        classifier.classify(&checkpoint)
        #expect(checkpoint.details?["buffers_written"] == .integer(5) && checkpoint.details?["slru_buffers_written"] == .integer(3))
        #expect(checkpoint.details?["wal_files_recycled"] == .integer(1) && checkpoint.details?["redo_lsn"] == .string("0/1A2B370"))
        var restart = event("restartpoint complete: fast force wait: wrote 1 buffers (0.0%); 0 WAL file(s) added, 0 removed, 0 recycled; write=0.001 s, sync=0.001 s, total=0.003 s")
        classifier.classify(&restart)
        #expect(restart.event == .checkpoint && restart.details?["type"] == .string("restartpoint"))
        #expect(restart.details?["flags"] == .array([.string("fast"), .string("force"), .string("wait")]))
        var failed = event("checkpoint request failed", severity: .error)
        classifier.classify(&failed)
        #expect(failed.event == .error)
        var frequent = event("checkpoints are occurring too frequently (9 seconds apart)")
        classifier.classify(&frequent)
        #expect(frequent.event == .checkpointTooFrequent && frequent.details?["seconds_apart"] == .integer(9))
        var lost = event("connection to client lost", severity: .fatal)
        classifier.classify(&lost)
        #expect(lost.event == .error)
        var ready = event("connection ready: setup total=8.517 ms, fork=0.610 ms, authentication=2.331 ms")
        classifier.classify(&ready)
        #expect(ready.event == .connection && ready.details?["stage"] == .string("ready"))
        #expect(ready.details?["total_ms"] == .number(8.517) && ready.details?["authentication_ms"] == .number(2.331))
        var ssl = event("connection authorized: user=app database=shop application_name=bitville-42 SSL enabled (protocol=TLSv1.3, cipher=TLS_AES_256_GCM_SHA384, bits=256)")
        classifier.classify(&ssl)
        #expect(ssl.details?["application_name"] == .string("bitville-42") && ssl.details?["ssl"] == .bool(true))
    }

    @Test func sessionsAreConnectionAuthenticationAndDisconnection() throws {
        let events = try classified("pg17-workload.json")
        let received = try #require(events.first { $0.message == "connection received: host=[local]" })
        #expect(received.event == .connection && received.details == ["stage": .string("received"), "host": .string("[local]")])
        let authorized = try #require(events.first { $0.message?.hasSuffix("application_name=bitville-cafe01") == true })
        #expect(authorized.details == [
            "stage": .string("authorized"), "user": .string("bitville_monitor"), "database": .string("postgres"),
            "application_name": .string("bitville-cafe01"),
        ])
        let scram = try #require(events.first { $0.message?.contains("identity=") == true })
        #expect(scram.event == .authentication)
        #expect(scram.details?["identity"] == .string("bitville_monitor") && scram.details?["method"] == .string("scram-sha-256"))
        #expect(scram.details?["failure"] == .bool(false))
        let failed = try #require(events.first { $0.sqlstate == "28P01" })
        #expect(failed.event == .authenticationFailed && failed.details?["failure"] == .bool(true))
        #expect(failed.details?["user"] == .string("bitville_monitor") && failed.details?["method"] == .string("password"))
        #expect(failed.details?["hba_method"] == .string("scram-sha-256"))
        let bye = try #require(events.first { $0.event == .disconnection && $0.message?.contains("port=") == true })
        #expect(bye.details?["port"] != nil && bye.details?["user"] == .string("bitville_monitor"))
        #expect(bye.durationMs != nil && bye.details?["session_time_ms"] == bye.durationMs.map { .number($0) })
        var long = event("disconnection: session time: 26:03:07.250 user=u database=d host=10.0.0.1 port=5000")
        classifier.classify(&long)
        #expect(long.durationMs == 93_787_250)
    }

    // MARK: Redaction

    @Test func noLiteralOfTheWorkloadSurvivesRedaction() throws {
        let encoder = JSONEncoder()
        for name in ["pg17-workload.json", "pg17-workload.csv", "pg14-workload.csv"] {
            let text = String(decoding: try encoder.encode(try classified(name)), as: UTF8.self)
            for secret in ["owner 42", "owner 7", "O''Brien", "hunter", "nobody", "x%", "Grüße", "64kB", "custom failure %"] {
                #expect(!text.contains(secret), "\(secret) in \(name)")
            }
        }
    }

    /// The stderr parser's fixture sets (Fixtures/<set>/postgresql.{csv,json}) include German and French
    /// servers: statements in translated messages must not leak either.
    @Test func noLiteralLeaksFromAnyFixtureSetInAnyLanguage() throws {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let sets = try FileManager.default.contentsOfDirectory(atPath: root.path).filter {
            FileManager.default.fileExists(atPath: root.appendingPathComponent("\($0)/postgresql.json").path)
        }
        let encoder = JSONEncoder()
        for set in sets {
            for format in ["csv", "json"] {
                let text = String(decoding: try encoder.encode(try classified("\(set)/postgresql.\(format)")), as: UTF8.self)
                for secret in ["a literal with", "'maintenance window", "'dup'", "'64kB'"] {
                    #expect(!text.contains(secret), "\(secret) in \(set)/\(format)")
                }
            }
        }
    }

    @Test func translatedStatementsAreClassifiedAndRedacted() {
        var german = event("Dauer: 1.234 ms  Anweisung: SELECT * FROM t WHERE a = 'geheim'")
        classifier.classify(&german)
        #expect(german.event == .slowQuery && german.message == "Dauer: 1.234 ms  Anweisung: SELECT * FROM t WHERE a = ?")
        #expect(german.durationMs == 1.234 && german.details?["statement"] == .string("SELECT * FROM t WHERE a = ?"))
        var french = event("durée : 0.046 ms, exécute <unnamed> : SELECT $1")
        french.detail = "Paramètres : $1 = 'secret'"
        classifier.classify(&french)
        #expect(french.message == "durée : 0.046 ms, exécute <unnamed> : SELECT $1")
        #expect(french.detail == "Paramètres : $1 = ?")
        var deadlock = event("Verklemmung (Deadlock) entdeckt", severity: .error)
        deadlock.sqlstate = "40P01"
        deadlock.detail = "Prozess 7 wartet auf ShareLock-Sperre auf Transaktion 782; blockiert von Prozess 9.\nProzess 7: UPDATE t SET a = 'x'\n  WHERE b = 2\nProcessus 9 : UPDATE t SET a = 'y'"
        classifier.classify(&deadlock)
        #expect(deadlock.detail == "Prozess 7 wartet auf ShareLock-Sperre auf Transaktion 782; blockiert von Prozess 9.\nProzess 7: UPDATE t SET a = ?\n  WHERE b = ?\nProcessus 9 : UPDATE t SET a = ?")
        #expect(deadlock.details?["processes"] == .array([
            .object(["pid": .integer(7), "statement": .string("UPDATE t SET a = ?\n  WHERE b = ?")]),
            .object(["pid": .integer(9), "statement": .string("UPDATE t SET a = ?")]),
        ]))
    }

    /// Text that is no statement still loses its passwords: a connection string's `password=` and a
    /// URI's `user:password@`, in any field, whatever the message's language.
    @Test func passwordsInFreeTextAreMasked() {
        var fdw = event("could not connect to server \"remote\"", severity: .error)
        fdw.detail = "connection to server failed: host=10.0.0.5 user=app password=hunter7 dbname=x"
        fdw.hint = "Verbindung: postgresql://app:hunter8@db.internal:5432/x?sslmode=require"
        fdw.context = "PASSWORD : 'it''s hunter9' und mehr"
        literalsKept.classify(&fdw)
        let text = [fdw.message, fdw.detail, fdw.hint, fdw.context].compactMap { $0 }.joined(separator: "\n")
        for secret in ["hunter7", "hunter8", "hunter9"] { #expect(!text.contains(secret), "\(text)") }
        #expect(fdw.detail == "connection to server failed: host=10.0.0.5 user=app password=*** dbname=x")
        #expect(fdw.hint == "Verbindung: postgresql://app:***@db.internal:5432/x?sslmode=require")
        #expect(fdw.context == "PASSWORD : '***' und mehr")
        // Not a password: a word that only contains it, a URI without one.
        #expect(CredentialTextMasker.masked("passwords=3 https://db.internal/x") == nil)
    }

    @Test func credentialsAreMaskedEvenWithLiteralsKept() throws {
        let events = try classified("pg17-workload.json", with: literalsKept)
        let text = String(decoding: try JSONEncoder().encode(events), as: UTF8.self)
        #expect(!text.contains("hunter"))
        #expect(text.contains("owner 42"))
        let create = try #require(events.first { $0.message?.contains("CREATE ROLE secretive") == true && $0.event == .slowQuery })
        #expect(create.message?.hasSuffix("statement: CREATE ROLE secretive LOGIN PASSWORD ?;") == true)
        let failed = try #require(events.first { $0.statement?.contains("CREATE ROLE") == true })
        #expect(failed.statement == "CREATE ROLE secretive LOGIN PASSWORD ?;")

        var bound = event("duration: 0.210 ms  execute <unnamed>: SELECT dblink_connect('c1', $1)")
        bound.detail = "Parameters: $1 = 'host=db user=app password=hunter4'"
        literalsKept.classify(&bound)
        #expect(bound.details?["parameters"] == .string("$1 = ?") && bound.detail == "Parameters: $1 = ?")
        #expect(bound.message == "duration: 0.210 ms  execute <unnamed>: SELECT dblink_connect(?, $1)")

        var plain = event("duration: 0.210 ms  execute S_1: SELECT $1")
        plain.detail = "Parameters: $1 = 'visible'"
        literalsKept.classify(&plain)
        #expect(plain.details?["parameters"] == .string("$1 = 'visible'") && plain.details?["prepared_name"] == .string("S_1"))

        var onError = event("division by zero", severity: .error)
        onError.sqlstate = "22012"
        onError.statement = "SELECT dblink_connect($1)"
        onError.context = "unnamed portal with parameters: $1 = 'password=hunter6'"
        literalsKept.classify(&onError)
        #expect(onError.context == "unnamed portal with parameters: $1 = ?" && onError.event == .error)
    }

    @Test func logStatementLinesAreRedactedToo() {
        var statement = event("statement: ALTER ROLE app PASSWORD 'hunter7'")
        literalsKept.classify(&statement)
        #expect(statement.event == .statement && statement.message == "statement: ALTER ROLE app PASSWORD ?")
        var execute = event("execute S_2/C_3: SELECT * FROM t WHERE a = $1")
        execute.detail = "Parameters: $1 = 'secret'"
        classifier.classify(&execute)
        #expect(execute.event == .statement && execute.detail == "Parameters: $1 = ?")
        var plpgsql = event("division by zero", severity: .error)
        plpgsql.internalQuery = "SELECT 1 / 0 WHERE name = 'x'"
        plpgsql.context = "SQL statement \"UPDATE t SET a = 'secret'\"\nPL/pgSQL function g() line 3 at SQL statement"
        classifier.classify(&plpgsql)
        #expect(plpgsql.internalQuery == "SELECT ? / ? WHERE name = ?")
        #expect(plpgsql.context == "SQL statement \"UPDATE t SET a = ?\"\nPL/pgSQL function g() line 3 at SQL statement")
    }

    // MARK: Language, correlation

    @Test func localisedMessagesAreClassifiedAsTheEnglishOnes() {
        var log = event("Dauer: 1.234 ms  Anweisung: SELECT 1", severity: .log)
        log.localizedSeverity = "LOG"
        classifier.classify(&log)
        #expect(log.event == .slowQuery && log.durationMs == 1.234)
        var error = event("Division durch null", severity: .error)
        error.localizedSeverity = "FEHLER"
        error.sqlstate = "22012"
        classifier.classify(&error)
        #expect(error.event == .error && error.details == ["sqlstate": .string("22012")])
        var fatal = event("Passwort-Authentifizierung für Benutzer »app« fehlgeschlagen", severity: .fatal)
        fatal.sqlstate = "28P01"
        classifier.classify(&fatal)
        #expect(fatal.event == .authenticationFailed && fatal.details?["failure"] == .bool(true))
        #expect(fatal.details?["cause"] == .string("password"))
        var deadlock = event("Verklemmung (Deadlock) entdeckt", severity: .error)
        deadlock.sqlstate = "40P01"
        deadlock.detail = "Prozess 1 wartet auf ShareLock"
        classifier.classify(&deadlock)
        #expect(deadlock.event == .deadlock && deadlock.details?["processes"] == .array([]))
        var panic = event("something", severity: .panic)
        classifier.classify(&panic)
        #expect(panic.event == .error && panic.details == nil)
    }

    @Test func correlationIDComesFromTheApplicationName() throws {
        let events = try classified("pg17-workload.json")
        let ids = Set(events.compactMap(\.correlationID))
        #expect(ids == ["5f3a9c0e1d2b", "00c0ffee", "deadbeef", "a1", "a2", "b1", "b2", "cafe01"])
        #expect(events.filter { $0.applicationName == "psql" }.allSatisfy { $0.correlationID == nil })
    }

    @Test func oddMessagesNeverCrashTheClassifier() {
        let prefixes = [
            "duration: ", "duration: 1.5 ms  ", "duration: x ms  plan:\n{", "statement: ", "execute ", "process ",
            "process 12 still waiting for ", "temporary file: path \"", "checkpoint complete: wrote ", "automatic vacuum of table \"",
            "automatic analyze of table \"x\"\nsystem usage: ", "connection authorized: user=", "connection ready: ",
            "disconnection: session time: ", "Dauer: 1 ms  ", "",
        ]
        let pieces = ["", " ", ":", ": ", "\"", "=", " ms", "\n", "(", ")", "1", "-2.5", "é", "$1 = '", "wrote", ";", ",", "/"]
        var state: UInt64 = 42
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        for _ in 0..<2000 {
            var message = prefixes[next() % prefixes.count]
            for _ in 0..<(next() % 12) { message += pieces[next() % pieces.count] }
            let severities: [PostgresSeverity] = [.log, .error, .fatal]
            var event = event(message, severity: severities[next() % 3])
            event.detail = next() % 2 == 0 ? nil : pieces[next() % pieces.count] + "Process 1: " + message
            event.sqlstate = ["40P01", "28P01", nil, "00000"][next() % 4]
            event.context = next() % 2 == 0 ? nil : "SQL statement \"" + message
            classifier.classify(&event)
            literalsKept.classify(&event)
            #expect(event.event != nil)
        }
    }

    // MARK: Helpers

    private func event(_ message: String, severity: PostgresSeverity = .log) -> LogEvent {
        var event = LogEvent()
        event.message = message
        event.severity = severity
        return event
    }

    private func classified(_ name: String, with classifier: LogClassifier? = nil) throws -> [LogEvent] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let bytes = try [UInt8](Data(contentsOf: url.appendingPathComponent(name)))
        var events: [LogEvent]
        if name.hasSuffix(".json") {
            var parser = JSONLogParser(file: name)
            events = parser.consume(bytes, startingAt: 0) + parser.flush()
        } else {
            var parser = CSVLogParser(file: name)
            events = parser.consume(bytes, startingAt: 0) + parser.flush()
        }
        for index in events.indices { (classifier ?? self.classifier).classify(&events[index]) }
        return events
    }
}
