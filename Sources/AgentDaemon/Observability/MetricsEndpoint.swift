package import AgentConfiguration
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
package import Logging
import NIOCore
import ServiceLifecycle

/// `[metrics] listen`: `GET /metrics` (Prometheus text format) and `GET /healthz` (200 while no live
/// loop is stalled, 503 with the stalled ones otherwise). Each answer closes its connection: a scraper's
/// idle keep-alive connection would otherwise hold up the agent's shutdown.
///
/// An address that cannot be bound (any local user can take a port first) is the endpoint's failure
/// alone: it throws, its supervisor retries it with backoff, and ``PartProblems`` tells the systemd
/// status; the agent goes on collecting and sending.
package struct MetricsEndpoint: Service {
    package let address: ListenAddress
    package let registry: MetricsRegistry
    package let heartbeats: Heartbeats
    /// Where a bind failure is reported, and cleared once the endpoint listens.
    package var problems: PartProblems?
    /// `[metrics] web_config_file`: TLS and basic authentication (``MetricsWebConfig``); empty for none.
    package var webConfigFile: String
    package let logger: Logger

    package init(address: ListenAddress, registry: MetricsRegistry, heartbeats: Heartbeats, problems: PartProblems? = nil,
                 webConfigFile: String = "", logger: Logger) {
        self.address = address
        self.registry = registry
        self.heartbeats = heartbeats
        self.problems = problems
        self.webConfigFile = webConfigFile
        self.logger = logger
    }

    /// A connection that sends nothing for this long (a stalled TLS handshake among them) is closed.
    static let idleTimeout = TimeAmount.seconds(30)

    /// The web configuration and its TLS, read now; a file that cannot be used is the endpoint's failure
    /// (it never serves open HTTP in its place).
    func loadWebConfig() throws -> (MetricsWebConfig, TLSConfiguration?) {
        guard !webConfigFile.isEmpty else { return (MetricsWebConfig(), nil) }
        do {
            let web = try MetricsWebConfig.load(path: webConfigFile)
            return (web, try web.tlsConfiguration())
        } catch {
            problems?.set(Self.partName, "[metrics] web_config_file cannot be used")
            throw AgentConfigurationError(code: .invalidValue, key: "metrics.web_config_file",
                                          message: "\(error); the endpoint stays down until the file is fixed (it is read again on each retry)")
        }
    }

    /// The name of this part in ``PartProblems``.
    static let partName = "metrics endpoint"

    package func run() async throws {
        let (web, tls) = try loadWebConfig()
        let router = Router(context: BasicRequestContext.self)
        // Before the routes: the middleware applies to the routes added after it.
        router.add(middleware: MetricsAccessMiddleware(verifier: BasicAuthVerifier(users: web.users), headers: web.headers))
        let registry = self.registry
        let heartbeats = self.heartbeats
        router.get("metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .connection: "close"],
                     body: .init(byteBuffer: ByteBuffer(bytes: await registry.renderBytes())))
        }
        router.get("healthz") { _, _ -> Response in
            let stalled = heartbeats.stalled()
            let text = stalled.isEmpty ? "ok\n" : "stalled: \(stalled.joined(separator: ", "))\n"
            return Response(status: stalled.isEmpty ? .ok : .serviceUnavailable,
                            headers: [.contentType: "text/plain", .connection: "close"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let logger = self.logger
        let address = self.address
        let problems = self.problems
        let http1 = HTTP1Channel.Configuration(idleTimeout: Self.idleTimeout)
        let server: HTTPServerBuilder = try tls.map { try .tls(.http1(configuration: http1), tlsConfiguration: $0) }
            ?? .http1(configuration: http1)
        let scheme = tls == nil ? "http" : "https"
        let protection = (tls == nil ? [] : ["TLS"]) + (web.users.isEmpty ? [] : ["basic auth"])
        if !address.isLoopback, protection.isEmpty {
            logger.warning("the metrics endpoint listens beyond this host without TLS or authentication",
                           metadata: ["address": "\(address)", "fix": "set [metrics] web_config_file, or listen on 127.0.0.1"])
        }
        let application = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { channel in
                problems?.set(Self.partName, nil)
                logger.info("metrics endpoint listening", metadata: [
                    "url": "\(scheme)://\(address.hostForURL):\(channel.localAddress?.port ?? 0)/metrics",
                    "protection": "\(protection.isEmpty ? "none" : protection.joined(separator: ", "))",
                ])
            },
            logger: logger)
        do {
            try await application.run()
        } catch {
            problems?.set(Self.partName, "cannot listen on \(address)")
            throw AgentConfigurationError(code: .invalidValue, key: "metrics.listen",
                                          message: "cannot listen on \(address): \(error); the agent runs on without the endpoint and tries again")
        }
    }
}

/// Printed by ServiceLifecycle: the name only, never settings that may hold secrets.
extension MetricsEndpoint: CustomStringConvertible {
    package var description: String { "metrics endpoint \(address)" }
}

/// What the metrics endpoint is built from, for its ``Supervisor``: a change restarts it.
struct MetricsEndpointKey: Equatable, Sendable {
    var address: ListenAddress?
    /// ``MetricsWebConfig/fingerprint(path:)``.
    var webConfig: String?
}
