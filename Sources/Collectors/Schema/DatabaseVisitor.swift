import AgentSchema
import Foundation
import Logging
import PostgresNIO

/// One visit of one database on one connection: its tables and indexes in pages of consecutive oids,
/// each page's deltas against the committed counters of the store, the top relations by activity plus
/// those past a warning line, sequences near their end, and bloat where pgstattuple allows it.
///
/// Memory is bounded by the page size and the number of rows sent, whatever the database holds: the
/// previous counters are read from the store per page and the new ones staged there per page.
struct DatabaseVisitor: Sendable {
    /// What a visit gives: the payload part, the state to commit once the payload is stored, and the
    /// parts that failed.
    struct Outcome: Sendable {
        var visit: SchemaVisit
        /// Nil when nothing was staged (no store).
        var meta: SchemaVisitMeta?
        var warnings: [CollectorErrorEntry]
    }

    /// Relations per page. Default `2000`.
    var pageSize = 2000
    /// Tables sent by activity, and again as many past a warning line at most.
    var topTables: Int
    /// Indexes sent by scans, and again as many invalid, duplicate or unused at most.
    var topIndexes: Int
    /// A table whose dead tuples are at least this share (percent) of its tuples, and at least
    /// ``deadTuplesMinimum``, is sent as `dead_tuples`.
    var deadTuplePercentWarning = 20.0
    var deadTuplesMinimum: Int64 = 1000
    /// At most this many tables get a `pgstattuple_approx` per visit: the largest of those sent, from
    /// ``bloatMinimumBytes`` up.
    var bloatTables = 5
    var bloatMinimumBytes: Int64 = 1 << 20
    let store: SchemaStateStore?
    let major: Int

