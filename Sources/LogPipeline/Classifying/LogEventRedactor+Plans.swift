import AgentSchema
import SQLRedaction

// auto_explain plans
extension LogEventRedactor {
    /// Plan fields that hold expressions, and so may hold constants.
    static let expressionKeys: Set<String> = [
        "Query Text", "Filter", "Index Cond", "Recheck Cond", "Join Filter", "Hash Cond", "Merge Cond",
        "One-Time Filter", "TID Cond", "Run Condition", "Order By", "Output", "Sort Key", "Group Key",
        "Presorted Key", "Cache Key", "Function Call", "Table Function Call", "Sampling Parameters",
        "Repeatable Seed", "Conflict Filter", "Hash Key", "Index Searches",
    ]

    /// A plan (`details.plan`) with its query text, parameters and the constants of its conditions
    /// redacted; `format` is `details.format`.
    func redactPlan(_ plan: JSONValue, format: String) -> JSONValue {
        switch (plan, format) {
        case (.string(let text), "xml"):
            // XML: too rare to read tag by tag; every constant in it goes.
            return .string(masker.redact(text))
        case (.string(let text), _):
            return .string(redactPlanText(Substring(text)))
        default:
            return redactPlanValue(plan, key: nil)
        }
    }

    func redactPlanValue(_ value: JSONValue, key: String?) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(members.reduce(into: JSONObject()) { $0[$1.key] = redactPlanValue($1.value, key: $1.key) })
        case .array(let elements):
            return .array(elements.map { redactPlanValue($0, key: key) })
        case .string(let text):
            guard let key else { return value }
            if key == "Query Parameters" { return .string(redactor.redact(text)) }
            return LogEventRedactor.expressionKeys.contains(key) ? .string(redactor.redact(text)) : value
        default:
            return value
        }
    }

    /// Text (or YAML, or broken JSON) plans, line by line: the query text up to the first plan
    /// node, and the value of every expression line.
    func redactPlanText(_ plan: Substring) -> String {
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
                    || LogEventRedactor.planKey(trimmed) != nil {
                    flushQuery()
                } else {
                    queryLines.append(line)
                    continue
                }
            }
            guard let (key, value) = LogEventRedactor.planKey(trimmed) else {
                output.append(String(line))
                continue
            }
            let prefix = line[..<value.startIndex]
            if key == "Query Text" {
                queryPrefix = prefix
                queryLines = [value]
            } else if key == "Query Parameters" {
                output.append(prefix + redactor.redact(String(value)))
            } else if LogEventRedactor.expressionKeys.contains(key) {
                output.append(prefix + redactQuoted(value))
            } else {
                output.append(String(line))
            }
        }
        flushQuery()
        return output.joined(separator: "\n")
    }

    /// `Filter: (…)`, `"Filter": "(…)",` or YAML's `Filter: "(…)"`: the key and the value's text.
    static func planKey(_ line: Substring) -> (String, Substring)? {
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
    func redactQuoted(_ value: Substring) -> String {
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
