package import AgentSchema
package import SQLRedaction

/// Gives a parsed log event its class (`event`), its structured `details`, its `duration_ms` and
/// its `correlation_id`, and takes the values out of every statement it carries.
///
/// ## Classes
/// Recognised from PostgreSQL's English message texts: `slow_query` (`duration: … ms  statement: …`,
/// the extended protocol's `parse`/`bind`/`execute`), `auto_explain` (`duration: … ms  plan:`),
/// `lock_wait` (`process … still waiting for …` and its follow-ups), `deadlock`, `temp_file`,
/// `checkpoint` (and restartpoints), `autovacuum`, `autoanalyze`, `connection`, `authentication`,
/// `disconnection`. Two classes also come from the SQLSTATE, which is the same in every language:
/// `deadlock` (40P01) and failed `authentication` (class 28). Anything else at ERROR, FATAL or PANIC
/// is an `error`; the rest, and every localised message, is `other`.
///
/// ## Redaction
/// Statements go through the same ``SQLRedactor`` as the activity collector's query texts: the
/// `statement` and `internal_query` fields, the statement inside a slow query's or `log_statement`'s
/// message, the `prepare:` and `Parameters:` details, the statements a deadlock's DETAIL lists,
/// `SQL statement "…"` lines and bind parameters in CONTEXT, and auto_explain's query text and plan
/// conditions. Statements that carry a credential are masked even with `redact_query_literals` off,
/// and so are the bind parameters logged with them.
///
/// ## auto_explain
/// The plan moves from the message into `details.plan` (a string for text, YAML or XML, an object
/// for JSON), so that a large plan is not shipped twice; the message keeps its first line.
package struct LogClassifier: Sendable {
    private let redactor: SQLRedactor
    /// Masks every constant: for the parameters of a credential-bearing statement.
    private let masker = SQLRedactor(redactLiterals: true)
    private let correlation: CorrelationExtractor

    /// Makes a classifier; `redactor` follows `[privacy]`, `correlation` follows `[correlation]`.
    package init(redactor: SQLRedactor, correlation: CorrelationExtractor) {
        self.redactor = redactor
        self.correlation = correlation
    }

    /// Sets `event`, `details`, `durationMs` and `correlationID`, and redacts the statements in place.
    package func classify(_ event: inout LogEvent) {
        event.correlationID = correlation.extract(from: event.applicationName)
        var statementCarriesCredential = false
        if let statement = event.statement {
            statementCarriesCredential = !redactor.redactLiterals && SQLRedactor.isPasswordBearing(statement)
            event.statement = redactor.redact(statement)
        }
        if let query = event.internalQuery { event.internalQuery = redactor.redact(query) }
        if let context = event.context {
            event.context = redactContext(context, masking: statementCarriesCredential)
        }

        if let sqlstate = event.sqlstate {
            if sqlstate == "40P01" {
                classifyDeadlock(&event)
                return
            }
            if Substring(sqlstate).hasASCIIPrefix("28") {
                classifyAuthenticationFailure(&event)
                return
            }
        } else if let message = event.message {
            // A stderr prefix without %e carries no SQLSTATE: the English texts of the two codes above.
            if event.severity == "ERROR", message.hasPrefix("deadlock detected") {
                classifyDeadlock(&event)
                return
            }
            if event.severity == "FATAL", message.contains(" authentication failed for user ") {
                classifyAuthenticationFailure(&event)
                return
            }
        }
        if let message = event.message, classifyMessage(message, &event, masking: statementCarriesCredential) {
            return
        }
        switch event.severity {
        case "ERROR", "FATAL", "PANIC":
            event.event = "error"
            if let sqlstate = event.sqlstate { event.details = ["sqlstate": .string(sqlstate)] }
        default:
            event.event = "other"
        }
        if let message = event.message, let redacted = redactTranslatedDuration(message) { event.message = redacted }
        if let detail = event.detail { event.detail = redactDetail(detail, masking: statementCarriesCredential).text }
    }

    /// `Dauer: 1.234 ms  Anweisung: …`, `durée : 1.234 ms, instruction : …`: a slow-query line in another
    /// language. Not classified (only English texts are), but its statement must not leak: whatever
    /// follows the label after the duration is redacted as a statement.
    private func redactTranslatedDuration(_ message: String) -> String? {
        let text = Substring(message)
        guard let colon = text.range(ofASCII: ":"),
              text.utf8.distance(from: text.startIndex, to: colon.lowerBound) <= 40 else { return nil }
        let number = text[colon.upperBound...].droppingLeading(" ")
        let digits = number.utf8.prefix { $0 &- 0x30 < 10 || $0 == 0x2E || $0 == 0x2C }
        guard !digits.isEmpty, let unit = number[digits.endIndex...].after(" ms"),
              let label = unit.range(ofASCII: ": "),
              unit.utf8.distance(from: unit.startIndex, to: label.lowerBound) <= 60 else { return nil }
        let statement = unit[label.upperBound...]
        return String(text[..<statement.startIndex]) + redactor.redact(String(statement))
    }

    /// The classes told by the message text; false when the text is none of them.
    private func classifyMessage(_ message: String, _ event: inout LogEvent, masking: Bool) -> Bool {
        let text = Substring(message)
        if let rest = text.after("duration: ") {
            classifyDuration(rest, &event)
        } else if let rest = text.after("statement: ") {
            // log_statement: not slow, but the statement must not leak.
            event.event = "other"
            redactStatementMessage(prefix: "statement: ", statement: rest, phase: "statement", name: nil, &event)
            event.details = nil
        } else if text.hasASCIIPrefix("execute ") {
            guard let (phase, name, statement) = Self.extendedProtocolMessage(text) else { return false }
            event.event = "other"
            redactStatementMessage(
                prefix: text[..<statement.startIndex], statement: statement, phase: phase, name: name, &event)
            event.details = nil
        } else if let rest = text.after("process ") {
            return classifyLockWait(rest, &event)
        } else if text.hasASCIIPrefix("temporary file: ") {
            classifyTempFile(text, &event)
        } else if let rest = text.after("checkpoint ") {
            return classifyCheckpoint(rest, type: "checkpoint", &event)
        } else if let rest = text.after("restartpoint ") {
            return classifyCheckpoint(rest, type: "restartpoint", &event)
        } else if text.hasASCIIPrefix("automatic ") {
            return classifyMaintenance(text, &event)
        } else if let rest = text.after("connection ") {
            return classifyConnection(rest, replication: false, &event)
        } else if let rest = text.after("replication connection ") {
            return classifyConnection(rest, replication: true, &event)
        } else if let rest = text.after("disconnection: session time: ") {
            classifyDisconnection(rest, &event)
        } else {
            return false
        }
        if let detail = event.detail, event.event != "slow_query", event.event != "other" {
            event.detail = redactDetail(detail, masking: masking).text
        }
        return true
    }
}

