import AgentSchema
import Foundation
@testable import Listener
import TestSupport
import Testing

/// Seeded fuzzing of the listener's envelope check, ``IngestBatch`` (RELIABILITY.md, "Fuzzing").
///
/// Payloads are generated (both kinds, fields shuffled, duplicated or missing, odd values) with a marker
/// secret in their content, sent plain or gzip-compressed, whole or mutated before or after compression,
/// under random headers and limits. Each request is either refused with the code its headers and sizes call
/// for (or `invalid` past them), by an error that never quotes the content, or accepted as a batch whose
/// `batch_id` is the body's own, whose sizes respect the limits and whose stored gzip body holds the JSON
/// that was checked. gzip itself must give back what it compressed.
@Suite struct FuzzIngestBatchTests {
    static let iterations = 1_500

    @Test func envelope() throws {
        let run = FuzzRun(target: "FuzzIngestBatchTests/envelope", defaultIterations: Self.iterations)
        var failures = 0
        for iteration in run.iterations {
            run.willRun(iteration)
            var random = run.generator(for: iteration)
            let secret = "SECRET-" + String((0..<44).map { _ in FuzzInput.pick(Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789"), using: &random) })
            var json = Array(Self.document(secret: secret, using: &random).utf8)
            var problems: [String] = []
            if try Gzip.decompress(try Gzip.compress(json)) != json { problems.append("gzip does not give back what it compressed") }

            let gzip = Bool.random(using: &random)
            switch Int.random(in: 0..<4, using: &random) {
            case 0, 1:
                json = FuzzInput.mutate(json, dictionary: Self.jsonTokens, using: &random, maximumCount: 64 << 10)
            case 2 where FuzzInput.oneIn(4, using: &random):
                json = FuzzInput.randomBytes(count: Int.random(in: 0...256, using: &random), alphabet: Array("{}[]\":,1 \\".utf8),
                                             using: &random)
            default:
                break
            }
            var body = try gzip ? Gzip.compress(json) : json
            if gzip, FuzzInput.oneIn(3, using: &random) {
                body = FuzzInput.mutate(body, using: &random, maximumCount: 64 << 10)  // a damaged or cut stream
            } else if gzip, FuzzInput.oneIn(8, using: &random) {
                body += try Gzip.compress(Array("{}".utf8))  // a second member
            }
            let encodings: [String?] = gzip
                ? ["gzip", "gzip", "GZIP", " gzip ", "x-gzip", "deflate"] : [nil, nil, "", "identity", " Identity ", "gzip", "br"]
            let encoding = FuzzInput.pick(encodings, using: &random)
            let contentTypes: [String?] = [
                nil, "application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "text/plain", "application/jsonx", "",
            ]
            let contentType = FuzzInput.pick(contentTypes, using: &random)
            let batchID = Self.rawBatchID(json) ?? nil
            let keys: [String?] = [nil, nil, batchID, "other-key", ""]
            let idempotencyKey = FuzzInput.pick(keys, using: &random)
            let limits = FuzzInput.oneIn(3, using: &random)
                ? IngestBatch.Limits(maxBodyBytes: Int.random(in: 16...4_096, using: &random),
                                     maxJSONBytes: Int.random(in: 16...4_096, using: &random))
                : IngestBatch.Limits()

            problems += Self.check(body: body, encoding: encoding, contentType: contentType, idempotencyKey: idempotencyKey,
                                   limits: limits, secret: secret)
            if !problems.isEmpty {
                let context = "Content-Encoding \(encoding.debugDescription), Content-Type \(contentType.debugDescription), "
                    + "Idempotency-Key \(idempotencyKey.debugDescription), limits \(limits.maxBodyBytes)/\(limits.maxJSONBytes), "
                    + "body \(gzip ? "gzip of" : "plain"): the input below (the body as sent is \(body.count) bytes)"
                Issue.record("\(run.failure(iteration: iteration, input: json, problems: [context] + problems))")
                failures += 1
                if failures >= run.maximumFailures { break }
            }
        }
    }

    // MARK: - Invariants

    static func check(
        body: [UInt8], encoding: String?, contentType: String?, idempotencyKey: String?, limits: IngestBatch.Limits,
        secret: String
    ) -> [String] {
        // What the headers and sizes alone call for, in the order the contract checks them.
        var expected: ListenerError.Code?
        var inflated: [UInt8]?
        let normalized = encoding?.lowercased().trimmingCharacters(in: .whitespaces)
        if let contentType, !contentType.lowercased().hasPrefix("application/json") {
            expected = .unsupportedMedia
        } else if body.count > limits.maxBodyBytes {
            expected = .tooLarge
        } else if normalized == nil || normalized == "" || normalized == "identity" {
            inflated = body
            if body.count > limits.maxJSONBytes { expected = .tooLarge }
        } else if normalized == "gzip" {
            do {
                let json = try Gzip.decompress(body, limit: limits.maxJSONBytes)
                inflated = json
                if json.count > limits.maxJSONBytes { expected = .tooLarge }
            } catch {
                expected = error.exceededLimit ? .tooLarge : .invalid
            }
        } else {
            expected = .unsupportedMedia
        }

        var problems: [String] = []
        let batch: IngestBatch
        do {
            batch = try IngestBatch(body: body, contentEncoding: encoding, contentType: contentType, idempotencyKey: idempotencyKey,
                                    limits: limits)
        } catch {
            if error.code == .store { problems.append("store failure for a request: \(error)") }
            if let expected, error.code != expected {
                problems.append("refused with \(error.code), expected \(expected): \(error)")
            } else if expected == nil, error.code != .invalid {
                problems.append("refused with \(error.code) past the header and size checks: \(error)")
            }
            if error.description.contains(secret) { problems.append("the error quotes the payload: \(error.description)") }
            return problems
        }
        if let expected { problems.append("accepted, expected a refusal with \(expected)") }
        if batch.batchID.isEmpty || batch.batchID.utf8.count > 128 { problems.append("batch_id \(batch.batchID.debugDescription)") }
        if !IngestBatch.kinds.contains(batch.kind) { problems.append("kind \(batch.kind.debugDescription)") }
        if let idempotencyKey, idempotencyKey != batch.batchID { problems.append("accepted with a different Idempotency-Key") }
        if batch.jsonSize > limits.maxJSONBytes { problems.append("a JSON document of \(batch.jsonSize) bytes, over \(limits.maxJSONBytes)") }
        if let inflated {
            if batch.jsonSize != inflated.count { problems.append("jsonSize \(batch.jsonSize), the document is \(inflated.count)") }
            if case let raw?? = rawBatchID(inflated), raw != batch.batchID {
                problems.append("batch_id \(batch.batchID.debugDescription), the body's is \(raw.debugDescription)")
            }
            if normalized == "gzip" {
                if batch.gzipBody != body { problems.append("the gzip body is not stored as received") }
            } else if (try? Gzip.decompress(batch.gzipBody)) != inflated {
                problems.append("the stored gzip body does not inflate to the document")
            }
        }
        return problems
    }

    /// The `batch_id` the body's text holds: `.some(nil)` when it cannot be told by reading the text (no or
    /// several `"batch_id"` keys, escapes in the value, invalid UTF-8), nil when there is none.
    static func rawBatchID(_ json: [UInt8]) -> String?? {
        let key = Array("\"batch_id\"".utf8)
        var found: [Int] = []
        if json.count >= key.count {
            for start in 0...(json.count - key.count) where json[start..<(start + key.count)].elementsEqual(key) { found.append(start) }
        }
        guard found.count == 1 else { return found.isEmpty ? nil : .some(nil) }
        var index = found[0] + key.count
        func skipBlanks() { while index < json.count, [0x20, 0x09, 0x0A, 0x0D].contains(json[index]) { index += 1 } }
        skipBlanks()
        guard index < json.count, json[index] == UInt8(ascii: ":") else { return .some(nil) }
        index += 1
        skipBlanks()
        guard index < json.count, json[index] == UInt8(ascii: "\"") else { return .some(nil) }
        index += 1
        guard let close = json[index...].firstIndex(of: UInt8(ascii: "\"")) else { return .some(nil) }
        let value = Array(json[index..<close])
        guard !value.contains(UInt8(ascii: "\\")) else { return .some(nil) }
        return .some(value.withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) })
    }

    // MARK: - Payloads

    /// A schema-1 payload as JSON text, its members shuffled, sometimes one missing, repeated or odd, and the
    /// secret in its content (never in `kind`, which errors quote up to 40 characters of).
    static func document(secret: String, using random: inout SeededGenerator) -> String {
        let id = "b-" + String(UInt64.random(in: 0...UInt64.max, using: &random), radix: 16)
        let versions = ["1", "1", "1", "2", "\"1\"", "null", "1.0", "-1", "1e0"]
        let kinds = ["\"logs\"", "\"snapshot\"", "\"logs\"", "\"metrics\"", "\"\"", "null", "7", "\"LOGS\""]
        let batchIDs: [String] = [
            "\"\(id)\"", "\"\(id)\"", "\"\(id)\"", "\"\"", "\"" + String(repeating: "x", count: 129) + "\"",
            "\"" + String(repeating: "y", count: 128) + "\"", "\"b\\u0041\\n\"", "\"é-東京\"", "null", "42", "\"\(secret)\"",
        ]
        let projects = ["\"shop\"", "\"\(secret)\"", "null", "[]"]
        let timestamps = ["1700000000.25", "1e308", "-0", "\"now\"", "null"]
        let agents = ["{\"instance\":\"db2\",\"version\":\"0.4\"}", "{\"instance\":\"\(secret)\"}", "{}", "null", "\"x\""]
        let messages = [secret, "duplicate key \\\"\(secret)\\\"", "\\u0000\(secret)"]
        var events: [String] = []
        for _ in 0..<Int.random(in: 0...3, using: &random) {
            events.append("{\"message\":\"" + FuzzInput.pick(messages, using: &random) + "\",\"severity\":\"ERROR\"}")
        }
        var members: [String] = []
        members.append("\"schema_version\":" + FuzzInput.pick(versions, using: &random))
        members.append("\"kind\":" + FuzzInput.pick(kinds, using: &random))
        members.append("\"batch_id\":" + FuzzInput.pick(batchIDs, using: &random))
        members.append("\"project\":" + FuzzInput.pick(projects, using: &random))
        members.append("\"timestamp\":" + FuzzInput.pick(timestamps, using: &random))
        members.append("\"agent\":" + FuzzInput.pick(agents, using: &random))
        members.append("\"events\":[" + events.joined(separator: ",") + "]")
        members.append("\"snapshot\":{\"statements\":[{\"query\":\"SELECT '\(secret)'\"}],\"nested\":[[[[{\"deep\":true}]]]]}")
        members.shuffle(using: &random)
        if FuzzInput.oneIn(6, using: &random) { members.removeFirst() }
        if FuzzInput.oneIn(8, using: &random), let first = members.first { members.append(first) }
        let separator = FuzzInput.pick([",", ", ", ",\n  ", " , "], using: &random)
        return "{" + members.joined(separator: separator) + "}" + FuzzInput.pick(["", "", "\n", " ", "x"], using: &random)
    }

    static let jsonTokens: [[UInt8]] = [
        "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u0000", "\\ud800", "\\\"", "null", "true", "1e999", "-0", "NaN",
        "\"batch_id\":\"b-1\",", "\"kind\":\"logs\",", "\"schema_version\":1,", "\"schema_version\":9223372036854775808,",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "\u{FEFF}",
    ].map { Array($0.utf8) }
}