    func visit(datname: String, connection: PostgresConnection, visitID: UUID, server: ServerInfo,
               deadline: ContinuousClock.Instant, logger: Logger) async throws -> Outcome {
        let started = ContinuousClock.now
        let header = try await connection.rows(PostgresQuery(unsafeSQL: SchemaQueries.header), logger: logger)
        guard let head = header.first, let datid = try head.value("datid", as: Int64.self) else {
            throw CollectorError(code: .decoding, message: "the database's identity did not decode")
        }
        let sampleTime = try head.value("now", as: Double.self) ?? server.now
        let freezeMaxAge = try head.value("freeze_max_age", as: Int64.self) ?? 200_000_000
        let multixactMaxAge = try head.value("multixact_freeze_max_age", as: Int64.self) ?? 400_000_000
        let pgstattuple = try head.value("pgstattuple_schema", as: String.self)

        let tableColumns = SchemaQueries.tableCounters(major: major)
        let indexColumns = SchemaQueries.indexCounters
        let meta = SchemaVisitMeta(serverIdentity: "\(server.systemIdentifier ?? "unknown")/\(datid)",
                                   startTime: server.startTime, sampleTime: sampleTime,
                                   tableColumns: tableColumns, indexColumns: indexColumns)
        var warnings: [CollectorErrorEntry] = []
        var previous: SchemaVisitMeta?
        if let store {
            do { previous = try store.meta(datname: datname) } catch {
                warnings.append(Self.warning(datname, "its saved counters cannot be read (\(error.reason)); this visit is a baseline"))
            }
        }
        let baseline = previous.map {
            $0.serverIdentity != meta.serverIdentity || $0.startTime != meta.startTime
                || $0.tableColumns != tableColumns || $0.indexColumns != indexColumns
        } ?? true

        var complete = true
        var skippedLocked = 0

        // Tables.
        let activity = SchemaQueries.tableActivity.compactMap { tableColumns.firstIndex(of: $0) }
        var tables = RelationSelector<TableCandidate>(limit: topTables, warningLimit: topTables,
                                                      counterCount: tableColumns.count)
        let tablePages = try await pages(.table, connection: connection, logger: logger)
        for page in tablePages {
            guard ContinuousClock.now < deadline else { complete = false; break }
            do {
                let rows = try await readPage(SchemaQueries.tablePage(major: major), page, connection: connection, logger: logger)
                let before = baseline ? [:] : try committed(datname, .table, page)
                var staged: [(relid: Int64, counters: [Double])] = []
                staged.reserveCapacity(rows.count)
                for row in rows {
                    var table = try Self.table(row)
                    guard table.counters.count == tableColumns.count else { continue }
                    staged.append((table.relid, table.counters))
                    table.deltas = RelationDeltas.compute(current: table.counters, previous: before[table.relid])
                    if let dead = table.nDeadTup, dead >= deadTuplesMinimum,
                       let share = table.deadTuplePercent, share >= deadTuplePercentWarning {
                        table.reasons.append("dead_tuples")
                    }
                    if let age = table.frozenXidAge, age > freezeMaxAge { table.reasons.append("freeze_age") }
                    if let age = table.minMxidAge, age > multixactMaxAge { table.reasons.append("multixact_age") }
                    let score = baseline ? SchemaColumns.sum(table.counters, at: activity)
                        : table.deltas.map { SchemaColumns.sum($0, at: activity) } ?? 0
                    tables.offer(table, score: score, warning: !table.reasons.isEmpty, deltas: table.deltas,
                                 bytes: table.estimatedBytes)
                }
                try stage(visitID, datname, .table, page, staged)
            } catch {
                complete = false
                warnings.append(Self.warning(datname, "a page of tables could not be read: \(CollectorError.from(error))"))
            }
        }

        // Indexes.
        var indexes = RelationSelector<IndexCandidate>(limit: topIndexes, warningLimit: topIndexes,
                                                       counterCount: indexColumns.count)
        let indexPages = complete ? try await pages(.index, connection: connection, logger: logger) : []
        for page in indexPages {
            guard ContinuousClock.now < deadline else { complete = false; break }
            do {
                let rows = try await readPage(SchemaQueries.indexPage, page, connection: connection, logger: logger)
                let before = baseline ? [:] : try committed(datname, .index, page)
                var staged: [(relid: Int64, counters: [Double])] = []
                staged.reserveCapacity(rows.count)
                for row in rows {
                    var index = try Self.index(row)
                    guard index.counters.count == indexColumns.count else { continue }
                    staged.append((index.indexrelid, index.counters))
                    index.deltas = RelationDeltas.compute(current: index.counters, previous: before[index.indexrelid])
                    if index.invalid { index.reasons.append("invalid") }
                    if index.duplicateOf != nil { index.reasons.append("duplicate") }
                    if index.unused { index.reasons.append("unused") }
                    let score = baseline ? (index.counters.first ?? 0) : (index.deltas?.first ?? 0)
                    // Unused indexes are common (thousands on some schemas): flagged when sent, but only
                    // invalid and duplicate ones claim a place outside the top.
                    indexes.offer(index, score: score.isNaN ? 0 : score, warning: index.invalid || index.duplicateOf != nil,
                                  deltas: index.deltas, bytes: index.estimatedBytes)
                }
                try stage(visitID, datname, .index, page, staged)
            } catch {
                complete = false
                warnings.append(Self.warning(datname, "a page of indexes could not be read: \(CollectorError.from(error))"))
            }
        }

        let tableResult = tables.finish()
        let indexResult = indexes.finish()
        var sentTables = Self.mark(tableResult.top, as: "top", reasons: \.reasons) + tableResult.warnings
        var sentIndexes = Self.mark(indexResult.top, as: "top", reasons: \.reasons) + indexResult.warnings

        // Sizes, for the rows sent only.
        do {
            let sizes = try await measure(SchemaQueries.tableSizes, sentTables.map(\.relid), connection: connection, logger: logger)
            for index in sentTables.indices {
                guard let row = sizes[sentTables[index].relid] else { continue }
                sentTables[index].blocked = try row.value("blocked", as: Bool.self) ?? true
                sentTables[index].tableBytes = try row.value("table_bytes", as: Int64.self)
                sentTables[index].indexesBytes = try row.value("indexes_bytes", as: Int64.self)
                sentTables[index].toastBytes = try row.value("toast_bytes", as: Int64.self)
            }
            skippedLocked = sentTables.filter(\.blocked).count
            let indexSizes = try await measure(SchemaQueries.indexSizes, sentIndexes.map(\.indexrelid), connection: connection,
                                               logger: logger)
            for index in sentIndexes.indices {
                sentIndexes[index].sizeBytes = try indexSizes[sentIndexes[index].indexrelid]?.value("size_bytes", as: Int64.self)
            }
        } catch {
            warnings.append(Self.warning(datname, "sizes could not be read: \(CollectorError.from(error))"))
        }

        var visit = SchemaVisit(datname: datname, durationMs: 0, complete: complete,
                                tablesTotal: tablePages.reduce(0) { $0 + $1.count },
                                indexesTotal: indexPages.reduce(0) { $0 + $1.count }, skippedLocked: skippedLocked)
        if !baseline, let previous { visit.intervalSeconds = sampleTime - previous.sampleTime }

        // Sequences, then bloat: each may fail alone.
        do {
            let (rows, hidden) = try await sequences(connection: connection, logger: logger)
            visit.sequences = rows
            visit.sequencesHidden = hidden
        } catch {
            warnings.append(Self.warning(datname, "its sequences could not be read: \(CollectorError.from(error))"))
        }
        if let pgstattuple {
            visit.bloatMethod = "pgstattuple_approx"
            let measured = sentTables.indices
                .filter { !sentTables[$0].blocked && (sentTables[$0].tableBytes ?? 0) >= bloatMinimumBytes }
                .sorted { (sentTables[$0].tableBytes ?? 0) > (sentTables[$1].tableBytes ?? 0) }
                .prefix(bloatTables)
            for index in measured where ContinuousClock.now < deadline {
                do {
                    sentTables[index].bloatEstimate = try await bloat(of: sentTables[index].relid, schema: pgstattuple,
                                                                      connection: connection, logger: logger)
                } catch {
                    warnings.append(Self.warning(datname, "pgstattuple_approx failed: \(CollectorError.from(error))"))
                    break
                }
            }
        } else {
            visit.bloatMethod = "dead_tuples"
        }

        visit.tables = sentTables.map { candidate in
            var row = candidate.row(columns: tableColumns)
            row.bloat = candidate.bloatEstimate
            return row
        }
        visit.indexes = sentIndexes.map { $0.row(columns: indexColumns) }
        visit.tablesOther = Self.other(tableResult.other, columns: tableColumns)
        visit.indexesOther = Self.other(indexResult.other, columns: indexColumns)
        let elapsed = (ContinuousClock.now - started).components
        visit.durationMs = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
        // Relations a visit did not read keep the counters of the visit before, while the meta would move
        // on: their next deltas would span two intervals under one `interval_seconds`. So a visit that did
        // not read everything is followed by a baseline (another identity), never by inflated deltas.
        var committed = meta
        if !complete { committed.serverIdentity += " (incomplete visit)" }
        return Outcome(visit: visit, meta: store == nil ? nil : committed, warnings: warnings)
    }