// MARK: - Statements and their durations

extension LogClassifier {
    /// `duration: 1.234 ms  statement: …` and its kin.
    private func classifyDuration(_ rest: Substring, _ event: inout LogEvent) {
        let milliseconds = rest.range(ofASCII: " ms").flatMap { Double(rest[..<$0.lowerBound]) }
        event.durationMs = milliseconds
        var details: [String: JSONValue] = [:]
        if let milliseconds { details["duration_ms"] = .number(milliseconds) }
        let tail = rest.range(ofASCII: " ms").map { rest[$0.upperBound...] } ?? rest[rest.endIndex...]
        let body = tail.droppingLeading(" ")
        let message = event.message ?? ""

        if let plan = body.after("plan:") {
            event.event = "auto_explain"
            let (format, value) = explainPlan(plan.droppingLeading("\n "))
            details["format"] = .string(format)
            details["plan"] = value
            event.message = String(message[..<plan.startIndex])
            event.details = details
            return
        }
        event.event = "slow_query"
        if body.isEmpty {
            // log_duration alone: the statement was logged on its own line before.
            event.details = details
            return
        }
        let phase: String
        let name: Substring?
        let statement: Substring
        if let text = body.after("statement: ") {
            (phase, name, statement) = ("statement", nil, text)
        } else if let text = body.after("fastpath function call: ") {
            (phase, name, statement) = ("fastpath", nil, text)
        } else if let parsed = Self.extendedProtocolMessage(body) {
            (phase, name, statement) = parsed
        } else {
            event.details = details
            return
        }
        redactStatementMessage(
            prefix: message[..<statement.startIndex], statement: statement, phase: phase, name: name,
            details: details, &event)
    }

    /// `execute S_1/C_2: …`, `execute fetch from S_1: …`, `parse <unnamed>: …`, `bind S_3: …`.
    private static func extendedProtocolMessage(_ text: Substring) -> (String, Substring?, Substring)? {
        let phase: String
        let rest: Substring
        if let after = text.after("execute fetch from ") {
            (phase, rest) = ("execute_fetch", after)
        } else if let after = text.after("execute ") {
            (phase, rest) = ("execute", after)
        } else if let after = text.after("parse ") {
            (phase, rest) = ("parse", after)
        } else if let after = text.after("bind ") {
            (phase, rest) = ("bind", after)
        } else {
            return nil
        }
        guard let colon = rest.range(ofASCII: ": ") else { return nil }
        return (phase, rest[..<colon.lowerBound], rest[colon.upperBound...])
    }

