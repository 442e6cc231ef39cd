import AgentSchema
import SQLRedaction

// Files, checkpoints, maintenance
extension LogClassifier {
    /// `temporary file: path "base/pgsql_tmp/pgsql_tmp123.0", size 1400000`
    func classifyTempFile(_ text: Substring, _ event: inout LogEvent) {
        var details: [String: JSONValue] = [:]
        if let quoted = text.after("temporary file: path \""), let close = quoted.firstIndex(of: "\"") {
            details["path"] = .string(String(quoted[..<close]))
            if let size = quoted[close...].after("\", size "), let bytes = Int64(size.asciiDigits) {
                details["size_bytes"] = .integer(bytes)
            }
        }
        event.event = .tempFile
        event.details = details
    }

    /// `checkpoint starting: immediate force wait` and `checkpoint complete: wrote 3 buffers (0.0%); …`;
    /// false for the other messages that start with the word (`checkpoint request failed`).
    func classifyCheckpoint(_ rest: Substring, type: String, _ event: inout LogEvent) -> Bool {
        var details: [String: JSONValue] = ["type": .string(type)]
        details.reserveCapacity(24)
        if let flags = rest.after("starting: ") {
            details["kind"] = .string("starting")
            details["flags"] = .array(flags.splitASCII(" ").map { .string(String($0)) })
        } else if var figures = rest.after("complete:") {
            details["kind"] = .string("complete")
            // PostgreSQL 19 puts the flags here too: `checkpoint complete: fast force wait: wrote …`.
            if let wrote = figures.range(ofASCII: "wrote ") {
                let flags = figures[..<wrote.lowerBound].split { $0 == " " || $0 == ":" }
                if !flags.isEmpty { details["flags"] = .array(flags.map { .string(String($0)) }) }
                figures = figures[wrote.lowerBound...]
            }
            for group in figures.splitASCII(";") {
                for item in group.splitASCII(",") {
                    Self.checkpointFigure(item.droppingLeading(" "), group: group, into: &details)
                }
            }
        } else {
            return false
        }
        event.event = .checkpoint
        event.details = details
        return true
    }

    static func checkpointFigure(_ item: Substring, group: Substring, into details: inout [String: JSONValue]) {
        if let rest = item.after("wrote ") {
            let words = rest.splitASCII(" ")
            guard let count = words.first.flatMap({ Int64($0) }) else { return }
            if words.count > 1, words[1] == "SLRU" {
                details["slru_buffers_written"] = .integer(count)
            } else {
                details["buffers_written"] = .integer(count)
                if let open = rest.firstIndex(of: "("), let percent = Double(rest[rest.index(after: open)...].prefix(beforeASCII: "%")) {
                    details["buffers_percent"] = .number(percent)
                }
            }
        } else if let equals = item.firstIndex(of: "=") {
            let key = Self.snakeCase(item[..<equals])
            let valueAndUnit = item[item.index(after: equals)...].splitASCII(" ")
            guard let value = valueAndUnit.first else { return }
            let unit = valueAndUnit.count > 1 ? "_" + valueAndUnit[1].lowercased() : ""
            details[key + unit] = number(value) ?? .string(String(value))
        } else {
            // `1 WAL file(s) added`, then `0 removed`, `0 recycled` in the same group.
            let words = item.splitASCII(" ")
            guard let count = words.first.flatMap({ Int64($0) }), let verb = words.last,
                  group.containsASCII("WAL file") else { return }
            details["wal_files_" + verb] = .integer(count)
        }
    }

