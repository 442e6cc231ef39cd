import HTTPTypes
import Hummingbird

/// In front of every route of the metrics endpoint: basic authentication when the web configuration has
/// users (401 with `WWW-Authenticate`, 429 while too many password checks run), and the configured
/// headers on every answer.
struct MetricsAccessMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    let verifier: BasicAuthVerifier
    let headers: [(name: String, value: String)]

    // `@concurrent` as in Hummingbird's requirement (see the listener's BodyDrainMiddleware).
    func handle(_ request: Request, context: Context,
                next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        switch await verifier.check(authorization: request.headers[.authorization]) {
        case .accepted:
            response = try await next(request, context)
        case .rejected:
            response = Response(status: .unauthorized,
                                headers: [.wwwAuthenticate: "Basic", .contentType: "text/plain", .connection: "close"],
                                body: .init(byteBuffer: .init(string: "Unauthorized\n")))
        case .busy:
            response = Response(status: .tooManyRequests,
                                headers: [.retryAfter: "1", .contentType: "text/plain", .connection: "close"],
                                body: .init(byteBuffer: .init(string: "Too many password checks at once; retry\n")))
        }
        for header in headers {
            guard let name = HTTPField.Name(header.name) else { continue }
            response.headers[name] = header.value
        }
        return response
    }
}
