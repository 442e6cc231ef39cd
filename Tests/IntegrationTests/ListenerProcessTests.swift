import AgentSchema
import AsyncHTTPClient
import Foundation
import Listener
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// `postgres-agent listener` as a real process, spoken to over HTTP by a real client.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ListenerProcessTests {
    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: String
    }

    static func post(_ url: String, body: [UInt8], headers: [(String, String)]) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await send(request)
    }

    static func get(_ url: String) async throws -> Answer {
        try await send(HTTPClientRequest(url: url))
    }

    static func send(_ request: HTTPClientRequest) async throws -> Answer {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
    }

    static func payload(_ batchID: String, kind: String = "logs", version: Int = 1) -> [UInt8] {
        Array(#"{"schema_version":\#(version),"kind":"\#(kind)","batch_id":"\#(batchID)","project":"p","timestamp":1.5,"agent":{"instance":"main"},"events":[{"message":"hello"}]}"#.utf8)
    }

    func headers(_ token: String, batchID: String? = nil, gzip: Bool = true) -> [(String, String)] {
        var headers = [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")]
        if gzip { headers.append(("Content-Encoding", "gzip")) }
        if let batchID { headers.append(("Idempotency-Key", batchID)) }
        return headers
    }

    @Test func storesOnceAnswersDuplicatesAndRefusesWhatBreaksTheContract() async throws {
        let scratch = try ScratchDirectory()
        let listener = try await ReferenceListener(directory: scratch.path)
        defer { listener.stop() }
        let url = listener.url
        let token = listener.token

        let health = try await Self.get(listener.base + "/healthz")
        #expect(health.status == 200)
        #expect(health.body == #"{"status":"ok"}"#, "no counts without the key")

        let first = try await Self.post(url, body: try Gzip.compress(Self.payload("b-1")), headers: headers(token, batchID: "b-1"))
        #expect(first.status == 200)
        #expect(first.body == #"{"status":"stored"}"#)
        let again = try await Self.post(url, body: try Gzip.compress(Self.payload("b-1")), headers: headers(token, batchID: "b-1"))
        #expect(again.status == 200, "a duplicate is acknowledged")
        #expect(again.body == #"{"status":"duplicate"}"#)
        let plain = try await Self.post(url, body: Self.payload("b-2", kind: "snapshot"), headers: headers(token, gzip: false))
        #expect(plain.status == 200, "plain JSON is accepted too: \(plain.body)")

        // Refusals, each with its status and a JSON reason.
        let cases: [(String, [UInt8], [(String, String)], Int, String)] = [
            ("no key", try Gzip.compress(Self.payload("x")), [("Content-Encoding", "gzip")], 401, "unauthorized"),
            ("wrong key", try Gzip.compress(Self.payload("x")), headers(token + "x"), 401, "unauthorized"),
            ("key prefix", try Gzip.compress(Self.payload("x")), headers(String(token.dropLast())), 401, "unauthorized"),
            ("not gzip", Array("plain text".utf8), headers(token), 400, "invalid_payload"),
            ("not JSON", try Gzip.compress(Array("{\"schema_version\":1,".utf8)), headers(token), 400, "invalid_payload"),
            ("schema 2", try Gzip.compress(Self.payload("x", version: 2)), headers(token), 400, "invalid_payload"),
            ("unknown kind", try Gzip.compress(Self.payload("x", kind: "metrics")), headers(token), 400, "invalid_payload"),
            ("key mismatch", try Gzip.compress(Self.payload("x")), headers(token, batchID: "y"), 400, "invalid_payload"),
            ("brotli", Self.payload("x"), [("Authorization", "Bearer \(token)"), ("Content-Encoding", "br")], 415, "unsupported_media_type"),
            ("form", Self.payload("x"), [("Authorization", "Bearer \(token)"), ("Content-Type", "text/plain")], 415, "unsupported_media_type"),
        ]
        for (name, body, requestHeaders, status, code) in cases {
            let answer = try await Self.post(url, body: body, headers: requestHeaders)
            #expect(answer.status == status, "\(name): \(answer.body)")
            #expect(answer.body.contains(#""error":"\#(code)""#), "\(name): \(answer.body)")
            if status == 401 { #expect(answer.headers["WWW-Authenticate"] == ["Bearer"]) }
        }
        let unknownPath = try await Self.post(listener.base + "/ingest/mysql", body: Self.payload("x"), headers: headers(token, gzip: false))
        #expect(unknownPath.status == 404)

        let store = try listener.store()
        let counts = try store.counts()
        #expect(counts.batches == 2)
        #expect(counts.duplicates == 1)
        let rows = try store.rows()
        #expect(rows.map(\.batchID) == ["b-1", "b-2"])
        #expect(rows.map(\.kind) == ["logs", "snapshot"])
        #expect(rows.first?.instance == "main")
        #expect(rows.first?.project == "p")
        #expect(rows.first?.timestamp == 1.5)
        #expect(rows.last?.json == Self.payload("b-2", kind: "snapshot"), "stored as received, inflated on reading")
        #expect(listener.stop() == 0, "SIGTERM ends it cleanly")
        #expect(!listener.log.contains(token), "no key in the listener's log")
        #expect(!listener.log.contains(String(token.dropLast())))
    }

    @Test func aBodyOverTheLimitIsRefusedWith413AndNothingIsStored() async throws {
        let scratch = try ScratchDirectory()
        let listener = try await ReferenceListener(directory: scratch.path, extraArguments: ["--max-body-mb", "1"])
        defer { listener.stop() }
        var big = [UInt8](repeating: 0, count: 2 << 20)
        var generator = SeededGenerator(seed: 7)
        for index in big.indices { big[index] = UInt8.random(in: 97...122, using: &generator) }
        let body = Array(#"{"schema_version":1,"kind":"logs","batch_id":"big","pad":""#.utf8) + big + Array("\"}".utf8)
        let answer = try await Self.post(listener.url, body: body, headers: headers(listener.token, gzip: false))
        #expect(answer.status == 413, "\(answer.body)")
        #expect(try listener.store().counts().batches == 0)
    }

    @Test func dedupeSurvivesARestartOfTheListener() async throws {
        let scratch = try ScratchDirectory()
        let first = try await ReferenceListener(directory: scratch.path)
        let stored = try await Self.post(first.url, body: try Gzip.compress(Self.payload("r-1")), headers: headers(first.token))
        #expect(stored.status == 200)
        #expect(first.stop() == 0)
        let second = try await ReferenceListener(directory: scratch.path, token: first.token)
        defer { second.stop() }
        let resent = try await Self.post(second.url, body: try Gzip.compress(Self.payload("r-1")), headers: headers(second.token))
        #expect(resent.body == #"{"status":"duplicate"}"#)
        let counts = try second.store().counts()
        #expect(counts.batches == 1)
        #expect(counts.duplicates == 1)
    }

    @Test func aTokenFileThatCannotBeReadStopsItWithExit78AndNamesTheFile() throws {
        let scratch = try ScratchDirectory()
        let missing = scratch.file("no-such.tokens")
        let result = try ChildProcess.run([try ReferenceListener.binary, "listener", "--listen", "127.0.0.1:0",
                                           "--token-file", missing, "--store", scratch.file("s.sqlite")])
        #expect(result.status == 78)
        #expect(result.stderr.contains(missing))
        let empty = scratch.file("empty.tokens")
        _ = FileManager.default.createFile(atPath: empty, contents: Data("# nothing\n\n".utf8))
        let none = try ChildProcess.run([try ReferenceListener.binary, "listener", "--listen", "127.0.0.1:0",
                                         "--token-file", empty, "--store", scratch.file("s.sqlite")])
        #expect(none.status == 78)
        #expect(none.stderr.contains("holds no key"))
        let badAddress = try ChildProcess.run([try ReferenceListener.binary, "listener", "--listen", "localhost",
                                               "--token-file", empty, "--store", scratch.file("s.sqlite")])
        #expect(badAddress.status == 64)
    }
}
