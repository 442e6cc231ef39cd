import AgentSchema
import Foundation
import Hummingbird
import HummingbirdCore
import HTTPTypes
import Logging
import NIOCore

extension IngestListener {
    /// Handles one `POST /ingest/postgres`; every refusal is logged once at warning, without the key or
    /// the body.
    ///
    /// The body is read within the body timeout (``RequestDeadline``: past it, the connection is closed)
    /// and, for a refusal decided from the headers alone (401, 503 busy), read and dropped before the
    /// answer, so that the client gets its answer on a connection it can reuse. Only a request with a valid
    /// key that got an ingest slot keeps its body in memory, and at most `maxBodyBytes` of it.
    func ingest(_ request: Request, channel: any Channel) async -> Response {
        let deadline = RequestDeadline(timeout: settings.bodyTimeout) { channel.close(promise: nil) }
        guard tokens.accepts(authorization: request.headers[.authorization]) else {
            guard await drain(request, within: deadline) else { return timedOut() }
            logger.warning("refused a request without a valid API key", metadata: ["status": "401"])
            return Self.answer(ListenerError(.unauthorized, "a valid Authorization: Bearer key is required"))
        }
        guard slots.tryAcquire() else {
            guard await drain(request, within: deadline) else { return timedOut() }
            return refuse(ListenerError(.busy, "\(slots.capacity) ingests are running already; retry in a second"))
        }
        defer { slots.release() }
        let limit = settings.limits.maxBodyBytes
        let expected = request.headers[.contentLength].flatMap { Int($0) }
        let body: [UInt8]
        do {
            let read = try await request.body.read(keepingAtMost: limit, expected: expected)
            guard deadline.meet() else { return timedOut() }
            guard let bytes = read.bytes else {
                return refuse(ListenerError(.tooLarge, "the body is over the limit of \(limit) bytes"))
            }
            // A connection closed in the middle of a body must not pass for a short body.
            if let expected, read.received != expected {
                return refuse(ListenerError(.invalid, "the body ended after \(read.received) of its \(expected) bytes"))
            }
            body = bytes
        } catch {
            guard deadline.meet() else { return timedOut() }
            return refuse(ListenerError(.invalid, "the body could not be read"))
        }
        let batch: IngestBatch
        do {
            batch = try IngestBatch(body: body,
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

    /// Reads and drops the rest of a refused request's body; false when the deadline passed first (the
    /// connection is being closed).
    private func drain(_ request: Request, within deadline: RequestDeadline) async -> Bool {
        _ = try? await request.body.read(keepingAtMost: 0, expected: nil)
        return deadline.meet()
    }

    /// The body did not arrive in time and the connection is closing: logged; the answer is never sent.
    private func timedOut() -> Response {
        let seconds = settings.bodyTimeout.components.seconds
        return refuse(ListenerError(.timeout, "the body did not arrive within \(seconds) s; the connection was closed"))
    }

    private func refuse(_ error: ListenerError) -> Response {
        logger.warning("refused a request", metadata: ["status": "\(error.code.status)", "error": "\(error)"])
        return Self.answer(error)
    }

    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    /// A refusal: `{"error": CODE, "message": TEXT}`, with `WWW-Authenticate` for a 401 and `Retry-After`
    /// for a busy 503.
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
        if error.code == .busy { response.headers[.retryAfter] = "1" }
        return response
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
