import AgentSchema

// auto_explain
extension LogClassifier {
    /// The plan's format and its value: an object for JSON, else its text. Not redacted: the redactor does
    /// (``LogEventRedactor``, `details.plan`).
    static func explainPlan(_ plan: Substring) -> (String, JSONValue) {
        if plan.first == "{" || plan.first == "[" {
            if let value = JSONBytesReader.value(of: String(plan)) { return ("json", value) }
            return ("json", .string(String(plan)))
        }
        if plan.first == "<" { return ("xml", .string(String(plan))) }
        let isYAML = plan.hasASCIIPrefix("Query Text: \"") || plan.hasASCIIPrefix("- Plan:")
        return (isYAML ? "yaml" : "text", .string(String(plan)))
    }
}
