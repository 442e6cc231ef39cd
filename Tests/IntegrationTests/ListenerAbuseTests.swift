import AgentConfiguration
import AgentSchema
import AsyncHTTPClient
import Delivery
import Foundation
import Listener
import Logging
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// `postgres-agent listener` under abuse, as a real process on loopback (issue 11): idle connections,
/// slow bodies and stalled TLS handshakes are dropped by the listener itself, the ingests at once are
/// limited, and a well-behaved agent delivers meanwhile. Short timeouts keep it quick; every wait is a
/// bounded poll of a condition, and only the slow clients sleep, to stay slow.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ListenerAbuseTests {
    /// A client socket that the test drives byte by byte: no HTTP library sends this slowly, or stops
    /// in the middle of a request.
    final class RawClient: Sendable {
        /// What a look at the socket finds.
        enum State: Equatable {
            /// Nothing more to read yet: the server keeps the connection.
            case open
            /// A read returned 0: the server closed the connection.
            case closedByServer
            /// The connection was reset (the server closed it while bytes were on their way).
            case reset
        }

        private let descriptor: Int32

        /// Connects to 127.0.0.1:`port`.
        init(port: Int) throws {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            try #require(descriptor >= 0, "socket() failed: errno \(errno)")
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            let failure = errno
            if connected != 0 { close(descriptor) }
            try #require(connected == 0, "connect() to port \(port) failed: errno \(failure)")
            self.descriptor = descriptor
        }

        deinit { close(descriptor) }

        /// Sends `bytes`; false once the connection is gone (never SIGPIPE).
        @discardableResult func transmit(_ bytes: [UInt8]) -> Bool {
            let sent = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            return sent == bytes.count
        }

        /// Reads (and drops) whatever has arrived, without waiting, and says what the connection is now.
        func state() -> State {
            var chunk = [UInt8](repeating: 0, count: 4_096)
            while true {
                let received = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if received > 0 { continue }
                if received == 0 { return .closedByServer }
                return errno == EAGAIN || errno == EWOULDBLOCK ? .open : .reset
            }
        }
    }

    /// An HTTP answer.
    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: String
    }

    /// One request through AsyncHTTPClient.
    static func request(_ url: String, method: HTTPMethod = .GET, key: String? = nil,
                        body: [UInt8]? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let text = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: text))
    }

    /// The headers of a POST announcing `length` bytes, and the first bytes of its body.
    static func slowRequestStart(key: String, length: Int = 100_000) -> [UInt8] {
        Array(("POST /ingest/postgres HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(key)\r\n"
               + "Content-Type: application/json\r\nContent-Length: \(length)\r\n\r\n{\"schema_version\":1,").utf8)
    }

    static func port(of listener: ReferenceListener) throws -> Int {
        try #require(Int(listener.url.split(separator: ":")[2].prefix { $0.isNumber }))
    }

    /// Polls `clients` every 20 ms, at most 30 s, until none is open; their last states.
    static func waitUntilClosed(_ clients: [RawClient]) async throws -> [RawClient.State] {
        var states = clients.map { $0.state() }
        for _ in 0..<1_500 where states.contains(.open) {
            try await Task.sleep(for: .milliseconds(20))
            states = clients.map { $0.state() }
        }
        return states
    }

    @Test func idleConnectionsAndSlowBodiesDoNotStopAWellBehavedAgent() async throws {
        let scratch = try ScratchDirectory()
        let listener = try await ReferenceListener(directory: scratch.file("listener"), extraArguments: [
            "--idle-timeout-seconds", "2", "--body-timeout-seconds", "4",
        ])
        defer { listener.stop() }
        let port = try Self.port(of: listener)

        // 200 connections that never send a byte.
        let idle = try (0..<200).map { _ in try RawClient(port: port) }
        // 20 slow bodies: headers announcing 100,000 bytes, then a trickle (a byte each 250 ms, inside the
        // idle timeout) or nothing. Half carry the valid key (each holds an ingest slot while its body is
        // read: 10 of the 16), half a wrong one (refused, their body drained before the answer).
        let slow = try (0..<20).map { index in
            let client = try RawClient(port: port)
            #expect(client.transmit(Self.slowRequestStart(key: index % 2 == 0 ? listener.token : "wrong-key")))
            return client
        }
        let trickling = slow.enumerated().filter { $0.offset % 4 < 2 }.map(\.element)
        let trickle = Task {
            for _ in 0..<400 where !Task.isCancelled {
                // Every client gets its byte (no short-circuit); done once none takes it.
                guard trickling.filter({ $0.transmit([0x20]) }).count > 0 else { return }
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        defer { trickle.cancel() }

        // The agent: a spool and the transmitter, honouring Retry-After like the daemon's.
        let spool = try Spool(path: scratch.file("spool.sqlite"), limits: .init(maxBytes: 50 << 20))
        var ids: [String] = []
        for index in 0..<5 {
            let id = UUID().uuidString.lowercased()
            let json = #"{"schema_version":1,"kind":"snapshot","batch_id":"\#(id)","n":\#(index)}"#
            _ = try await spool.append(kind: .snapshot, instance: "main", batchID: id, json: Array(json.utf8))
            ids.append(id)
        }
        let token = listener.token
        let transmitter = Transmitter(
            spool: spool, endpoint: .init(url: listener.url, timeout: .seconds(5)), apiKey: { Secret(token) },
            clock: ContinuousClock(),
            breaker: CircuitBreaker(failureThreshold: 3, coolDown: .milliseconds(200), maximumCoolDown: .milliseconds(400)),
            backoff: Backoff(base: .milliseconds(20), maximum: .milliseconds(100)), idlePoll: .milliseconds(20),
            logger: Logger(label: "abuse-agent") { _ in SwiftLogNoOpLogHandler() })
        let sending = Task { try await transmitter.run() }
        defer { sending.cancel() }
        var depth = try await spool.status().depth
        for _ in 0..<1_500 where depth > 0 {
            try await Task.sleep(for: .milliseconds(20))
            depth = try await spool.status().depth
        }
        sending.cancel()
        _ = try? await sending.value
        #expect(depth == 0, "the agent delivered every payload")
        #expect(transmitter.status.sent == 5)
        #expect(try listener.store().rows().map(\.batchID) == ids, "in order, each once")

        // The idle connections: closed by the listener, a read returns 0.
        let idleStates = try await Self.waitUntilClosed(idle)
        #expect(idleStates.filter { $0 == .closedByServer }.count == 200, "\(idleStates.filter { $0 != .closedByServer })")
        // The slow ones: the stalled after the idle timeout, the trickling at the body deadline.
        let slowStates = try await Self.waitUntilClosed(slow)
        #expect(!slowStates.contains(.open), "\(slowStates)")
        // The listener logs each cut (a moment after it closed the connection).
        var log = listener.log
        for _ in 0..<500 where !log.contains("request_timeout") {
            try await Task.sleep(for: .milliseconds(20))
            log = listener.log
        }
        #expect(log.contains("request_timeout"), "the trickling bodies were cut at the deadline")

        // Still serving; the counts only for the key.
        let anonymous = try await Self.request(listener.base + "/healthz")
        #expect(anonymous.status == 200)
        #expect(anonymous.body == #"{"status":"ok"}"#)
        let counted = try await Self.request(listener.base + "/healthz", key: token)
        #expect(counted.body.hasPrefix(#"{"status":"ok","batches":5,"duplicates":0,"ingests":"#), "\(counted.body)")
        #expect(try listener.store().counts().batches == 5, "nothing of the slow bodies was stored")
        #expect(!listener.log.contains(token), "no key in the listener's log")
    }

    @Test func pastTheIngestLimitTheAnswerIs503WithRetryAfterUntilASlotFrees() async throws {
        let scratch = try ScratchDirectory()
        let listener = try await ReferenceListener(directory: scratch.file("listener"), extraArguments: [
            "--max-concurrent-ingests", "2", "--idle-timeout-seconds", "10",
        ])
        defer { listener.stop() }
        let port = try Self.port(of: listener)
        // Two clients with the key that send their headers and stall: they hold both slots until the idle
        // timeout drops them.
        let holders = try (0..<2).map { _ in try RawClient(port: port) }
        for holder in holders { #expect(holder.transmit(Self.slowRequestStart(key: listener.token))) }

        func post(_ id: String) async throws -> Answer {
            let json = #"{"schema_version":1,"kind":"logs","batch_id":"\#(id)","events":[]}"#
            return try await Self.request(listener.url, method: .POST, key: listener.token, body: Array(json.utf8))
        }
        // Wait until both holders have their slot, as the keyed /healthz tells (it takes none itself).
        // Posting to find out raced the holders: a POST that held a slot when a holder's headers arrived
        // made that holder the one refused as busy, and the test then saw no 503 (CI, twice).
        var ingests = ""
        for _ in 0..<500 {
            ingests = try await Self.request(listener.base + "/healthz", key: listener.token).body
            if ingests.hasSuffix(#","ingests":2}"#) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(ingests.hasSuffix(#","ingests":2}"#), "the holders never took both slots: \(ingests)")
        let refused = try await post("early")
        #expect(refused.status == 503)
        #expect(refused.headers["Retry-After"] == ["1"])
        #expect(refused.body.contains(#""error":"busy""#), "\(refused.body)")

        // The idle timeout drops the holders, their slots come back, and the same payload is stored.
        var stored: Answer?
        for _ in 0..<1_500 {
            let answer = try await post("late")
            if answer.status == 200 {
                stored = answer
                break
            }
            #expect(answer.status == 503, "\(answer.body)")
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(stored?.body == #"{"status":"stored"}"#)
        #expect(try await Self.waitUntilClosed(holders).allSatisfy { $0 != .open })
    }

    @Test func aStalledTLSHandshakeIsDroppedAfterTheIdleTimeout() async throws {
        let scratch = try ScratchDirectory()
        let cert = scratch.file("listener.pem")
        let key = scratch.file("listener.key")
        try SelfSignedCertificate.make(certificate: cert, key: key)
        let listener = try await ReferenceListener(directory: scratch.file("listener"), tls: (cert, key),
                                                   extraArguments: ["--idle-timeout-seconds", "2"])
        defer { listener.stop() }
        let port = try Self.port(of: listener)
        // Five say nothing; five start a ClientHello (a record header announcing 512 bytes, and 16 of
        // them) and stop.
        let silent = try (0..<5).map { _ in try RawClient(port: port) }
        let started = try (0..<5).map { _ in try RawClient(port: port) }
        for client in started {
            #expect(client.transmit([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]
                                    + [UInt8](repeating: 0, count: 10)))
        }
        let states = try await Self.waitUntilClosed(silent + started)
        #expect(!states.contains(.open), "\(states)")
        // The listener still completes a handshake and stores what the agent's transport sends.
        let transport = HTTPPayloadTransport(endpoint: .init(url: listener.url, caFile: cert, timeout: .seconds(10)),
                                             logger: Logger(label: "abuse-agent") { _ in SwiftLogNoOpLogHandler() })
        let json = Array(#"{"schema_version":1,"kind":"logs","batch_id":"over-tls","events":[]}"#.utf8)
        let payload = SpooledPayload(id: 1, batchID: "over-tls", kind: .logs, instance: "main", createdAt: 0,
                                     body: try Gzip.compress(json), attempts: 0)
        let outcome = await transport.send(payload, key: Secret(listener.token))
        await transport.shutdown()
        #expect(outcome == .acknowledged)
        #expect(try listener.store().rows().map(\.batchID) == ["over-tls"])
    }
}
