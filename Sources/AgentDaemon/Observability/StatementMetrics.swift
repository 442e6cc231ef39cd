import AgentSchema
import Synchronization

/// `pg_stat_statements_*` on `/metrics`, under the names, types and labels of postgres_exporter's
/// `stat_statements` collector (0.13 and later): `pg_stat_statements_calls_total`, `_seconds_total`,
/// `_rows_total`, `_block_read_seconds_total`, `_block_write_seconds_total` (labels `user`, `datname`,
/// `queryid`, and `server`), and the texts in `pg_stat_statements_query_id` (labels `queryid`, `query`,
/// `server`; value 1).
///
/// Bounded: the `[metrics] top_statements` entries with the most cumulative execution time (as the
/// exporter ranks them), each text cut to `statement_text_length` characters after `[privacy]`'s
/// redaction. The counters are the server's own totals, so they go down only when the server's do
/// (`pg_stat_statements_reset()`, an entry evicted and re-created), never when the payload's deltas
/// start afresh.
final class StatementMetrics: Sendable {
    /// The counters, each with its help and value in the statement's totals.
    static let counters: [(name: String, help: String, value: @Sendable (StatementTotal) -> Double)] = [
        ("pg_stat_statements_calls_total", "Number of times executed.", { $0.calls }),
        ("pg_stat_statements_seconds_total", "Total time spent in the statement, in seconds.", { $0.totalExecTimeMs / 1000 }),
        ("pg_stat_statements_rows_total", "Total number of rows retrieved or affected by the statement.", { $0.rows }),
        ("pg_stat_statements_block_read_seconds_total", "Total time the statement spent reading blocks, in seconds.",
         { $0.blkReadTimeMs / 1000 }),
        ("pg_stat_statements_block_write_seconds_total", "Total time the statement spent writing blocks, in seconds.",
         { $0.blkWriteTimeMs / 1000 }),
    ]

    /// The family of the texts.
    static let textFamily = "pg_stat_statements_query_id"

    /// Every family, with its kind and help.
    static var families: [(String, MetricsRegistry.Kind, String)] {
        counters.map { ($0.name, .counter, $0.help) }
            + [(textFamily, .counter, "SQL query to queryid mapping (normalised, redacted, cut).")]
    }

    private let registry: MetricsRegistry
    /// Characters of text kept in `pg_stat_statements_query_id`; 0 leaves the family empty.
    private let textLength: Int
    /// The texts shown, cut, by query id (cutting a text every cycle was a tenth of a cycle's CPU).
    private let cutTexts = Mutex<[Int64: (source: String, cut: String)]>([:])

    init(registry: MetricsRegistry, textLength: Int) {
        self.registry = registry
        self.textLength = textLength
        for (name, kind, help) in Self.families { registry.declare(name, kind, help: help) }
    }

    /// Rewrites `server`'s series from one snapshot's totals.
    func publish(_ totals: [StatementTotal], server: String) {
        var samples: [String: [(labels: [(String, String)], value: Double)]] = [:]
        var texts: [(labels: [(String, String)], value: Double)] = []
        var named = Set<Int64>()
        for total in totals {
            let labels = [("user", total.user), ("datname", total.datname), ("queryid", String(total.queryid)),
                          ("server", server)]
            for counter in Self.counters {
                samples[counter.name, default: []].append((labels, counter.value(total)))
            }
            if textLength > 0, let query = total.query, named.insert(total.queryid).inserted {
                texts.append(([("queryid", String(total.queryid)), ("query", cutText(query, queryid: total.queryid)),
                               ("server", server)], 1))
            }
        }
        for counter in Self.counters {
            registry.replace(counter.name, with: samples[counter.name] ?? [], scope: ("server", server))
        }
        registry.replace(Self.textFamily, with: texts, scope: ("server", server))
        // Only the texts shown are remembered.
        cutTexts.withLock { cache in cache = cache.filter { named.contains($0.key) } }
    }

    /// ``cut(_:to:)`` of `text`, computed once per query id and text.
    private func cutText(_ text: String, queryid: Int64) -> String {
        if let cached = cutTexts.withLock({ $0[queryid] }), cached.source == text { return cached.cut }
        let cut = Self.cut(text, to: textLength)
        cutTexts.withLock { $0[queryid] = (text, cut) }
        return cut
    }

    /// `text` with runs of white space made one space and cut to `length` characters (a label is one
    /// line). Reads no further than it keeps: a text may be kilobytes long and is cut every cycle.
    static func cut(_ text: String, to length: Int) -> String {
        var out = ""
        out.reserveCapacity(min(length, text.utf8.count))
        var kept = 0
        var pendingSpace = false
        for character in text {
            if character.isWhitespace {
                pendingSpace = kept > 0
                continue
            }
            if pendingSpace {
                guard kept < length else { break }
                out.append(" ")
                kept += 1
                pendingSpace = false
            }
            guard kept < length else { break }
            out.append(character)
            kept += 1
        }
        return out
    }
}
