import AgentSchema
import Foundation

/// One accepted payload: what the store keeps about it. Built from a request's body and headers by
/// ``init(body:contentEncoding:contentType:idempotencyKey:limits:)``, which checks the whole contract of
/// docs/payloads.md ("Envelope"): gzip or plain JSON, a JSON object, `schema_version` 1, a known `kind`, a
/// `batch_id`, and an `Idempotency-Key` equal to it when one is sent.
package struct IngestBatch: Sendable, Equatable {
    /// The payload's `batch_id`: the deduplication key.
    package var batchID: String
    /// `snapshot` or `logs`.
    package var kind: String
    /// `agent.instance`, when the payload names one.
    package var instance: String?
    /// `project`, when present.
    package var project: String?
    /// `timestamp` (epoch seconds at collection), when present.
    package var timestamp: Double?
    /// The body gzip-compressed: as received when it came compressed.
    package var gzipBody: [UInt8]
    /// The size of the JSON document, bytes.
    package var jsonSize: Int

    /// Size limits for one request.
    package struct Limits: Sendable {
        /// The largest body accepted, as sent (compressed or not).
        package var maxBodyBytes: Int
        /// The largest JSON document accepted (`--max-json-mb`): what a gzip body may inflate to, and the
        /// size of a plain one. The document is held in memory while it is checked, so this, times the
        /// ingests allowed at once, bounds the memory a gzip bomb can take.
        package var maxJSONBytes: Int

        /// The default inflation cap: 32 MiB, far above what the agent sends (its payloads are a few
        /// MiB at most), far below what would hurt the host.
        package static let defaultMaxJSONBytes = 32 << 20

        package init(maxBodyBytes: Int = 64 << 20, maxJSONBytes: Int = Limits.defaultMaxJSONBytes) {
            self.maxBodyBytes = maxBodyBytes
            self.maxJSONBytes = maxJSONBytes
        }
    }

    /// The kinds of payload schema 1 knows.
    package static let kinds = Set(PayloadKind.allCases.map(\.rawValue))

    /// The only keys read from the document; the decoder still checks that the whole body is JSON.
    private struct Envelope: Decodable {
        struct Agent: Decodable { var instance: String? }
        var schema_version: Int?
        var kind: String?
        var batch_id: String?
        var project: String?
        var timestamp: Double?
        var agent: Agent?
    }

    package init(body: [UInt8], contentEncoding: String?, contentType: String?, idempotencyKey: String?,
                 limits: Limits = Limits()) throws(ListenerError) {
        if let contentType, !contentType.lowercased().hasPrefix("application/json") {
            throw ListenerError(.unsupportedMedia, "Content-Type must be application/json, not \(contentType.prefix(60))")
        }
        guard body.count <= limits.maxBodyBytes else {
            throw ListenerError(.tooLarge, "the body is \(body.count) bytes, over the limit of \(limits.maxBodyBytes)")
        }
        let json: [UInt8]
        switch contentEncoding?.lowercased().trimmingCharacters(in: .whitespaces) {
        case nil, "", "identity":
            guard body.count <= limits.maxJSONBytes else {
                throw ListenerError(.tooLarge, "the JSON document is \(body.count) bytes, over the limit of \(limits.maxJSONBytes)")
            }
            json = body
            do { gzipBody = try Gzip.compress(body) } catch {
                throw ListenerError(.store, "compression failed: \(error)")
            }
        case "gzip":
            do { json = try Gzip.decompress(body, limit: limits.maxJSONBytes) } catch {
                throw error.exceededLimit
                    ? ListenerError(.tooLarge, "the body inflates past \(limits.maxJSONBytes) bytes")
                    : ListenerError(.invalid, "the body is not valid gzip (\(error))")
            }
            gzipBody = body
        case let other?:
            throw ListenerError(.unsupportedMedia, "Content-Encoding \(other.prefix(40)) is not supported; send gzip or identity")
        }
        let envelope: Envelope
        do { envelope = try Self.decodeEnvelope(json) } catch {
            throw ListenerError(.invalid, "the body is not a JSON object: \(Self.describe(error))")
        }
        guard let version = envelope.schema_version else { throw ListenerError(.invalid, "schema_version is missing") }
        guard version == 1 else { throw ListenerError(.invalid, "schema_version \(version) is not supported; this listener reads 1") }
        guard let kind = envelope.kind, Self.kinds.contains(kind) else {
            throw ListenerError(.invalid, "kind must be one of \(Self.kinds.sorted()), not \(envelope.kind.map { "\"\($0.prefix(40))\"" } ?? "missing")")
        }
        guard let batchID = envelope.batch_id, !batchID.isEmpty, batchID.utf8.count <= 128 else {
            throw ListenerError(.invalid, "batch_id is missing, empty or longer than 128 bytes")
        }
        if let idempotencyKey, idempotencyKey != batchID {
            throw ListenerError(.invalid, "Idempotency-Key differs from the body's batch_id")
        }
        self.batchID = batchID
        self.kind = kind
        self.instance = envelope.agent?.instance
        self.project = envelope.project
        self.timestamp = envelope.timestamp
        self.jsonSize = json.count
    }

    /// Decodes the envelope straight from the array's storage: the decoder reads the bytes only during
    /// the call (the strings it returns are its own), so a document of tens of MiB is not copied into a
    /// `Data` first.
    private static func decodeEnvelope(_ json: [UInt8]) throws -> Envelope {
        try json.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> Envelope in
            guard let base = raw.baseAddress, !raw.isEmpty else {
                return try JSONDecoder().decode(Envelope.self, from: Data())
            }
            let view = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: raw.count, deallocator: .none)
            return try JSONDecoder().decode(Envelope.self, from: view)
        }
    }

    /// The decoder's complaint without the document's content: the coding path and the kind of error.
    private static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "wrong type at \(path.isEmpty ? "the top level" : path)"
        case .dataCorrupted:
            return "malformed JSON"
        default:
            return "unreadable"
        }
    }
}
