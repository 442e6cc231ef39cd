extension LogEvent {
    /// Writes the event as a JSON object with the contract's keys in sorted order, absent values left out:
    /// the same document `JSONEncoder` with `.sortedKeys` makes from the `Codable` conformance, several
    /// times faster.
    package func write(to json: inout JSONWriter) {
        json.beginObject()
        if let applicationName { json.key("application_name"); json.string(applicationName) }
        if let backendType { json.key("backend_type"); json.string(backendType) }
        if let context { json.key("context"); json.string(context) }
        if let correlationID { json.key("correlation_id"); json.string(correlationID) }
        if let correlationSource { json.key("correlation_source"); json.string(correlationSource.rawValue) }
        if let cursorPosition { json.key("cursor_position"); json.integer(cursorPosition) }
        if let database { json.key("database"); json.string(database) }
        if let detail { json.key("detail"); json.string(detail) }
        if let details {
            json.key("details")
            details.write(to: &json)
        }
        if let durationMs { json.key("duration_ms"); json.number(durationMs) }
        if let event { json.key("event"); json.string(event.rawValue) }
        if let hint { json.key("hint"); json.string(hint) }
        if let internalPosition { json.key("internal_position"); json.integer(internalPosition) }
        if let internalQuery { json.key("internal_query"); json.string(internalQuery) }
        if let leaderPID { json.key("leader_pid"); json.integer(leaderPID) }
        if let localizedSeverity { json.key("localized_severity"); json.string(localizedSeverity) }
        if let location { json.key("location"); json.string(location) }
        if let message { json.key("message"); json.string(message) }
        if let pid { json.key("pid"); json.integer(pid) }
        if let queryID { json.key("query_id"); json.integer(queryID) }
        if let remoteHost { json.key("remote_host"); json.string(remoteHost) }
        if let sessionID { json.key("session_id"); json.string(sessionID) }
        if let sessionLine { json.key("session_line"); json.integer(sessionLine) }
        if let severity { json.key("severity"); json.string(severity.rawValue) }
        if let source {
            json.key("source")
            json.beginObject()
            json.key("file"); json.string(source.file)
            json.key("offset"); json.integer(source.offset)
            json.endObject()
        }
        if let sqlstate { json.key("sqlstate"); json.string(sqlstate) }
        if let statement { json.key("statement"); json.string(statement) }
        if let timestamp { json.key("timestamp"); json.string(timestamp) }
        if let truncated { json.key("truncated"); json.bool(truncated) }
        if let user { json.key("user"); json.string(user) }
        if let virtualXID { json.key("virtual_xid"); json.string(virtualXID) }
        if let xid { json.key("xid"); json.integer(xid) }
        json.endObject()
    }
}

extension JSONValue {
    /// Writes the value; object keys in sorted order.
    package func write(to json: inout JSONWriter) {
        switch self {
        case let .string(value): json.string(value)
        case let .number(value): json.number(value)
        case let .integer(value): json.integer(value)
        case let .bool(value): json.bool(value)
        case .null: json.null()
        case let .array(values):
            json.beginArray()
            for value in values { value.write(to: &json) }
            json.endArray()
        case let .object(members): members.write(to: &json)
        }
    }
}

extension JSONObject {
    /// Writes the object; its members are already in key order.
    package func write(to json: inout JSONWriter) {
        json.beginObject()
        for member in members {
            json.key(member.key)
            member.value.write(to: &json)
        }
        json.endObject()
    }
}
