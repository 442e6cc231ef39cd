import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Reads and drops, before it is answered, the body of every request that no handler reads
/// (`GET /healthz`, an unknown path, a wrong method), within the body deadline (``RequestDeadline``).
/// Hummingbird would otherwise drain such a body after the answer with no limit but the idle timeout,
/// which a client sending a byte every few seconds never reaches: one connection held for as long as
/// that client likes.
///
/// Hummingbird applies a middleware to the routes added after it and to the "not found" answer, so the
/// listener adds it after the ingest route (which reads its body itself) and before the others.
struct BodyDrainMiddleware: RouterMiddleware {
    typealias Context = IngestRequestContext

    /// How long a body may take to arrive, counted from the headers.
    let timeout: Duration

    // `@concurrent` as in Hummingbird's requirement: under NonisolatedNonsendingByDefault a bare async
    // function type would be `nonisolated(nonsending)` and no longer match it.
    func handle(_ request: Request, context: Context,
                next: @concurrent (Request, Context) async throws -> Response) async throws -> Response {
        let channel = context.channel
        let deadline = RequestDeadline(timeout: timeout) { channel.close(promise: nil) }
        _ = try? await request.body.read(keepingAtMost: 0, expected: nil)
        guard deadline.meet() else {
            context.logger.warning("closed a connection whose body did not arrive in time", metadata: [
                "status": "408", "path": "\(request.uri.path.prefix(80))",
            ])
            return Response(status: .requestTimeout)
        }
        return try await next(request, context)
    }
}
