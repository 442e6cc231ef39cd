package import AgentConfiguration
import Foundation
import Hummingbird
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
    package let logger: Logger

    package init(address: ListenAddress, registry: MetricsRegistry, heartbeats: Heartbeats, problems: PartProblems? = nil,
                 logger: Logger) {
        self.address = address
        self.registry = registry
        self.heartbeats = heartbeats
        self.problems = problems
        self.logger = logger
    }

    /// The name of this part in ``PartProblems``.
    static let partName = "metrics endpoint"

    package func run() async throws {
        let router = Router(context: BasicRequestContext.self)
        let registry = self.registry
        let heartbeats = self.heartbeats
        router.get("metrics") { _, _ -> Response in
            await Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .connection: "close"],
                     body: .init(byteBuffer: ByteBuffer(string: registry.render())))
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
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { channel in
                problems?.set(Self.partName, nil)
                logger.info("metrics endpoint listening", metadata: ["address": "\(address.hostForURL):\(channel.localAddress?.port ?? 0)"])
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