    /// Rewrites the message with the statement redacted, and fills the slow-query details,
    /// including the `prepare:` and `Parameters:` lines of DETAIL.
    private func redactStatementMessage(
        prefix: Substring, statement: Substring, phase: String, name: Substring?,
        details: [String: JSONValue] = [:], _ event: inout LogEvent
    ) {
        let statementText = String(statement)
        let redacted = redactor.redact(statementText)
        event.message = prefix + redacted
        var details = details
        details.reserveCapacity(8)
        details["phase"] = .string(phase)
        details["statement"] = .string(redacted)
        if let name {
            let slash = name.range(ofASCII: "/")
            details["prepared_name"] = .string(String(name[..<(slash?.lowerBound ?? name.endIndex)]))
            if let slash { details["portal_name"] = .string(String(name[slash.upperBound...])) }
        }
        if let detail = event.detail {
            let masking = !redactor.redactLiterals && SQLRedactor.isPasswordBearing(statementText)
            let result = redactDetail(detail, masking: masking)
            event.detail = result.text
            if let parameters = result.parameters { details["parameters"] = .string(parameters) }
            if let prepare = result.prepare { details["prepare"] = .string(prepare) }
        }
        event.details = details
    }

    /// DETAIL with its `Parameters: $1 = …` values and `prepare: PREPARE …` statement redacted. The
    /// labels are told by what follows them (`$1 = `, `PREPARE`), so translated labels are found too.
    private func redactDetail(_ detail: String, masking: Bool) -> (text: String, parameters: String?, prepare: String?) {
        guard detail.containsASCII("$1 = ") || detail.containsASCII("PREPARE ") || detail.containsASCII("prepare ")
        else { return (detail, nil, nil) }
        var parameters: String?
        var prepare: String?
        var lines: [Substring] = []
        for line in detail.splitASCII("\n", omittingEmpty: false) {
            guard let label = line.range(ofASCII: ": "),
                  line.utf8.distance(from: line.startIndex, to: label.lowerBound) <= 40 else {
                lines.append(line)
                continue
            }
            let value = line[label.upperBound...]
            if value.hasASCIIPrefix("$1 = ") {
                let redacted = redactParameters(value, masking: masking)
                parameters = redacted
                lines.append(line[..<value.startIndex] + redacted)
            } else if value.hasASCIIPrefix("PREPARE ") || value.hasASCIIPrefix("prepare ") {
                let redacted = redactor.redact(String(value))
                prepare = redacted
                lines.append(line[..<value.startIndex] + redacted)
            } else {
                lines.append(line)
            }
        }
        return (lines.joined(separator: "\n"), parameters, prepare)
    }

    /// `$1 = '42', $2 = NULL`: the values are string constants, so the SQL redactor takes them out.
    private func redactParameters(_ values: Substring, masking: Bool) -> String {
        (masking ? masker : redactor).redact(String(values))
    }

    /// CONTEXT lines that quote a statement (`SQL statement "…"`, `SQL expression "…"`) or list
    /// bind parameters (`unnamed portal with parameters: $1 = …`, in any language).
    private func redactContext(_ context: String, masking: Bool) -> String {
        guard context.containsASCII("SQL ") || context.containsASCII(": $1 = ") else { return context }
        var changed = false
        var lines: [Substring] = []
        for line in context.splitASCII("\n", omittingEmpty: false) {
            if let quoted = line.after("SQL statement \"") ?? line.after("SQL expression \""),
               let close = quoted.lastIndex(of: "\"") {
                let redacted = redactor.redact(String(quoted[..<close]))
                lines.append(line[..<quoted.startIndex] + redacted + quoted[close...])
                changed = true
            } else if let marker = line.range(ofASCII: ": $1 = ") {
                let values = line[line.utf8.index(marker.lowerBound, offsetBy: 2)...]
                lines.append(line[..<values.startIndex] + redactParameters(values, masking: masking))
                changed = true
            } else {
                lines.append(line)
            }
        }
        return changed ? lines.joined(separator: "\n") : context
    }
}

// MARK: - auto_explain

