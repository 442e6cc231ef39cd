import AgentSchema
import Glibc
import SQLRedaction

// Files, checkpoints, maintenance
extension LogClassifier {
    /// `temporary file: path "base/pgsql_tmp/pgsql_tmp123.0", size 1400000`
    func classifyTempFile(_ text: Substring, _ event: inout LogEvent) {
        var details: JSONObject = [:]
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
        var details: JSONObject = ["type": .string(type)]
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

    static func checkpointFigure(_ item: Substring, group: Substring, into details: inout JSONObject) {
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
        let headerEnd = text.utf8.firstIndex(of: 0x0A) ?? text.endIndex
        let header = text[..<headerEnd]
        guard let ofTable = header.range(ofASCII: " of table \"") else { return false }
        let kind = header[..<ofTable.lowerBound]
        let isAnalyze = kind == "automatic analyze"
        guard isAnalyze || kind.containsASCII("vacuum") else { return false }
        var details: JSONObject = [:]
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
        var statistics = text[headerEnd...]
        statistics.withUTF8 { bytes in
            var lineStart = 0
            while lineStart < bytes.count {
                let lineEnd = bytes.firstIndex(of: 0x0A, from: lineStart) ?? bytes.count
                defer { lineStart = lineEnd + 1 }
                var start = lineStart
                while start < lineEnd, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
                let line = UnsafeBufferPointer(rebasing: bytes[start..<lineEnd])
                Self.statisticsLine(line, into: &details, indexes: &indexes)
            }
        }
        if !indexes.isEmpty { details["indexes"] = .array(indexes) }
        event.event = isAnalyze ? .autoanalyze : kind.containsASCII("wraparound") ? .autovacuumWraparound : .autovacuum
        event.details = details
        return true
    }

    /// One statistics line of an autovacuum or autoanalyze entry (`pages: 0 removed, 7 remain, …`,
    /// `index "t_pkey": pages: 2 in total, …`), read over its bytes.
    static func statisticsLine(_ line: UnsafeBufferPointer<UInt8>, into details: inout JSONObject,
                               indexes: inout [JSONValue]) {
        guard let colon = firstColonSpace(line, from: 0, to: line.count) else { return }
        let label = UnsafeBufferPointer(rebasing: line[..<colon])
        let body = UnsafeBufferPointer(rebasing: line[(colon + 2)...])
        func `is`(_ text: StaticString) -> Bool {
            label.count == text.utf8CodeUnitCount && memcmp(label.baseAddress!, text.utf8Start, label.count) == 0
        }
        if `is`("pages") || `is`("tuples") {
            counts(body, prefix: `is`("pages") ? "pages" : "tuples", into: &details)
        } else if `is`("buffer usage") {
            counts(body, prefix: "buffer", into: &details)
        } else if `is`("WAL usage") {
            counts(body, prefix: "wal", into: &details)
        } else if `is`("frozen") {
            // `0 pages from table (0.00% of total) had 0 tuples frozen`
            let words = body.words()
            if let pages = words.first.flatMap({ number(UnsafeBufferPointer(rebasing: body[$0])) }) { details["frozen_pages"] = pages }
            if let had = words.firstIndex(where: { body[$0].elementsEqual("had".utf8) }), had + 1 < words.count,
               let tuples = number(UnsafeBufferPointer(rebasing: body[words[had + 1]])) {
                details["frozen_tuples"] = tuples
            }
        } else if `is`("avg read rate") {
            // `avg read rate: 0.000 MB/s, avg write rate: 0.000 MB/s`, read over the whole line.
            var itemStart = 0
            while itemStart < line.count {
                let itemEnd = line.firstIndex(of: UInt8(ascii: ","), from: itemStart) ?? line.count
                let item = UnsafeBufferPointer(rebasing: line[itemStart..<itemEnd])
                let words = item.words()
                if words.count >= 4, let value = number(UnsafeBufferPointer(rebasing: item[words[3]])) {
                    details[item[words[1]].elementsEqual("read".utf8) ? "read_rate_mb_s" : "write_rate_mb_s"] = value
                }
                itemStart = itemEnd + 1
            }
        } else if `is`("system usage") {
            figure(after: "user: ", in: body, as: "cpu_user_s", into: &details)
            figure(after: "system: ", in: body, as: "cpu_system_s", into: &details)
            figure(after: "elapsed: ", in: body, as: "elapsed_s", into: &details)
        } else if `is`("I/O timings") {
            figure(after: "read: ", in: body, as: "io_read_ms", into: &details)
            figure(after: "write: ", in: body, as: "io_write_ms", into: &details)
        } else if `is`("removable cutoff") || `is`("new relfrozenxid") || `is`("new relminmxid") {
            let end = body.firstIndex(of: UInt8(ascii: ","), from: 0) ?? body.count
            if let value = number(UnsafeBufferPointer(rebasing: body[..<end])) {
                details[String(decoding: label.map { $0 == 0x20 ? 0x5F : $0 }, as: UTF8.self)] = value
            }
        } else if label.starts(with: "index \"".utf8), firstOccurrence("pages: ", in: body) == 0 {
            // `index "name": pages: 5 in total, 0 newly deleted, …`
            let name = label[7..<Swift.max(7, label.count - 1)]
            var index: JSONObject = ["name": .string(String(decoding: name, as: UTF8.self))]
            counts(UnsafeBufferPointer(rebasing: body[7...]), prefix: "pages", into: &index)
            indexes.append(.object(index))
        }
    }

    /// The number after the first `marker` in `body` (up to the next space) as `key`.
    static func figure(after marker: StaticString, in body: UnsafeBufferPointer<UInt8>, as key: String,
                       into details: inout JSONObject) {
        guard let found = firstOccurrence(marker, in: body) else { return }
        let start = found + marker.utf8CodeUnitCount
        let end = body.firstIndex(of: 0x20, from: start) ?? body.count
        if let value = number(UnsafeBufferPointer(rebasing: body[start..<end])) { details[key] = value }
    }

    /// Where `needle` first occurs in `bytes`.
    static func firstOccurrence(_ needle: StaticString, in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        bytes.firstIndex(of: needle.utf8Start, count: needle.utf8CodeUnitCount, from: 0, to: bytes.count)
    }

    /// `0 removed, 7 remain, 7 scanned (100.00% of total)` as `pages_removed`, `pages_remain`, …;
    /// `0 are dead but not yet removable` as `tuples_dead_not_yet_removable`; `oldest xmin: 746`.
    /// Read over the bytes in one pass: an autovacuum entry has a dozen of these lines.
    static func counts(_ bytes: UnsafeBufferPointer<UInt8>, prefix: String, into details: inout JSONObject) {
        do {
            var key: [UInt8] = []
            key.reserveCapacity(48)
            var itemStart = 0
            while itemStart < bytes.count {
                let itemEnd = bytes.firstIndex(of: UInt8(ascii: ","), from: itemStart) ?? bytes.count
                defer { itemStart = itemEnd + 1 }
                var start = itemStart
                while start < itemEnd, bytes[start] == 0x20 { start += 1 }
                guard start < itemEnd else { continue }
                let headEnd = bytes.firstIndex(of: UInt8(ascii: "("), from: start, to: itemEnd) ?? itemEnd
                let firstEnd = bytes.firstIndex(of: 0x20, from: start, to: headEnd) ?? headEnd
                if let value = number(UnsafeBufferPointer(rebasing: bytes[start..<firstEnd])) {
                    // The words after the number, joined with `_`, less a leading `are` and any `but`.
                    key.removeAll(keepingCapacity: true)
                    key.append(contentsOf: prefix.utf8)
                    var words = 0
                    var wordStart = firstEnd
                    while wordStart < headEnd {
                        let wordEnd = bytes.firstIndex(of: 0x20, from: wordStart, to: headEnd) ?? headEnd
                        let word = UnsafeBufferPointer(rebasing: bytes[wordStart..<wordEnd])
                        let skip = word.isEmpty || (words == 0 && word.elementsEqual("are".utf8)) || word.elementsEqual("but".utf8)
                        if !skip {
                            key.append(0x5F)
                            key.append(contentsOf: word)
                            words += 1
                        }
                        wordStart = wordEnd + 1
                    }
                    if words > 0 { details[String(decoding: key, as: UTF8.self)] = value }
                } else if let colon = Self.firstColonSpace(bytes, from: start, to: itemEnd),
                          let value = number(UnsafeBufferPointer(rebasing: bytes[(colon + 2)..<itemEnd])) {
                    details[String(decoding: bytes[start..<colon].map { $0 == 0x20 ? 0x5F : $0 }, as: UTF8.self)] = value
                }
            }
        }
    }

    /// Where the first `: ` in `from..<to` starts.
    static func firstColonSpace(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        var start = from
        while let colon = bytes.firstIndex(of: UInt8(ascii: ":"), from: start, to: to) {
            if colon + 1 < to, bytes[colon + 1] == 0x20 { return colon }
            start = colon + 1
        }
        return nil
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

    /// An integer or a decimal, from bytes: `-?digits(.digits)?` read directly (a decimal as its digits
    /// over a power of ten, both exact, so the one division rounds as `Double(_:)` does); anything else
    /// (`+1`, `1e5`, very long numbers) through ``number(_:)-(Substring)``.
    static func number(_ bytes: UnsafeBufferPointer<UInt8>) -> JSONValue? {
        var index = 0
        let negative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        var digits: UInt64 = 0
        var count = 0
        var fraction = -1
        while index < bytes.count, count <= 15 {
            let byte = bytes[index]
            if byte &- 0x30 < 10 {
                digits = digits * 10 + UInt64(byte &- 0x30)
                count += 1
                if fraction >= 0 { fraction += 1 }
            } else if byte == UInt8(ascii: "."), fraction < 0, count > 0 {
                fraction = 0
            } else {
                break
            }
            index += 1
        }
        if index == bytes.count, count > 0, count <= 15, fraction != 0 {
            if fraction < 0 { return .integer(negative ? -Int64(digits) : Int64(digits)) }
            let value = Double(digits) / Self.powersOfTen[fraction]
            return .number(negative ? -value : value)
        }
        return number(Substring(decoding: bytes, as: UTF8.self))
    }

    /// 10⁰ … 10¹⁵, each exact in a `Double`.
    static let powersOfTen: [Double] = (0...15).map { (0..<$0).reduce(1.0) { value, _ in value * 10 } }
}
