package import Foundation

/// A batch of log events: the `logs` kind of payload (docs/payloads.md, "Payload", contract, schema 1).
package struct LogsPayload: Codable, Sendable {
    /// Always 1 for this layout.
    package var schemaVersion: Int = 1
    /// Always `logs`.
    package var kind: PayloadKind = .logs
    /// Unique per payload and stable across retries: the listener dedupes by it.
    package var batchID: UUID
    /// When the batch was made, epoch seconds.
    package var timestamp: Double
    /// The configured project id.
    package var project: String
    /// Who sent it.
    package var agent: AgentInfo
    /// The events, in the order the tailer completed them.
    package var events: [LogEvent]

    package init(batchID: UUID = UUID(), timestamp: Double, project: String, agent: AgentInfo, events: [LogEvent]) {
        self.batchID = batchID
        self.timestamp = timestamp
        self.project = project
        self.agent = agent
        self.events = events
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case kind
        case batchID = "batch_id"
        case timestamp, project, agent, events
    }
}

extension LogsPayload {
    /// The payload as JSON, written by hand (``JSONWriter``): the events are most of it, and
    /// `JSONEncoder` would cost more CPU than tailing and parsing them together.
    package func jsonBytes() throws -> [UInt8] {
        var json = JSONWriter(capacity: 512 * events.count + 512)
        json.beginObject()
        json.key("agent")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        json.raw(try encoder.encode(agent))
        json.key("batch_id"); json.string(batchID.uuidString.lowercased())
        json.key("events")
        json.beginArray()
        for event in events { event.write(to: &json) }
        json.endArray()
        json.key("kind"); json.string(kind.rawValue)
        json.key("project"); json.string(project)
        json.key("schema_version"); json.integer(schemaVersion)
        json.key("timestamp"); json.number(timestamp)
        json.endObject()
        return json.bytes
    }
}