extension LogClassifier {
    /// Plan fields that hold expressions, and so may hold constants.
    private static let expressionKeys: Set<String> = [
        "Query Text", "Filter", "Index Cond", "Recheck Cond", "Join Filter", "Hash Cond", "Merge Cond",
        "One-Time Filter", "TID Cond", "Run Condition", "Order By", "Output", "Sort Key", "Group Key",
        "Presorted Key", "Cache Key", "Function Call", "Table Function Call", "Sampling Parameters",
        "Repeatable Seed", "Conflict Filter", "Hash Key", "Index Searches",
    ]

    /// The plan's format and its redacted form.
    private func explainPlan(_ plan: Substring) -> (String, JSONValue) {
        if plan.first == "{" || plan.first == "[" {
            if let value = JSONBytesReader.value(of: String(plan)) {
                return ("json", redactPlanValue(value, key: nil))
            }
            return ("json", .string(redactPlanText(plan)))
        }
        if plan.first == "<" {
            // XML: too rare to read tag by tag; every constant in it goes.
            return ("xml", .string(masker.redact(String(plan))))
        }
        let isYAML = plan.hasASCIIPrefix("Query Text: \"") || plan.hasASCIIPrefix("- Plan:")
        return (isYAML ? "yaml" : "text", .string(redactPlanText(plan)))
    }

    private func redactPlanValue(_ value: JSONValue, key: String?) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(members.reduce(into: [:]) { $0[$1.key] = redactPlanValue($1.value, key: $1.key) })
        case .array(let elements):
            return .array(elements.map { redactPlanValue($0, key: key) })
        case .string(let text):
            guard let key else { return value }
            if key == "Query Parameters" { return .string(redactParameters(Substring(text), masking: false)) }
            return Self.expressionKeys.contains(key) ? .string(redactor.redact(text)) : value
        default:
            return value
        }
    }

    /// Text (or YAML, or broken JSON) plans, line by line: the query text up to the first plan
    /// node, and the value of every expression line.
    private func redactPlanText(_ plan: Substring) -> String {
        var output: [String] = []
        var queryLines: [Substring] = []
        var queryPrefix: Substring?
        func flushQuery() {
            guard let prefix = queryPrefix else { return }
            output.append(prefix + redactor.redact(queryLines.joined(separator: "\n")))
            queryPrefix = nil
            queryLines = []
        }
        for line in plan.splitASCII("\n", omittingEmpty: false) {
            let trimmed = line.droppingLeading(" \t")
            if queryPrefix != nil {
                if line.containsASCII("(cost=") || line.containsASCII("(actual ") || line.containsASCII("(never executed)")
                    || Self.planKey(trimmed) != nil {
                    flushQuery()
                } else {
                    queryLines.append(line)
                    continue
                }
            }
            guard let (key, value) = Self.planKey(trimmed) else {
                output.append(String(line))
                continue
            }
            let prefix = line[..<value.startIndex]
            if key == "Query Text" {
                queryPrefix = prefix
                queryLines = [value]
            } else if key == "Query Parameters" {
                output.append(prefix + redactParameters(value, masking: false))
            } else if Self.expressionKeys.contains(key) {
                output.append(prefix + redactQuoted(value))
            } else {
                output.append(String(line))
            }
        }
        flushQuery()
        return output.joined(separator: "\n")
    }

    /// `Filter: (…)`, `"Filter": "(…)",` or YAML's `Filter: "(…)"`: the key and the value's text.
    private static func planKey(_ line: Substring) -> (String, Substring)? {
        var line = line
        if line.first == "\"" { line = line.dropFirst() }
        guard let colon = line.range(ofASCII: ": ") else { return nil }
        var key = line[..<colon.lowerBound]
        if key.last == "\"" { key = key.dropLast() }
        let name = String(key)
        guard name == "Query Parameters" || expressionKeys.contains(name) else { return nil }
        return (name, line[colon.upperBound...])
    }

    /// Redacts a value that may sit in double quotes (JSON, YAML) and end with a comma (JSON).
    private func redactQuoted(_ value: Substring) -> String {
        var body = value
        var suffix: Substring = ""
        if body.last == "," {
            suffix = body.suffix(1)
            body = body.dropLast()
        }
        if body.count >= 2, body.first == "\"", body.last == "\"" {
            return "\"" + redactor.redact(String(body.dropFirst().dropLast())) + "\"" + suffix
        }
        return redactor.redact(String(body)) + suffix
    }
}

// MARK: - Locks

