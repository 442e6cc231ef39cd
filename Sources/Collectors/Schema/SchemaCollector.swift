package import AgentSchema
import AgentConfiguration
package import Foundation
package import Logging
package import PostgresNIO
import Synchronization

/// `schema`: visits the databases in turn, each at most every `schema_interval_seconds`, within the
/// agent's connection budget, and reports their tables, indexes and sequences (``DatabaseVisitor``).
///
/// A visit needs a session in its database. With two connections allowed, the snapshot pool keeps one
/// and each visit opens the other, one database after another, and closes it. With one, only the
/// database the pool is connected to is visited. A database that cannot be entered (no `CONNECT`,
/// dropped, no connection slot) becomes an `errors` entry; the others still ship.
///
/// Per-relation counters are deltas since the previous visit whose snapshot was stored: each visit
/// stages its counters in the ``SchemaStateStore`` and ``commit(batchID:)`` puts them in force.
package final class SchemaCollector: Sendable {
    private let settings: CollectorSettings
    private let probe: ConnectionProbe?
    private let store: SchemaStateStore?
    /// Said once, in the first snapshot: the store could not be opened, or a damaged one was set aside.
    private let storeNotice = Mutex<CollectorErrorEntry?>(nil)
    /// When each database was last visited (or its visit last failed).
    private let visited = Mutex<[String: ContinuousClock.Instant]>([:])
    /// The visits of the last snapshot, until it is stored.
    private let pending = Mutex<(batchID: UUID, visits: [(id: UUID, datname: String, meta: SchemaVisitMeta)])?>(nil)

    /// - Parameter probe: opens the visits' connections (nil: only the pool's database is visited).
    package init(settings: CollectorSettings, probe: ConnectionProbe?) {
        self.settings = settings
        self.probe = probe
        var notice: CollectorErrorEntry?
        var store: SchemaStateStore?
        if let directory = settings.stateDirectory, settings.databases != .none {
            let path = (directory as NSString).appendingPathComponent(settings.schemaStateFileName)
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o750])
                store = try SchemaStateStore(path: path)
                if let aside = store?.setAside {
                    notice = CollectorErrorEntry(collector: "schema", code: "io",
                                                 message: "the table delta state was damaged and moved to \(aside); visits start from a baseline")
                }
            } catch {
                notice = CollectorErrorEntry(collector: "schema", code: "io",
                                             message: "the table delta state cannot be kept (\(error)); every visit is a baseline")
            }
        }
        self.store = store
        storeNotice.withLock { $0 = notice }
    }

    /// Whether any database will be visited at all.
    package var enabled: Bool { settings.databases != .none }

    /// Visits the databases that are due, within `[collectors] schema_timeout_ms` in all.
    package func collect(client: PostgresClient, server: ServerInfoCollector.Result, batchID: UUID,
                         logger: Logger) async -> (visits: [SchemaVisit], errors: [CollectorErrorEntry]) {
        guard enabled else { return ([], []) }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: settings.schemaTimeout)
        var errors: [CollectorErrorEntry] = storeNotice.withLock { notice in defer { notice = nil }; return notice.map { [$0] } ?? [] }
        // A snapshot that was never stored leaves staged rows behind; they go now.
        do { try store?.discard(except: []) } catch {
            errors.append(CollectorErrorEntry(collector: "schema", code: "io", message: "the table delta state: \(error)"))
        }

        let candidates: [(name: String, canConnect: Bool, current: Bool)]
        do {
            candidates = try await databases(client: client, logger: logger)
        } catch {
            errors.append(CollectorError.from(error).entry(collector: "schema"))
            return ([], errors)
        }
        if case .listed(let names) = settings.databases {
            for name in names where !candidates.contains(where: { $0.name == name }) {
                errors.append(CollectorErrorEntry(
                    collector: "schema", code: "not_found",
                    message: "database \(name) is not on the server or does not allow connections",
                    hint: "correct [postgres] databases"))
            }
        }

        let now = clock.now
        let interval = Duration.milliseconds(Int64(settings.schemaIntervalSeconds * 1000))
        // Never visited first, then the longest ago; the server's order (by name) among equals.
        let due = visited.withLock { visited in
            candidates.enumerated()
                .filter { _, candidate in visited[candidate.name].map { now - $0 >= interval } ?? true }
                .sorted { a, b in
                    switch (visited[a.element.name], visited[b.element.name]) {
                    case (nil, nil): return a.offset < b.offset
                    case (nil, _): return true
                    case (_, nil): return false
                    case let (x?, y?): return x == y ? a.offset < b.offset : x < y
                    }
                }
                .map(\.element)
        }

        let visitor = DatabaseVisitor(topTables: settings.topTables, topIndexes: settings.topIndexes,
                                      store: store, major: server.info.major)
        var visits: [SchemaVisit] = []
        var staged: [(id: UUID, datname: String, meta: SchemaVisitMeta)] = []
        for database in due {
            guard clock.now < deadline else { break }
            visited.withLock { $0[database.name] = clock.now }
            guard database.canConnect else {
                errors.append(CollectorErrorEntry(
                    collector: "schema", code: "insufficient_privilege",
                    message: "database \(database.name): the monitoring role may not connect to it",
                    hint: "GRANT CONNECT ON DATABASE \(database.name) TO <monitoring role>, or add it to [postgres] exclude_databases"))
                continue
            }
            let visitID = UUID()
            do {
                let outcome: DatabaseVisitor.Outcome
                if settings.connectionBudget >= 2, let probe {
                    let connection = try await probe.connect(database: database.name, id: 1, logger: logger)
                    do {
                        outcome = try await visitor.visit(datname: database.name, connection: connection, visitID: visitID,
                                                          server: server.info, deadline: deadline, logger: logger)
                    } catch {
                        try? await connection.close()
                        throw error
                    }
                    try? await connection.close()
                } else if database.current {
                    outcome = try await client.withConnection { connection in
                        try await visitor.visit(datname: database.name, connection: connection, visitID: visitID,
                                                server: server.info, deadline: deadline, logger: logger)
                    }
                } else {
                    errors.append(CollectorErrorEntry(
                        collector: "schema", code: "connection_budget",
                        message: "database \(database.name) is not visited: with [postgres] max_connections = 1 only the connected database is",
                        hint: "set [postgres] max_connections = 2, or list only the connected database in [postgres] databases"))
                    continue
                }
                visits.append(outcome.visit)
                errors += outcome.warnings
                if let meta = outcome.meta { staged.append((visitID, database.name, meta)) }
            } catch {
                let failure = CollectorError.from(error)
                errors.append(CollectorErrorEntry(collector: "schema", code: failure.code.description,
                                                  message: "database \(database.name): \(failure)", hint: failure.hint))
            }
        }
        pending.withLock { $0 = (batchID, staged) }
        return (visits, errors)
    }

    /// Forgets the visits of the last collection: their snapshot does not carry them (the schema part
    /// missed its deadline), so their counters must not go in force.
    package func abandonPending() {
        pending.withLock { $0 = nil }
    }

    /// Puts in force the counters the visits of snapshot `batchID` staged, once that snapshot is stored.
    /// Returns a warning for the next snapshot when the store failed.
    package func commit(batchID: UUID) -> CollectorErrorEntry? {
        let visits = pending.withLock { pending -> [(id: UUID, datname: String, meta: SchemaVisitMeta)] in
            defer { pending = nil }
            return pending?.batchID == batchID ? pending?.visits ?? [] : []
        }
        guard let store else { return nil }
        for visit in visits {
            do {
                try store.commit(visit: visit.id, datname: visit.datname, meta: visit.meta)
            } catch {
                return CollectorErrorEntry(collector: "schema", code: "io",
                                           message: "the table delta state could not be saved (\(error)); the next visit of \(visit.datname) is a baseline")
            }
        }
        return nil
    }

    /// The databases the configuration names, as the server has them, in visiting order.
    private func databases(client: PostgresClient, logger: Logger) async throws -> [(name: String, canConnect: Bool, current: Bool)] {
        let rows = try await client.rows("""
            SELECT d.datname::text AS datname, has_database_privilege(d.oid, 'CONNECT') AS can_connect,
                   d.datname = current_database() AS current
            FROM pg_database d WHERE d.datallowconn AND NOT d.datistemplate ORDER BY d.datname
            """, logger: logger)
        let all = try rows.map { row in
            (name: try row.value("datname", as: String.self) ?? "", canConnect: try row.value("can_connect", as: Bool.self) ?? false,
             current: try row.value("current", as: Bool.self) ?? false)
        }
        switch settings.databases {
        case .none: return []
        case .auto: return all.filter { !settings.excludeDatabases.contains($0.name) }
        case .listed(let names): return names.compactMap { name in all.first { $0.name == name } }
        }
    }
}
