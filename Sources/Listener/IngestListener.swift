import AgentSchema
package import AgentConfiguration
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HTTPTypes
package import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// The reference listener (docs/payloads.md, "Delivery"): `POST /ingest/postgres` checks the Bearer key in
/// constant time, accepts gzip or plain JSON, validates the payload's envelope (``IngestBatch``),
/// stores each `batch_id` once (``BatchStore``) and answers 200 only after the commit; a duplicate gets
/// 200 without being stored again. `GET /healthz` answers 200 while the store is readable.
///
/// Answers: 200 stored or duplicate; 400 invalid payload; 401 bad key; 413 too large; 415 unsupported
/// encoding or type; 503 the store failed (the agent retries). Bodies are small JSON objects with
/// `status`, or `error` and `message`. No answer or log line carries a key or payload content.
package struct IngestListener: Service {
    /// How to run.
    package struct Settings: Sendable {
        /// Where to listen.
        package var address: ListenAddress
        /// PEM certificate chain and key for TLS; nil serves plain HTTP.
        package var tls: (certificate: String, key: String)?
        /// Body and inflation limits.
        package var limits: IngestBatch.Limits

        package init(address: ListenAddress, tls: (certificate: String, key: String)? = nil,
                     limits: IngestBatch.Limits = IngestBatch.Limits()) {
            self.address = address
            self.tls = tls
            self.limits = limits
        }
    }

    private let settings: Settings
    private let tokens: BearerTokens
    private let store: BatchStore
    private let logger: Logger
    private let onRunning: @Sendable (String) -> Void
    private let server: HTTPServerBuilder

    /// - Parameter onRunning: called once with the base URL (`http://host:port`, the real port when 0
    ///   was asked for) when the socket is bound.
    package init(settings: Settings, tokens: BearerTokens, store: BatchStore, logger: Logger,
                 onRunning: @escaping @Sendable (String) -> Void = { _ in }) throws(ListenerError) {
        self.settings = settings
        self.tokens = tokens
        self.store = store
        self.logger = logger
        self.onRunning = onRunning
        if let tls = settings.tls {
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(tls.certificate).map { NIOSSLCertificateSource.certificate($0) }
                let key = try NIOSSLPrivateKey(file: tls.key, format: .pem)
                let configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
                server = try .tls(.http1(), tlsConfiguration: configuration)
            } catch {
                throw ListenerError(.setup, "cannot load the TLS certificate \(tls.certificate) or key \(tls.key): \(error)")
            }
        } else {
            server = .http1()
        }
    }

    package func run() async throws {
        let router = Router(context: BasicRequestContext.self)
        router.get("healthz") { _, _ -> Response in
            await self.health()
        }
        router.post("ingest/postgres") { request, _ -> Response in
            await self.ingest(request)
        }
        let scheme = settings.tls == nil ? "http" : "https"
        let onRunning = self.onRunning
        let application = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(settings.address.host, port: settings.address.port),
                                 serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                onRunning("\(scheme)://\(settings.address.hostForURL):\(port)")
            },
            logger: logger)
        try await application.run()
    }

    /// Handles one POST; every refusal is logged once at warning, without the key or the body.
    func ingest(_ request: Request) async -> Response {
        guard tokens.accepts(authorization: request.headers[.authorization]) else {
            logger.warning("refused a request without a valid API key", metadata: ["status": "401"])
            return Self.answer(ListenerError(.unauthorized, "a valid Authorization: Bearer key is required"))
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: settings.limits.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            return refuse(ListenerError(.tooLarge, "the body is over the limit of \(settings.limits.maxBodyBytes) bytes"))
        } catch {
            return refuse(ListenerError(.invalid, "the body could not be read"))
        }
        let batch: IngestBatch
        do {
            batch = try IngestBatch(body: Array(body.readableBytesView),
                                    contentEncoding: request.headers[.contentEncoding],
                                    contentType: request.headers[.contentType],
                                    idempotencyKey: request.headers[Self.idempotencyKey],
                                    limits: settings.limits)
        } catch {
            return refuse(error)
        }
        do {
            let outcome = try await store.store(batch, receivedAt: Date().timeIntervalSince1970)
            let duplicate = outcome == .duplicate
            logger.debug("accepted a batch", metadata: [
                "batch_id": "\(batch.batchID)", "kind": "\(batch.kind)", "bytes": "\(batch.gzipBody.count)",
                "duplicate": "\(duplicate)",
            ])
            return Self.json(.ok, #"{"status":"\#(duplicate ? "duplicate" : "stored")"}"#)
        } catch {
            return refuse(error)
        }
    }

    func health() async -> Response {
        do {
            let counts = try await store.countsAsync()
            return Self.json(.ok, #"{"status":"ok","batches":\#(counts.batches),"duplicates":\#(counts.duplicates)}"#)
        } catch {
            logger.error("the store cannot be read", metadata: ["error": "\(error)"])
            return Self.json(.serviceUnavailable, #"{"status":"store_unreadable"}"#)
        }
    }

    private func refuse(_ error: ListenerError) -> Response {
        logger.warning("refused a request", metadata: ["status": "\(error.code.status)", "error": "\(error)"])
        return Self.answer(error)
    }

    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    static func answer(_ error: ListenerError) -> Response {
        var writer = JSONWriter(capacity: 256)
        writer.beginObject()
        writer.key("error")
        writer.string(error.code.description)
        writer.key("message")
        writer.string(error.message)
        writer.endObject()
        var response = json(HTTPResponse.Status(code: error.code.status), String(decoding: writer.bytes, as: UTF8.self))
        if error.code == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Printed by ServiceLifecycle: the address only, never the keys.
extension IngestListener: CustomStringConvertible {
    package var description: String { "reference listener on \(settings.address)" }
}
