import AgentSchema
import SQLRedaction

// Sessions
extension LogClassifier {
    /// `connection received: host=… port=…`, `connection authorized: user=… database=…
    /// application_name=…`, `connection authenticated: identity="…" method=… (file:line)` and
    /// PostgreSQL 18's `connection ready: setup total=… ms, …`.
    func classifyConnection(_ rest: Substring, replication: Bool, _ event: inout LogEvent) -> Bool {
        var details: JSONObject = [:]
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
            event.event = .authentication
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
        event.event = .connection
        event.details = details
        return true
    }

    /// `password authentication failed for user "x"`, `no pg_hba.conf entry for host …`, …:
    /// anything with a class 28 SQLSTATE.
    func classifyAuthenticationFailure(_ event: inout LogEvent) {
        var details: JSONObject = ["failure": .bool(true)]
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
        event.event = .authenticationFailed
        event.details = details
    }

    /// `disconnection: session time: 0:00:01.234 user=… database=… host=… port=…`
    func classifyDisconnection(_ rest: Substring, _ event: inout LogEvent) {
        var details: JSONObject = [:]
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
        event.event = .disconnection
        event.details = details
    }

    /// The value of `key=value` (at the start or after a space) up to the next space; quotes around
    /// it dropped.
    static func keyword(_ key: String, in text: Substring) -> String? {
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