extension LogClassifier {
    /// `process 123 still waiting for ShareLock on transaction 456 after 100.1 ms` and the
    /// `acquired`, `avoided deadlock`, `detected deadlock` and `failed to acquire` variants.
    private func classifyLockWait(_ rest: Substring, _ event: inout LogEvent) -> Bool {
        let pidText = rest.asciiDigits
        guard let pid = Int64(pidText) else { return false }
        let after = rest[pidText.endIndex...]
        let states: [(String, String)] = [
            (" still waiting for ", "waiting"), (" acquired ", "acquired"),
            (" avoided deadlock for ", "avoided_deadlock"),
            (" detected deadlock while waiting for ", "deadlock_detected"),
            (" failed to acquire ", "failed"),
        ]
        var found: (String, Substring)?
        for (marker, state) in states {
            if let lock = after.after(marker) {
                found = (state, lock)
                break
            }
        }
        guard let (state, lock) = found, let on = lock.range(ofASCII: " on "),
              let afterRange = lock.lastRange(ofASCII: " after ") else { return false }
        var object = lock[on.upperBound..<afterRange.lowerBound]
        if let by = object.range(ofASCII: " by rearranging") { object = object[..<by.lowerBound] }
        var details: [String: JSONValue] = [
            "state": .string(state),
            "pid": .integer(pid),
            "lock_mode": .string(String(lock[..<on.lowerBound])),
            "object": .string(String(object)),
            "lock_type": .string(Self.lockType(object)),
        ]
        let waited = lock[afterRange.upperBound...].prefix(beforeASCII: " ")
        if let waited = Double(waited) { details["waited_ms"] = .number(waited) }
        if let detail = event.detail {
            if let holders = Substring(detail).after("holding the lock: ", anywhere: true) {
                let list = holders.range(ofASCII: ". Wait queue: ").map { holders[..<$0.lowerBound] } ?? holders
                details["holders"] = .array(Self.pids(list).map { .integer($0) })
            }
            if let queue = Substring(detail).after("Wait queue: ", anywhere: true) {
                details["waiters"] = .array(Self.pids(queue).map { .integer($0) })
            }
        }
        event.event = "lock_wait"
        event.details = details
        return true
    }

    /// The kind of object locked: the words before its first number (`transaction`, `relation`,
    /// `tuple`, `advisory lock`, `virtual transaction`, `extension of relation`…).
    private static func lockType(_ object: Substring) -> String {
        var words: [Substring] = []
        for word in object.splitASCII(" ") {
            guard let first = word.first, !first.isNumber, first != "(", first != "[" else { break }
            words.append(word)
        }
        return words.joined(separator: " ")
    }

    /// The pids in `12, 34.` (a trailing period and an empty list are fine).
    private static func pids(_ list: Substring) -> [Int64] {
        list.splitASCII(",").compactMap { Int64($0.droppingLeading(" ").asciiDigits) }
    }

    /// `deadlock detected`, with DETAIL's `Process N waits for MODE on OBJECT; blocked by process M.`
    /// lines and then `Process N: statement` lines (statements may span lines). The statement lines
    /// are found in any language (`Prozess N: …`, `Processus N : …`), so that they are always redacted.
    private func classifyDeadlock(_ event: inout LogEvent) {
        event.event = "deadlock"
        var details: [String: JSONValue] = ["sqlstate": .string("40P01")]
        guard let detail = event.detail else {
            event.details = details
            return
        }
        var order: [Int64] = []
        var processes: [Int64: [String: JSONValue]] = [:]
        var current: (pid: Int64, prefix: Substring, lines: [Substring])?
        var lines: [String] = []
        func flush() {
            guard let (pid, prefix, parts) = current else { return }
            let redacted = redactor.redact(parts.joined(separator: "\n"))
            if processes[pid] == nil { order.append(pid) }
            processes[pid, default: ["pid": .integer(pid)]]["statement"] = .string(redacted)
            lines.append(prefix + redacted)
            current = nil
        }
        for line in detail.splitASCII("\n", omittingEmpty: false) {
            if let (pid, prefix, statement) = Self.processStatementLine(line) {
                flush()
                current = (pid, prefix, [statement])
                continue
            }
            if let rest = line.after("Process "), let pid = Int64(rest.asciiDigits),
               let wait = rest[rest.asciiDigits.endIndex...].after(" waits for ") {
                flush()
                var process: [String: JSONValue] = ["pid": .integer(pid)]
                if let on = wait.range(ofASCII: " on "), let blocked = wait.range(ofASCII: "; blocked by process ") {
                    process["lock_mode"] = .string(String(wait[..<on.lowerBound]))
                    let object = wait[on.upperBound..<blocked.lowerBound]
                    process["waits_for"] = .string(String(object))
                    process["lock_type"] = .string(Self.lockType(object))
                    if let blocker = Int64(wait[blocked.upperBound...].asciiDigits) {
                        process["blocked_by"] = .integer(blocker)
                    }
                }
                if processes[pid] == nil { order.append(pid) }
                processes[pid, default: [:]].merge(process) { _, new in new }
                lines.append(String(line))
                continue
            }
            if current != nil {
                current?.lines.append(line)
            } else {
                lines.append(String(line))
            }
        }
        flush()
        event.detail = lines.joined(separator: "\n")
        details["processes"] = .array(order.compactMap { processes[$0].map(JSONValue.object) })
        event.details = details
    }