    // MARK: - Pages

    struct Page: Sendable {
        var lo: Int64
        var hi: Int64
        var count: Int
    }

    private func pages(_ kind: RelationKind, connection: PostgresConnection, logger: Logger) async throws -> [Page] {
        var binds = PostgresBindings(capacity: 1)
        binds.append(Int64(pageSize))
        let rows = try await connection.rows(PostgresQuery(unsafeSQL: SchemaQueries.pages(kind), binds: binds), logger: logger)
        return try rows.map { row in
            Page(lo: try row.value("lo", as: Int64.self) ?? 0, hi: try row.value("hi", as: Int64.self) ?? 0,
                 count: Int(try row.value("n", as: Int64.self) ?? 0))
        }
    }

    /// Reads one page.
    private func readPage(_ sql: String, _ page: Page, connection: PostgresConnection,
                          logger: Logger) async throws -> [PostgresRandomAccessRow] {
        var binds = PostgresBindings(capacity: 2)
        binds.append(page.lo)
        binds.append(page.hi)
        return try await connection.rows(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
    }

    /// Runs a size query for `relids`, by relid; when a lock taken since its check fails it
    /// (`lock_timeout`), runs it again without sizes.
    private func measure(_ sql: String, _ relids: [Int64], connection: PostgresConnection,
                         logger: Logger) async throws -> [Int64: PostgresRandomAccessRow] {
        guard !relids.isEmpty else { return [:] }
        func query(sizes: Bool) -> PostgresQuery {
            var binds = PostgresBindings(capacity: 2)
            binds.append(relids)
            binds.append(sizes)
            return PostgresQuery(unsafeSQL: sql, binds: binds)
        }
        let rows: [PostgresRandomAccessRow]
        do {
            rows = try await connection.rows(query(sizes: true), logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55P03" {
            rows = try await connection.rows(query(sizes: false), logger: logger)
        }
        var byRelid: [Int64: PostgresRandomAccessRow] = [:]
        for row in rows {
            if let relid = try row.value("relid", as: Int64.self) { byRelid[relid] = row }
        }
        return byRelid
    }

    private func committed(_ datname: String, _ kind: RelationKind, _ page: Page) throws -> [Int64: [Double]] {
        guard let store else { return [:] }
        return try store.counters(datname: datname, kind: kind, relids: page.lo...page.hi)
    }

    private func stage(_ visitID: UUID, _ datname: String, _ kind: RelationKind, _ page: Page,
                       _ entries: [(relid: Int64, counters: [Double])]) throws {
        try store?.stage(visit: visitID, datname: datname, kind: kind, range: page.lo...page.hi, entries: entries)
    }

    // MARK: - Rows

    private static func table(_ row: PostgresRandomAccessRow) throws -> TableCandidate {
        var table = TableCandidate(
            relid: try row.value("relid", as: Int64.self) ?? 0,
            schemaname: try row.value("schemaname", as: String.self) ?? "",
            relname: try row.value("relname", as: String.self) ?? "",
            counters: try row.value("counters", as: [Double].self) ?? [],
            estimatedBytes: try row.value("estimated_bytes", as: Int64.self) ?? 0)
        table.nLiveTup = try row.value("n_live_tup", as: Int64.self)
        table.nDeadTup = try row.value("n_dead_tup", as: Int64.self)
        table.nModSinceAnalyze = try row.value("n_mod_since_analyze", as: Int64.self)
        table.nInsSinceVacuum = try row.value("n_ins_since_vacuum", as: Int64.self)
        table.lastVacuum = try row.value("last_vacuum", as: Double.self)
        table.lastAutovacuum = try row.value("last_autovacuum", as: Double.self)
        table.lastAnalyze = try row.value("last_analyze", as: Double.self)
        table.lastAutoanalyze = try row.value("last_autoanalyze", as: Double.self)
        table.frozenXidAge = try row.value("frozen_xid_age", as: Int64.self)
        table.minMxidAge = try row.value("min_mxid_age", as: Int64.self)
        return table
    }

    private static func index(_ row: PostgresRandomAccessRow) throws -> IndexCandidate {
        IndexCandidate(
            indexrelid: try row.value("indexrelid", as: Int64.self) ?? 0,
            schemaname: try row.value("schemaname", as: String.self) ?? "",
            relname: try row.value("relname", as: String.self) ?? "",
            indexrelname: try row.value("indexrelname", as: String.self) ?? "",
            counters: try row.value("counters", as: [Double].self) ?? [],
            estimatedBytes: try row.value("estimated_bytes", as: Int64.self) ?? 0,
            invalid: try row.value("invalid", as: Bool.self) ?? false,
            enforces: try row.value("enforces", as: Bool.self) ?? true,
            duplicateOf: try row.value("duplicate_of", as: String.self))
    }

    private func sequences(connection: PostgresConnection, logger: Logger) async throws -> ([SequenceRow], Int) {
        let rows = try await connection.rows(PostgresQuery(unsafeSQL: SchemaQueries.sequences), logger: logger)
        guard let text = try rows.first?.value("doc", as: String.self),
              let doc = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw CollectorError(code: .decoding, message: "the sequences did not decode")
        }
        let hidden = (doc["hidden"] as? NSNumber)?.intValue ?? 0
        let sequences = (doc["rows"] as? [[String: Any]] ?? []).compactMap { entry -> SequenceRow? in
            guard let schema = entry["schemaname"] as? String, let name = entry["sequencename"] as? String,
                  let last = (entry["last_value"] as? NSNumber)?.int64Value,
                  let max = (entry["max_value"] as? NSNumber)?.int64Value,
                  let used = (entry["used_percent"] as? NSNumber)?.doubleValue else { return nil }
            return SequenceRow(schemaname: schema, sequencename: name, lastValue: last, maxValue: max, usedPercent: used)
        }
        return (sequences, hidden)
    }

    private func bloat(of relid: Int64, schema: String, connection: PostgresConnection,
                       logger: Logger) async throws -> BloatEstimate? {
        var binds = PostgresBindings(capacity: 1)
        binds.append(relid)
        let rows = try await connection.rows(PostgresQuery(unsafeSQL: SchemaQueries.bloat(schema: schema), binds: binds),
                                             logger: logger)
        guard let row = rows.first, let length = try row.value("table_len", as: Int64.self) else { return nil }
        return BloatEstimate(tableBytes: length, freeBytes: try row.value("free_space", as: Int64.self) ?? 0,
                             freePercent: try row.value("free_percent", as: Double.self) ?? 0,
                             deadTuplePercent: try row.value("dead_tuple_percent", as: Double.self) ?? 0)
    }

    // MARK: - Assembly

    private static func mark<Row>(_ rows: [Row], as reason: String, reasons: WritableKeyPath<Row, [String]>) -> [Row] {
        rows.map { row in
            var row = row
            row[keyPath: reasons].insert(reason, at: 0)
            return row
        }
    }

    private static func other(_ sum: RelationOtherSum, columns: [String]) -> RelationOther? {
        guard sum.count > 0 else { return nil }
        return RelationOther(count: sum.count, bytes: sum.bytes,
                             deltas: sum.deltas.map { SchemaColumns.dictionary(columns, $0) })
    }

    static func warning(_ datname: String, _ message: String) -> CollectorErrorEntry {
        CollectorErrorEntry(collector: "schema", code: "partial", message: "database \(datname): \(message)")
    }
}
