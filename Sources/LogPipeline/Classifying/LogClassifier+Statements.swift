import AgentSchema
import SQLRedaction

// Statements and their durations
extension LogClassifier {
    /// `duration: 1.234 ms  statement: …` and its kin.
    func classifyDuration(_ rest: Substring, _ event: inout LogEvent) {
        let milliseconds = rest.range(ofASCII: " ms").flatMap { Double(rest[..<$0.lowerBound]) }
        event.durationMs = milliseconds
        var details: [String: JSONValue] = [:]
        if let milliseconds { details["duration_ms"] = .number(milliseconds) }
        let tail = rest.range(ofASCII: " ms").map { rest[$0.upperBound...] } ?? rest[rest.endIndex...]
        let body = tail.droppingLeading(" ")
        let message = event.message ?? ""

        if let plan = body.after("plan:") {
            event.event = .autoExplain
            let (format, value) = explainPlan(plan.droppingLeading("\n "))
            details["format"] = .string(format)
            details["plan"] = value
            event.message = String(message[..<plan.startIndex])
            event.details = details
            return
        }
        event.event = .slowQuery
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
    static func extendedProtocolMessage(_ text: Substring) -> (String, Substring?, Substring)? {
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
    func redactStatementMessage(
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
    func redactDetail(_ detail: String, masking: Bool) -> (text: String, parameters: String?, prepare: String?) {
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
    func redactParameters(_ values: Substring, masking: Bool) -> String {
        (masking ? masker : redactor).redact(String(values))
    }

    /// CONTEXT lines that quote a statement (`SQL statement "…"`, `SQL expression "…"`) or list
    /// bind parameters (`unnamed portal with parameters: $1 = …`, in any language).
    func redactContext(_ context: String, masking: Bool) -> String {
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