    /// `Process 123: UPDATE …` (a word, a pid, a colon, the statement), in whatever language.
    private static func processStatementLine(_ line: Substring) -> (Int64, Substring, Substring)? {
        let word = line.prefix(beforeASCII: " ")
        guard !word.isEmpty, word.endIndex < line.endIndex else { return nil }
        let rest = line[line.utf8.index(after: word.endIndex)...]
        let digits = rest.asciiDigits
        guard let pid = Int64(digits) else { return nil }
        let tail = rest[digits.endIndex...]
        guard let statement = tail.after(": ") ?? tail.after(" : ") else { return nil }
        return (pid, line[..<statement.startIndex], statement)
    }
}

// MARK: - Files, checkpoints, maintenance

extension LogClassifier {
    /// `temporary file: path "base/pgsql_tmp/pgsql_tmp123.0", size 1400000`
    private func classifyTempFile(_ text: Substring, _ event: inout LogEvent) {
        var details: [String: JSONValue] = [:]
        if let quoted = text.after("temporary file: path \""), let close = quoted.firstIndex(of: "\"") {
            details["path"] = .string(String(quoted[..<close]))
            if let size = quoted[close...].after("\", size "), let bytes = Int64(size.asciiDigits) {
                details["size_bytes"] = .integer(bytes)
            }
        }
        event.event = "temp_file"
        event.details = details
    }

    /// `checkpoint starting: immediate force wait` and `checkpoint complete: wrote 3 buffers (0.0%); …`;
    /// false for the other messages that start with the word (`checkpoint request failed`).
    private func classifyCheckpoint(_ rest: Substring, type: String, _ event: inout LogEvent) -> Bool {
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
        event.event = "checkpoint"
        event.details = details
        return true
    }

    private static func checkpointFigure(_ item: Substring, group: Substring, into details: inout [String: JSONValue]) {
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
    private func classifyMaintenance(_ text: Substring, _ event: inout LogEvent) -> Bool {
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
                let prefix = ["buffer usage": "buffer", "WAL usage": "wal"][String(label)] ?? String(label)
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
        event.event = isAnalyze ? "autoanalyze" : "autovacuum"
        event.details = details
        return true
    }

    /// `0 removed, 7 remain, 7 scanned (100.00% of total)` as `pages_removed`, `pages_remain`, …;
    /// `0 are dead but not yet removable` as `tuples_dead_not_yet_removable`; `oldest xmin: 746`.
    private static func counts(_ body: Substring, prefix: String, into details: inout [String: JSONValue]) {
        for item in body.splitASCII(",") {
            let item = item.droppingLeading(" ")
            let words = item.prefix(beforeASCII: "(").splitASCII(" ")
            guard let first = words.first else { continue }
            if let value = number(first) {
                var name = words.dropFirst()
                if name.first == "are" { name = name.dropFirst() }
                let key = name.filter { $0 != "but" }.joined(separator: "_")
                if !key.isEmpty { details[prefix + "_" + key] = value }
            } else if let colon = item.range(ofASCII: ": "), let value = number(item[colon.upperBound...]) {
                details[Self.snakeCase(item[..<colon.lowerBound])] = value
            }
        }
    }

    /// `redo lsn` as `redo_lsn`.
    private static func snakeCase(_ words: Substring) -> String {
        String(decoding: words.utf8.map { $0 == 0x20 ? 0x5F : $0 }, as: UTF8.self)
    }

    /// An integer or a decimal.
    private static func number(_ text: Substring) -> JSONValue? {
        if let integer = Int64(text) { return .integer(integer) }
        return Double(text).map { .number($0) }
    }
}

// MARK: - Sessions

extension LogClassifier {
    /// `connection received: host=… port=…`, `connection authorized: user=… database=…
    /// application_name=…`, `connection authenticated: identity="…" method=… (file:line)` and
    /// PostgreSQL 18's `connection ready: setup total=… ms, …`.
    private func classifyConnection(_ rest: Substring, replication: Bool, _ event: inout LogEvent) -> Bool {
        var details: [String: JSONValue] = [:]
        details.reserveCapacity(8)
        if replication { details["replication"] = .bool(true) }
        if let text = rest.after("authenticated: ") {
            for key in ["identity", "user", "method"] {
                if let value = Self.keyword(key, in: text) { details[key] = .string(value) }
            }
            if let open = text.lastIndex(of: "("), text.last == ")" {
                details["hba_line"] = .string(String(text[text.index(after: open)..<text.index(before: text.endIndex)]))
            }
            details["failure"] = .bool(false)
            event.event = "authentication"
            event.details = details
            return true
        }
        let stages = ["received", "authorized", "ready"]
        guard let stage = stages.first(where: { rest.hasASCIIPrefix($0 + ": ") }) else { return false }
        let text = rest.dropFirst(stage.count + 2)
        details["stage"] = .string(stage)
        switch stage {
        case "ready":
            for item in text.splitASCII(",") {
                let item = item.droppingLeading(" ")
                guard let equals = item.firstIndex(of: "=") else { continue }
                let key = item[..<equals].splitASCII(" ").last.map(String.init) ?? ""
                let value = item[item.index(after: equals)...].prefix(beforeASCII: " ")
                if let number = Self.number(value) { details[key + "_ms"] = number }
            }
        default:
            for key in ["host", "port", "user", "database"] {
                if let value = Self.keyword(key, in: text) {
                    details[key] = key == "port" ? (Self.number(Substring(value)) ?? .string(value)) : .string(value)
                }
            }
            if let name = text.after(" application_name=", anywhere: true) ?? text.after("application_name=") {
                let end = [" SSL enabled (", " GSS ("].compactMap { name.range(ofASCII: $0)?.lowerBound }.min()
                details["application_name"] = .string(String(name[..<(end ?? name.endIndex)]))
            }
            if text.containsASCII(" SSL enabled (") { details["ssl"] = .bool(true) }
        }
        event.event = "connection"
        event.details = details
        return true
    }

