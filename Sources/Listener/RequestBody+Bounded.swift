import HummingbirdCore
import NIOCore

extension RequestBody {
    /// A body read to its end by ``read(keepingAtMost:expected:)``.
    struct Bounded {
        /// The body, or nil when it was longer than the limit (what came past it was read and dropped).
        var bytes: [UInt8]?
        /// How many bytes came in all.
        var received: Int
    }

    /// Reads the body to its end, keeping at most `limit` bytes, in one array: past the limit the rest
    /// is read and dropped, so memory never holds more than `limit` bytes of a body whatever it claims or
    /// sends, and the connection can serve the next request. `expected` (the `Content-Length`) sizes the
    /// array once, within the limit, so a body is copied once out of the network buffers and never regrown.
    /// A limit of 0 drains the body.
    func read(keepingAtMost limit: Int, expected: Int?) async throws -> Bounded {
        var over = (expected ?? 0) > limit
        var bytes: [UInt8] = []
        if !over, let expected, expected > 0 { bytes.reserveCapacity(expected) }
        var received = 0
        for try await fragment in self {
            received += fragment.readableBytes
            guard !over else { continue }
            guard received <= limit else {
                over = true
                bytes = []
                continue
            }
            bytes.append(contentsOf: fragment.readableBytesView)
        }
        return Bounded(bytes: over ? nil : bytes, received: received)
    }
}