    /// `automatic vacuum of table "db.schema.table": index scans: 1` and its statistics lines,
    /// `automatic analyze of table "db.schema.table"` and its.
    func classifyMaintenance(_ text: Substring, _ event: inout LogEvent) -> Bool {
        let lines = text.splitASCII("\n")
        guard let header = lines.first, let ofTable = header.range(ofASCII: " of table \"") else { return false }
        let kind = header[..<ofTable.lowerBound]
        let isAnalyze = kind == "automatic analyze"
        guard isAnalyze || kind.containsASCII("vacuum") else { return false }
        var details: [String: JSONValue] = [:]
        details.reserveCapacity(40)
        let name = header[ofTable.upperBound...]
        if let close = name.lastIndex(of: "\"") {
            details["table"] = .string(String(name[..<close]))
            if let scans = name[close...].after("\": index scans: "), let count = Int64(scans) {
                details["index_scans"] = .integer(count)
            }
        }
        if !isAnalyze {
            details["aggressive"] = .bool(kind.containsASCII("aggressive"))
            details["wraparound"] = .bool(kind.containsASCII("wraparound"))
        }
        var indexes: [JSONValue] = []
        for line in lines.dropFirst() {
            let line = line.droppingLeading(" \t")
            guard let colon = line.range(ofASCII: ": ") else { continue }
            let label = line[..<colon.lowerBound]
            let body = line[colon.upperBound...]
            switch label {
            case "frozen":
                // `0 pages from table (0.00% of total) had 0 tuples frozen`
                let words = body.splitASCII(" ")
                if let pages = words.first.flatMap({ Self.number($0) }) { details["frozen_pages"] = pages }
                if let had = words.firstIndex(of: "had"), had + 1 < words.count, let tuples = Self.number(words[had + 1]) {
                    details["frozen_tuples"] = tuples
                }
            case "pages", "tuples", "buffer usage", "WAL usage":
                let prefix = label == "buffer usage" ? "buffer" : label == "WAL usage" ? "wal" : String(label)
                Self.counts(body, prefix: prefix, into: &details)
            case "avg read rate":
                for item in line.splitASCII(",") {
                    let words = item.splitASCII(" ")
                    if words.count >= 4, let value = Self.number(words[3]) {
                        details[words[1] == "read" ? "read_rate_mb_s" : "write_rate_mb_s"] = value
                    }
                }
            case "system usage":
                for (key, marker) in [("cpu_user_s", "user: "), ("cpu_system_s", "system: "), ("elapsed_s", "elapsed: ")] {
                    if let value = body.after(marker, anywhere: true).flatMap({ Self.number($0.prefix(beforeASCII: " ")) }) {
                        details[key] = value
                    }
                }
            case "I/O timings":
                for (key, marker) in [("io_read_ms", "read: "), ("io_write_ms", "write: ")] {
                    if let value = body.after(marker, anywhere: true).flatMap({ Self.number($0.prefix(beforeASCII: " ")) }) {
                        details[key] = value
                    }
                }
            case "removable cutoff", "new relfrozenxid", "new relminmxid":
                if let value = Self.number(body.prefix(beforeASCII: ",")) {
                    details[Self.snakeCase(label)] = value
                }
            default:
                // `index "name": pages: 5 in total, 0 newly deleted, …`
                if label.hasASCIIPrefix("index \""), let pages = body.after("pages: ") {
                    var index: [String: JSONValue] = ["name": .string(String(label.dropFirst(7).dropLast()))]
                    Self.counts(pages, prefix: "pages", into: &index)
                    indexes.append(.object(index))
                }
            }
        }
        if !indexes.isEmpty { details["indexes"] = .array(indexes) }
        event.event = isAnalyze ? .autoanalyze : kind.containsASCII("wraparound") ? .autovacuumWraparound : .autovacuum
        event.details = details
        return true
    }

    /// `0 removed, 7 remain, 7 scanned (100.00% of total)` as `pages_removed`, `pages_remain`, …;
    /// `0 are dead but not yet removable` as `tuples_dead_not_yet_removable`; `oldest xmin: 746`.
    static func counts(_ body: Substring, prefix: String, into details: inout [String: JSONValue]) {
        var key: [UInt8] = []
        key.reserveCapacity(48)
        for item in body.splitASCII(",") {
            let item = item.droppingLeading(" ")
            let head = item.prefix(beforeASCII: "(")
            let firstEnd = head.utf8.firstIndex(of: 0x20) ?? head.endIndex
            guard firstEnd > head.startIndex else { continue }
            if let value = number(head[..<firstEnd]) {
                // The words after the number, joined with `_`, less a leading `are` and any `but`.
                key.removeAll(keepingCapacity: true)
                key.append(contentsOf: prefix.utf8)
                let built: Bool? = head[firstEnd...].utf8.withContiguousStorageIfAvailable { bytes in
                    var words = 0
                    var start = 0
                    var index = 0
                    while index <= bytes.count {
                        if index == bytes.count || bytes[index] == 0x20 {
                            let word = UnsafeBufferPointer(rebasing: bytes[start..<index])
                            let skip = word.isEmpty || (words == 0 && word.elementsEqual("are".utf8)) || word.elementsEqual("but".utf8)
                            if !skip {
                                key.append(0x5F)
                                key.append(contentsOf: word)
                                words += 1
                            }
                            start = index + 1
                        }
                        index += 1
                    }
                    return words > 0
                }
                if built == true { details[String(decoding: key, as: UTF8.self)] = value }
            } else if let colon = item.range(ofASCII: ": "), let value = number(item[colon.upperBound...]) {
                details[Self.snakeCase(item[..<colon.lowerBound])] = value
            }
        }
    }

    /// `redo lsn` as `redo_lsn`.
    static func snakeCase(_ words: Substring) -> String {
        String(decoding: words.utf8.map { $0 == 0x20 ? 0x5F : $0 }, as: UTF8.self)
    }

    /// An integer or a decimal.
    static func number(_ text: Substring) -> JSONValue? {
        if let integer = Int64(text) { return .integer(integer) }
        return Double(text).map { .number($0) }
    }
}