    /// `password authentication failed for user "x"`, `no pg_hba.conf entry for host …`, …:
    /// anything with a class 28 SQLSTATE.
    private func classifyAuthenticationFailure(_ event: inout LogEvent) {
        var details: [String: JSONValue] = ["failure": .bool(true)]
        if let sqlstate = event.sqlstate { details["sqlstate"] = .string(sqlstate) }
        if let message = event.message, let failed = message.range(ofASCII: " authentication failed for user \"") {
            details["method"] = .string(String(message[..<failed.lowerBound]))
            let user = message[failed.upperBound...]
            if let close = user.lastIndex(of: "\"") { details["user"] = .string(String(user[..<close])) }
        }
        if let detail = event.detail, let matched = Substring(detail).after("Connection matched ", anywhere: true) {
            if let line = matched.range(ofASCII: ": \"") {
                let entry = matched[line.upperBound...].prefix(beforeASCII: "\"")
                details["hba_line"] = .string(String(entry))
                if let method = entry.splitASCII(" ").last { details["hba_method"] = .string(String(method)) }
            }
        }
        event.event = "authentication"
        event.details = details
    }

    /// `disconnection: session time: 0:00:01.234 user=… database=… host=… port=…`
    private func classifyDisconnection(_ rest: Substring, _ event: inout LogEvent) {
        var details: [String: JSONValue] = [:]
        let time = rest.prefix(beforeASCII: " ")
        let parts = time.splitASCII(":")
        if parts.count == 3, let hours = Double(parts[0]), let minutes = Double(parts[1]), let seconds = Double(parts[2]) {
            let milliseconds = ((hours * 60 + minutes) * 60 + seconds) * 1000
            let rounded = (milliseconds * 1000).rounded() / 1000
            details["session_time_ms"] = .number(rounded)
            event.durationMs = rounded
        }
        for key in ["user", "database", "host", "port"] {
            if let value = Self.keyword(key, in: rest) {
                details[key] = key == "port" ? (Self.number(Substring(value)) ?? .string(value)) : .string(value)
            }
        }
        event.event = "disconnection"
        event.details = details
    }

