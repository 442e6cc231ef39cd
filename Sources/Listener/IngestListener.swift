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
/// 200 without being stored again. `GET /healthz` answers 200 while the store is readable, with the
/// counts only for a caller with a valid key (`HealthCheck`).
///
/// Answers: 200 stored or duplicate; 400 invalid payload; 401 bad key; 413 too large; 415 unsupported
/// encoding or type; 503 the store failed, or every ingest slot is taken (with `Retry-After: 1`; the
/// agent retries). Bodies are small JSON objects with `status`, or `error` and `message`. No answer or
/// log line carries a key or payload content.
///
/// Slow and idle clients are dropped: a connection silent for the idle timeout is closed (before its TLS
/// handshake ends, between requests, or in the middle of headers or a body), and a request whose body has
/// not arrived within the body timeout has its connection closed, so neither holds a connection or an
/// ingest slot for long. At most `maxConcurrentIngests` bodies are held in memory at once.
package struct IngestListener: Service {
    /// How to run.
    package struct Settings: Sendable {
        /// Where to listen.
        package var address: ListenAddress
        /// PEM certificate chain and key for TLS; nil serves plain HTTP.
        package var tls: (certificate: String, key: String)?
        /// Body and inflation limits.
        package var limits: IngestBatch.Limits
        /// How long a connection may send nothing before it is closed: while idle between requests,
        /// during its TLS handshake, in the middle of its headers or of a body.
        package var idleTimeout: Duration
        /// How long a request's body may take to arrive, counted from its headers.
        package var bodyTimeout: Duration
        /// The most ingests (bodies read, checked or stored) at once.
        package var maxConcurrentIngests: Int

        package init(address: ListenAddress, tls: (certificate: String, key: String)? = nil,
                     limits: IngestBatch.Limits = IngestBatch.Limits(), idleTimeout: Duration = .seconds(30),
                     bodyTimeout: Duration = .seconds(60), maxConcurrentIngests: Int = 16) {
            self.address = address
            self.tls = tls
            self.limits = limits
            self.idleTimeout = idleTimeout
            self.bodyTimeout = bodyTimeout
            self.maxConcurrentIngests = maxConcurrentIngests
        }
    }

    let settings: Settings
    let tokens: BearerTokens
    let store: BatchStore
    let logger: Logger
    let slots: ConcurrencyLimiter
    private let health: HealthCheck
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
        self.slots = ConcurrencyLimiter(capacity: max(1, settings.maxConcurrentIngests))
        self.health = HealthCheck(tokens: tokens, store: store, slots: slots)
        // Hummingbird's idle timer starts when the connection is accepted and restarts on every HTTP part
        // read or answer written: a TLS handshake that stalls produces no part, so the same timer bounds it.
        let http1 = HTTP1Channel.Configuration(idleTimeout: TimeAmount(settings.idleTimeout))
        if let tls = settings.tls {
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(tls.certificate).map { NIOSSLCertificateSource.certificate($0) }
                let key = try NIOSSLPrivateKey(file: tls.key, format: .pem)
                var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
                configuration.minimumTLSVersion = .tlsv12
                server = try .tls(.http1(configuration: http1), tlsConfiguration: configuration)
            } catch {
                throw ListenerError(.setup, "cannot load the TLS certificate \(tls.certificate) or key \(tls.key): \(error)")
            }
        } else {
            server = .http1(configuration: http1)
        }
    }

    package func run() async throws {
        let router = Router(context: IngestRequestContext.self)
        router.post("ingest/postgres") { request, context -> Response in
            await self.ingest(request, channel: context.channel)
        }
        // After the ingest route, which reads its own body, and before every other (the middleware
        // applies to the routes added after it, and to "not found"): it reads the bodies they do not,
        // within the body timeout.
        router.add(middleware: BodyDrainMiddleware(timeout: settings.bodyTimeout))
        router.get("healthz") { request, _ -> Response in
            await self.healthz(request)
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

    /// `GET /healthz`: see `HealthCheck`.
    func healthz(_ request: Request) async -> Response {
        let answer = await health.answer(authorization: request.headers[.authorization])
        if let failure = answer.failure {
            logger.error("the store cannot be read", metadata: ["error": "\(failure)"])
        }
        return Self.json(HTTPResponse.Status(code: answer.status), answer.json)
    }
}

/// Printed by ServiceLifecycle: the address only, never the keys.
extension IngestListener: CustomStringConvertible {
    package var description: String { "reference listener on \(settings.address)" }
}
