import AgentSchema
import AgentConfiguration
@testable import Delivery
import Foundation
import Listener
import Logging
import TestSupport
import Testing

/// The transmitter, with a real spool, against real HTTP servers on loopback: the reference listener
/// (`postgres-agent listener`), and a scriptable one (Tools/stub-listener.py) for the answers a sound
/// listener never gives on demand (413, 503 with Retry-After, garbage, a slow answer).
@Suite(.serialized, .timeLimit(.minutes(3))) struct TransmitterTests {
    static let stub = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Tools/stub-listener.py").path

    /// Collects every log line, so the tests can scan them for the key.
    final class Capture: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
        var text: String { lock.lock(); defer { lock.unlock() }; return lines.joined(separator: "\n") }
    }

    struct CaptureHandler: LogHandler {
        let capture: Capture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: Logging.LogEvent) {
            capture.add("\(event.level) \(event.message) \(event.metadata ?? [:])")
        }
    }

    /// A port nothing listens on yet.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    struct Setup {
        let directory: String
        let spool: Spool
        let port: Int
        let token: String
        let capture = Capture()
        var record: String { directory + "/record.jsonl" }

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("tx-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            spool = try Spool(path: directory + "/spool.sqlite", limits: .init(maxBytes: 50 << 20))
            port = try TransmitterTests.freePort()
            token = "tok-\(UInt64.random(in: 0...UInt64.max))"
        }

        func startStub(_ actions: [String] = []) throws -> ChildProcess.Running {
            let stub = try ChildProcess.start(["python3", TransmitterTests.stub, "\(port)", token, record] + actions,
                                              stdout: directory + "/stub.out", stderr: directory + "/stub.err")
            return stub
        }

        func waitForStub() async throws {
            for _ in 0..<250 {
                if ((try? String(contentsOfFile: directory + "/stub.out", encoding: .utf8)) ?? "").contains("listening") { return }
                try await Task.sleep(for: .milliseconds(20))
            }
            Issue.record("the stub listener did not start")
        }

        func transmitter(timeout: Duration = .seconds(5), authRetry: Duration = .milliseconds(300),
                         scheme: String = "http", caFile: String? = nil, port: Int? = nil) -> Transmitter<ContinuousClock> {
            let token = self.token
            var logger = Logger(label: "tx") { _ in CaptureHandler(capture: capture) }
            logger.logLevel = .trace
            return Transmitter(
                spool: spool, endpoint: .init(url: "\(scheme)://127.0.0.1:\(port ?? self.port)/ingest/postgres", caFile: caFile, timeout: timeout),
                apiKey: { Secret(token) }, clock: ContinuousClock(),
                breaker: CircuitBreaker(failureThreshold: 3, coolDown: .milliseconds(200), maximumCoolDown: .milliseconds(400)),
                backoff: Backoff(base: .milliseconds(20), maximum: .milliseconds(100)),
                idlePoll: .milliseconds(20), authenticationRetry: authRetry, logger: logger)
        }

        func spoolPayloads(_ count: Int) async throws -> [String] {
            var ids: [String] = []
            for index in 0..<count {
                let id = UUID().uuidString.lowercased()
                let json = #"{"schema_version":1,"kind":"snapshot","batch_id":"\#(id)","n":\#(index)}"#
                try await spool.append(kind: .snapshot, instance: "main", batchID: id, json: Array(json.utf8))
                ids.append(id)
            }
            return ids
        }

        func records() throws -> [[String: Any]] {
            guard let text = try? String(contentsOfFile: record, encoding: .utf8) else { return [] }
            return try text.split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
        }

        func waitUntilEmpty(_ what: String) async throws {
            for _ in 0..<1_000 {
                if try await spool.status().depth == 0 { return }
                try await Task.sleep(for: .milliseconds(20))
            }
            Issue.record("the spool never emptied: \(what)")
        }
    }

    @Test func listenerDownFirstThenUpEveryPayloadArrivesInOrderOnce() async throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(atPath: setup.directory) }
        let ids = try await setup.spoolPayloads(30)
        // A refused connection is retried by the HTTP client until the request's deadline: keep it short.
        let transmitter = setup.transmitter(timeout: .milliseconds(300))
        let task = Task { try await transmitter.run() }
        // Nothing listens: failures open the breaker; nothing is lost.
        for _ in 0..<1_000 where transmitter.status.retries < 3 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(transmitter.status.retries >= 3)
        #expect(transmitter.status.breaker != .closed)
        #expect(try await setup.spool.status().depth == 30)
        // The reference listener comes up on that port; it checks the key, gzip and Idempotency-Key itself.
        let listener = try await ReferenceListener(directory: setup.directory + "/listener", port: setup.port, token: setup.token)
        defer { listener.stop() }
        try await setup.waitUntilEmpty("after the listener came up")
        task.cancel()
        _ = try? await task.value
        let store = try listener.store()
        #expect(try store.rows().map(\.batchID) == ids, "in spool order, each once")
        #expect(try store.counts().duplicates == 0)
        #expect(transmitter.status.sent == 30)
        #expect(!setup.capture.text.contains(setup.token), "the key never reaches a log line")
        #expect(!listener.log.contains(setup.token))
    }

    @Test func statusCodesDeadLetterRetryAndPause() async throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(atPath: setup.directory) }
        // First payload: 413 (dead letter). Second: 503 with Retry-After 1, then 401 (pause), then ok.
        let stub = try setup.startStub(["s413", "s503r1", "s401"])
        defer { stub.kill(SIGTERM); _ = stub.wait() }
        try await setup.waitForStub()
        let ids = try await setup.spoolPayloads(3)
        let transmitter = setup.transmitter()
        let task = Task { try await transmitter.run() }
        try await setup.waitUntilEmpty("after 413, 503 and 401")
        task.cancel()
        _ = try? await task.value
        let records = try setup.records()
        #expect(records.map { $0["status"] as? Int } == [413, 503, 401, 200, 200])
        #expect(records.map { $0["batch_id"] as? String } == [ids[0], ids[1], ids[1], ids[1], ids[2]])
        // Retry-After: 1 was honoured: the retry came at least a second later.
        let at = records.compactMap { $0["at"] as? Double }
        try #require(at.count == records.count && at.count >= 3, "every stub record carries its time")
        #expect(at[2] - at[1] >= 0.95, "retried after \(at[2] - at[1]) s")
        let status = try await setup.spool.status()
        #expect(status.deadLetters == 1)
        #expect(status.depth == 0)
        #expect(transmitter.status.deadLettered == 1)
        #expect(transmitter.status.sent == 2)
        #expect(setup.capture.text.contains("rejects the API key"))
        #expect(setup.capture.text.contains("accepts the API key again"))
        #expect(!setup.capture.text.contains(setup.token))
    }

    @Test func garbageAndSlowAnswersAreRetriedAndTheListenerDedupes() async throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(atPath: setup.directory) }
        let stub = try setup.startStub(["garbage", "slow"])
        defer { stub.kill(SIGTERM); _ = stub.wait() }
        try await setup.waitForStub()
        let ids = try await setup.spoolPayloads(2)
        let transmitter = setup.transmitter(timeout: .seconds(1))
        let task = Task { try await transmitter.run() }
        try await setup.waitUntilEmpty("after garbage and a slow answer")
        task.cancel()
        _ = try? await task.value
        let records = try setup.records()
        // The slow answer came after our timeout: the payload was sent again, and the listener saw it
        // as a duplicate when it finally answered the first copy (at most one resend).
        let accepted = records.filter { $0["status"] as? Int == 200 && $0["duplicate"] as? Bool == false }
        #expect(accepted.compactMap { $0["batch_id"] as? String }.sorted() == ids.sorted())
        #expect(records.first?["action"] as? String == "garbage")
        #expect(transmitter.status.retries >= 2)
        #expect(try await setup.spool.status().depth == 0)
    }

    @Test func aSelfSignedListenerIsRefusedWithoutCAFileAndAcceptedWithIt() async throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(atPath: setup.directory) }
        let cert = setup.directory + "/listener.pem"
        let key = setup.directory + "/listener.key"
        try SelfSignedCertificate.make(certificate: cert, key: key)
        let listener = try await ReferenceListener(directory: setup.directory + "/listener", token: setup.token, tls: (cert, key))
        defer { listener.stop() }
        #expect(listener.url.hasPrefix("https://127.0.0.1:"))
        let port = try #require(Int(listener.url.split(separator: ":")[2].prefix { $0.isNumber }))
        _ = try await setup.spoolPayloads(1)

        // Without ca_file: the certificate fails verification, the payload stays, nothing reaches the store.
        let refusing = setup.transmitter(timeout: .milliseconds(500), scheme: "https", port: port)
        let first = Task { try await refusing.run() }
        for _ in 0..<1_000 where refusing.status.retries < 2 { try await Task.sleep(for: .milliseconds(10)) }
        first.cancel()
        _ = try? await first.value
        #expect(refusing.status.retries >= 2)
        #expect(refusing.status.sent == 0)
        #expect(try await setup.spool.status().depth == 1)
        #expect(try listener.store().counts().batches == 0, "no request got through an unverified handshake")

        // With ca_file: delivered.
        let trusting = setup.transmitter(scheme: "https", caFile: cert, port: port)
        let second = Task { try await trusting.run() }
        try await setup.waitUntilEmpty("over TLS with ca_file")
        second.cancel()
        _ = try? await second.value
        #expect(trusting.status.sent == 1)
        #expect(try listener.store().counts().batches == 1)
    }

    /// The key never travels over TLS older than 1.2: a server that speaks only TLS 1.1
    /// (Tools/old-tls-server.py, which records handshakes and requests) is refused at the handshake,
    /// with a certificate the agent trusts, and never sees the request.
    @Test func aListenerThatOnlySpeaksTLS11IsRefused() async throws {
        let setup = try Setup()
        defer { try? FileManager.default.removeItem(atPath: setup.directory) }
        let cert = setup.directory + "/old.pem"
        let key = setup.directory + "/old.key"
        try SelfSignedCertificate.make(certificate: cert, key: key)
        let record = setup.directory + "/old-tls.record"
        let server = try ChildProcess.start([
            "python3", Self.stub.replacingOccurrences(of: "stub-listener.py", with: "old-tls-server.py"),
            "\(setup.port)", cert, key, record],
            stdout: setup.directory + "/old-tls.out", stderr: setup.directory + "/old-tls.err")
        defer { server.kill(SIGTERM); _ = server.wait() }
        try await Harness.eventually("the TLS 1.1 server listens") {
            ((try? String(contentsOfFile: setup.directory + "/old-tls.out", encoding: .utf8)) ?? "").contains("listening")
        }
        _ = try await setup.spoolPayloads(1)
        let transport = HTTPPayloadTransport(
            endpoint: .init(url: "https://127.0.0.1:\(setup.port)/ingest/postgres", caFile: cert, timeout: .seconds(3)),
            logger: Logger(label: "tls11") { _ in CaptureHandler(capture: setup.capture) })
        let payload = try #require(try await setup.spool.oldest())
        let outcome = await transport.send(payload, key: Secret(setup.token))
        await transport.shutdown()
        #expect(outcome == .retry(notBefore: nil))
        try await Harness.eventually("the server saw the attempt") { FileManager.default.fileExists(atPath: record) }
        let seen = try String(contentsOfFile: record, encoding: .utf8)
        #expect(seen.contains("handshake failed"), "\(seen)")
        #expect(!seen.contains("received"), "the request crossed TLS 1.1: \(seen)")
        #expect(!seen.contains(setup.token))
    }
}