    /// The value of `key=value` (at the start or after a space) up to the next space; quotes around
    /// it dropped.
    private static func keyword(_ key: String, in text: Substring) -> String? {
        var rest = text
        while let found = rest.range(ofASCII: key) {
            let atWordStart = found.lowerBound == text.startIndex
                || text.utf8[text.utf8.index(before: found.lowerBound)] == 0x20
            rest = rest[found.upperBound...]
            guard atWordStart, rest.utf8.first == 0x3D else { continue }
            let value = rest.dropFirst()
            if value.utf8.first == 0x22, let close = value.dropFirst().utf8.firstIndex(of: 0x22) {
                return String(value[value.utf8.index(after: value.startIndex)..<close])
            }
            let word = value.prefix(beforeASCII: " ")
            return word.isEmpty ? nil : String(word)
        }
        return nil
    }
}

// MARK: - Substring helpers

// Byte-level text helpers: every marker we look for is ASCII, and searching UTF-8 bytes is many
// times faster than the Character-based searches of the standard library (grapheme breaking).
extension Substring {
    /// The text after `prefix` when it starts with it; with `anywhere`, after its first occurrence.
    fileprivate func after(_ prefix: String, anywhere: Bool = false) -> Substring? {
        if anywhere { return range(ofASCII: prefix).map { self[$0.upperBound...] } }
        guard utf8.starts(with: prefix.utf8) else { return nil }
        return self[utf8.index(startIndex, offsetBy: prefix.utf8.count)...]
    }

    /// The first occurrence of `needle` (ASCII), compared byte by byte.
    fileprivate func range(ofASCII needle: String) -> Range<Index>? {
        byteRange(of: needle, fromEnd: false)
    }

    /// The last occurrence of `needle` (ASCII).
    fileprivate func lastRange(ofASCII needle: String) -> Range<Index>? {
        byteRange(of: needle, fromEnd: true)
    }

    fileprivate func containsASCII(_ needle: String) -> Bool {
        range(ofASCII: needle) != nil
    }

    fileprivate func hasASCIIPrefix(_ prefix: String) -> Bool {
        utf8.starts(with: prefix.utf8)
    }

    /// The parts between `separator`s (ASCII), as `split(separator:)` gives them.
    fileprivate func splitASCII(_ separator: Unicode.Scalar, omittingEmpty: Bool = true) -> [Substring] {
        let byte = UInt8(separator.value)
        var parts: [Substring] = []
        var start = startIndex
        var index = startIndex
        let utf8 = self.utf8
        while index < endIndex {
            if utf8[index] == byte {
                if !omittingEmpty || start < index { parts.append(self[start..<index]) }
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        if !omittingEmpty || start < endIndex { parts.append(self[start...]) }
        return parts
    }

    /// The text without the leading characters in `set` (ASCII).
    fileprivate func droppingLeading(_ set: String) -> Substring {
        let bytes = Array(set.utf8)
        guard let first = utf8.firstIndex(where: { !bytes.contains($0) }) else { return self[endIndex...] }
        return self[first...]
    }

    /// The text up to the first `byte` (ASCII), or all of it.
    fileprivate func prefix(beforeASCII character: Unicode.Scalar) -> Substring {
        guard let end = utf8.firstIndex(of: UInt8(character.value)) else { return self }
        return self[..<end]
    }

    /// The ASCII digits the text starts with.
    fileprivate var asciiDigits: Substring {
        self[..<(utf8.firstIndex { $0 &- 0x30 >= 10 } ?? endIndex)]
    }

    private func byteRange(of needle: String, fromEnd: Bool) -> Range<Index>? {
        let length = needle.utf8.count
        let search = { (haystack: UnsafeBufferPointer<UInt8>) -> Int? in
            var needle = needle
            return needle.withUTF8 { pin -> Int? in
                guard let first = pin.first, haystack.count >= pin.count else { return nil }
                let last = haystack.count - pin.count
                var start = fromEnd ? last : 0
                while fromEnd ? start >= 0 : start <= last {
                    if haystack[start] == first {
                        var offset = 1
                        while offset < pin.count, haystack[start + offset] == pin[offset] { offset += 1 }
                        if offset == pin.count { return start }
                    }
                    start += fromEnd ? -1 : 1
                }
                return nil
            }
        }
        let found = utf8.withContiguousStorageIfAvailable(search) ?? Array(utf8).withUnsafeBufferPointer(search)
        guard let found else { return nil }
        let lower = utf8.index(startIndex, offsetBy: found)
        return lower..<utf8.index(lower, offsetBy: length)
    }
}

extension String {
    fileprivate func after(_ prefix: String) -> Substring? {
        Substring(self).after(prefix)
    }

    fileprivate func range(ofASCII needle: String) -> Range<Index>? {
        Substring(self).range(ofASCII: needle)
    }

    fileprivate func containsASCII(_ needle: String) -> Bool {
        Substring(self).range(ofASCII: needle) != nil
    }

    fileprivate func splitASCII(_ separator: Unicode.Scalar, omittingEmpty: Bool = true) -> [Substring] {
        Substring(self).splitASCII(separator, omittingEmpty: omittingEmpty)
    }
}
