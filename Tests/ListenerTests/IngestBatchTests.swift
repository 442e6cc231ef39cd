import AgentSchema
@testable import Listener
import Testing

@Suite struct IngestBatchTests {
    static func document(_ fields: String) -> [UInt8] { Array("{\(fields)}".utf8) }
    static let valid = document(#""schema_version":1,"kind":"logs","batch_id":"b-7","project":"shop","timestamp":1700000000.25,"agent":{"instance":"db2","version":"0.4"},"events":[{"m":"x"}]"#)

    func reason(_ body: [UInt8], encoding: String? = nil, type: String? = "application/json", key: String? = nil,
                limits: IngestBatch.Limits = .init()) -> ListenerError? {
        do {
            _ = try IngestBatch(body: body, contentEncoding: encoding, contentType: type, idempotencyKey: key, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func readsTheEnvelopeFromGzipAndPlainBodies() throws {
        let compressed = try Gzip.compress(Self.valid)
        let fromGzip = try IngestBatch(body: compressed, contentEncoding: "gzip", contentType: "application/json; charset=utf-8",
                                       idempotencyKey: "b-7")
        #expect(fromGzip.batchID == "b-7")
        #expect(fromGzip.kind == "logs")
        #expect(fromGzip.instance == "db2")
        #expect(fromGzip.project == "shop")
        #expect(fromGzip.timestamp == 1_700_000_000.25)
        #expect(fromGzip.gzipBody == compressed, "kept as received")
        #expect(fromGzip.jsonSize == Self.valid.count)
        let fromPlain = try IngestBatch(body: Self.valid, contentEncoding: nil, contentType: nil, idempotencyKey: nil)
        #expect(try Gzip.decompress(fromPlain.gzipBody) == Self.valid, "compressed for the store")
        #expect(fromPlain.batchID == fromGzip.batchID)
    }

    @Test func refusesEachBreachOfTheContractWithItsCode() throws {
        #expect(reason(Self.document(#""kind":"logs","batch_id":"b""#))?.message == "schema_version is missing")
        #expect(reason(Self.document(#""schema_version":2,"kind":"logs","batch_id":"b""#))?.message.contains("schema_version 2") == true)
        #expect(reason(Self.document(#""schema_version":"1","kind":"logs","batch_id":"b""#))?.code == .invalid)
        #expect(reason(Self.document(#""schema_version":1,"kind":"metrics","batch_id":"b""#))?.message.contains("\"metrics\"") == true)
        #expect(reason(Self.document(#""schema_version":1,"kind":"logs""#))?.message.contains("batch_id") == true)
        #expect(reason(Self.document(#""schema_version":1,"kind":"logs","batch_id":"""#))?.code == .invalid)
        #expect(reason(Array("[1,2]".utf8))?.code == .invalid)
        #expect(reason(Array(#"{"schema_version":1,"kind":"logs","batch_id":"b","#.utf8))?.message.contains("malformed") == true)
        #expect(reason(Self.valid, key: "other")?.message.contains("Idempotency-Key") == true)
        #expect(reason(Self.valid, type: "text/plain")?.code == .unsupportedMedia)
        #expect(reason(Self.valid, encoding: "br")?.code == .unsupportedMedia)
        #expect(reason(Self.valid, encoding: "gzip")?.code == .invalid, "plain bytes labelled gzip")
        #expect(reason(Self.valid, limits: .init(maxBodyBytes: 10))?.code == .tooLarge)
        #expect(reason(Self.valid) == nil)
    }

    @Test func aGzipBombIsRefusedAsTooLargeNotInflated() throws {
        let bomb = try Gzip.compress(Self.document(#""schema_version":1,"kind":"logs","batch_id":"b","pad":""#)
                                     + [UInt8](repeating: 0x61, count: 4 << 20) + Array("\"".utf8))
        #expect(bomb.count < 64 << 10)
        let error = reason(bomb, encoding: "gzip", limits: .init(maxBodyBytes: 1 << 20, maxJSONBytes: 1 << 20))
        #expect(error?.code == .tooLarge)
    }

    @Test func inflationStopsAt32MiBByDefault() throws {
        #expect(IngestBatch.Limits().maxJSONBytes == 32 << 20)
        let head = Array(#"{"schema_version":1,"kind":"logs","batch_id":"b","pad":""#.utf8)
        let tail = Array("\"}".utf8)
        // 33 MiB of JSON in a body of some 33 KiB: refused while inflating, under the default limits.
        let over = try Gzip.compress(head + [UInt8](repeating: 0x61, count: 33 << 20) + tail)
        #expect(over.count < 1 << 20)
        let error = try #require(reason(over, encoding: "gzip"))
        #expect(error.code == .tooLarge)
        #expect(error.message.contains("\(32 << 20)"))
        // 4 MiB inflates and is accepted.
        let under = try Gzip.compress(head + [UInt8](repeating: 0x61, count: 4 << 20) + tail)
        #expect(reason(under, encoding: "gzip") == nil)
        // The limit is the operator's (--max-json-mb) and applies to a plain body too.
        #expect(reason(under, encoding: "gzip", limits: .init(maxJSONBytes: 1 << 20))?.code == .tooLarge)
        let plain = head + [UInt8](repeating: 0x61, count: 2 << 20) + tail
        #expect(reason(plain, limits: .init(maxJSONBytes: 1 << 20))?.code == .tooLarge)
        #expect(reason(plain) == nil)
    }

    @Test func errorsNeverQuoteThePayload() throws {
        let secretish = Self.document(#""schema_version":1,"kind":"logs","batch_id":"b","events":[{"statement":"SELECT 'hunter2'"#)
        let error = try #require(reason(secretish))
        #expect(!error.description.contains("hunter2"))
        let wrongType = Self.document(#""schema_version":1,"kind":"logs","batch_id":"b","agent":{"instance":["hunter2"]}"#)
        let typeError = try #require(reason(wrongType))
        #expect(typeError.description.contains("agent.instance"))
        #expect(!typeError.description.contains("hunter2"))
    }
}
