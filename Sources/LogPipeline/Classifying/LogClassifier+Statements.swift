import AgentSchema
import SQLRedaction

// Statements and their durations
extension LogClassifier {
    /// `duration: 1.234 ms  statement: …` and its kin.
    func classifyDuration(_ rest: Substring, _ event: inout LogEvent, _ spans: inout SQLSpans) {
        let milliseconds = rest.range(ofASCII: " ms").flatMap { Double(rest[..<$0.lowerBound]) }
        event.durationMs = milliseconds
        // Room for what `markStatement` adds, so that the dictionary is not made twice.
        var details = JSONObject(); details.reserveCapacity(8)
        if let milliseconds { details["duration_ms"] = .number(milliseconds) }
        let tail = rest.range(ofASCII: " ms").map { rest[$0.upperBound...] } ?? rest[rest.endIndex...]
        let body = tail.droppingLeading(" ")
        let message = event.message ?? ""

        if let plan = body.after("plan:") {
            event.event = .autoExplain
            let (format, value) = Self.explainPlan(plan.droppingLeading("\n "))
            details["format"] = .string(format)
            details["plan"] = value
            spans.plan = true
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
        markStatement(statement, phase: phase, name: name, details: details, &event, &spans)
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

    /// Marks the statement in the message (and its `prepare:` and `Parameters:` lines in DETAIL) for the
    /// redactor, and fills the statement's details; the redacted texts go into `statement`, `prepare` and
    /// `parameters`.
    func markStatement(
        _ statement: Substring, phase: String, name: Substring?, details: JSONObject = [:],
        _ event: inout LogEvent, _ spans: inout SQLSpans
    ) {
        var details = details
        details.reserveCapacity(8)
        details["phase"] = .string(phase)
        if let name {
            let slash = name.range(ofASCII: "/")
            details["prepared_name"] = .string(String(name[..<(slash?.lowerBound ?? name.endIndex)]))
            if let slash { details["portal_name"] = .string(String(name[slash.upperBound...])) }
        }
        spans.spans.append(.init(field: .message, range: statement.startIndex..<statement.endIndex, kind: .statement,
                                 target: .detailKey("statement")))
        if let detail = event.detail { Self.markDetailStatements(detail, &spans) }
        event.details = details
    }

    /// The `Parameters: $1 = …` values and `prepare: PREPARE …` statements of a DETAIL. The labels are
    /// told by what follows them (`$1 = `, `PREPARE`), so translated labels are found too.
    static func markDetailStatements(_ detail: String, _ spans: inout SQLSpans) {
        guard detail.containsASCII("$1 = ") || detail.containsASCII("PREPARE ") || detail.containsASCII("prepare ")
        else { return }
        for line in detail.splitASCII("\n", omittingEmpty: false) {
            guard let label = line.range(ofASCII: ": "),
                  line.utf8.distance(from: line.startIndex, to: label.lowerBound) <= 40 else { continue }
            let value = line[label.upperBound...]
            if value.hasASCIIPrefix("$1 = ") {
                spans.spans.append(.init(field: .detail, range: value.startIndex..<value.endIndex, kind: .parameters,
                                         target: .detailKey("parameters")))
            } else if value.hasASCIIPrefix("PREPARE ") || value.hasASCIIPrefix("prepare ") {
                spans.spans.append(.init(field: .detail, range: value.startIndex..<value.endIndex, kind: .statement,
                                         target: .detailKey("prepare")))
            }
        }
    }
}
