package import AgentConfiguration
import AsyncHTTPClient
import Foundation
package import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// The transport over HTTPS (AsyncHTTPClient): the body as stored with `Content-Encoding: gzip`,
/// `Authorization: Bearer`, and the payload's `batch_id` as `Idempotency-Key`. Redirects are refused
/// (they would carry the key elsewhere); certificates are always verified, against the system's CAs plus
/// `ca_file` when given; TLS 1.2 at least. The key is never logged: a failure is described by its error type only.
package final class HTTPPayloadTransport: PayloadTransport {
    private let client: HTTPClient
    private let url: String
    private let timeout: TimeAmount
    private let logger: Logger

    /// Opens the client (no connection is made until the first send). Call ``shutdown()`` once done.
    package init(endpoint: ListenerEndpoint, logger: Logger) {
        var configuration = HTTPClient.Configuration()
        let timeout = TimeAmount.nanoseconds(Int64(TransmitterPolicy.seconds(endpoint.timeout) * 1e9))
        configuration.timeout = .init(connect: .seconds(5), read: timeout)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let caFile = endpoint.caFile { tls.additionalTrustRoots = [.file(caFile)] }
        configuration.tlsConfiguration = tls
        configuration.redirectConfiguration = .disallow
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.url = endpoint.url
        self.timeout = timeout
        self.logger = logger
    }

    package func send(_ payload: SpooledPayload, key: Secret) async -> DeliveryOutcome {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(key.value)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Content-Encoding", value: "gzip")
        request.headers.add(name: "Idempotency-Key", value: payload.batchID)
        request.headers.add(name: "User-Agent", value: "postgres-agent")
        request.body = .bytes(ByteBuffer(bytes: payload.body))
        do {
            let response = try await client.execute(request, timeout: timeout)
            // Read the answer, so the connection can be reused; a huge one is cut off. Only a refusal's
            // body is looked at, for the listener's reason.
            let body = try? await response.body.collect(upTo: 1 << 20)
            let status = Int(response.status.code)
            let reason = (400..<500).contains(status) ? body.flatMap { ListenerReason.parse(Array($0.readableBytesView.prefix(1 << 16))) } : nil
            return DeliveryOutcome.forResponse(status: status, retryAfter: response.headers.first(name: "Retry-After"),
                                               now: Date().timeIntervalSince1970, reason: reason)
        } catch {
            logger.info("sending failed, will retry", metadata: ["error": "\(Self.describe(error))"])
            return .retry(notBefore: nil)
        }
    }

    package func shutdown() async {
        try? await client.shutdown()
    }

    /// An HTTP client error without the request (which would carry the key).
    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return "\(error)" }
        if let error = error as? NIOSSLError { return "TLS: \(error)" }
        return "\(type(of: error))"
    }
}
