/// Why the listener refused a request or could not start. Messages never carry a token or a payload's
/// content: only what an operator needs to find the cause.
package struct ListenerError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure, with the HTTP status it answers.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let description: String
        /// The HTTP status a request refused for this reason gets.
        package let status: Int
        /// No `Authorization: Bearer` header, or a token that is not in the token file.
        package static let unauthorized = Code(description: "unauthorized", status: 401)
        /// A `Content-Encoding` other than gzip or identity, or a `Content-Type` that is not JSON.
        package static let unsupportedMedia = Code(description: "unsupported_media_type", status: 415)
        /// The body is larger than `--max-body-mb`, or its JSON document than `--max-json-mb` (a gzip body
        /// is not inflated past it).
        package static let tooLarge = Code(description: "payload_too_large", status: 413)
        /// The body is not gzip, not JSON, or not a schema-1 payload.
        package static let invalid = Code(description: "invalid_payload", status: 400)
        /// The store could not commit: the agent should retry.
        package static let store = Code(description: "store_failed", status: 503)
        /// Every ingest slot is taken (`--max-concurrent-ingests`): answered with `Retry-After: 1`, and the
        /// agent retries.
        package static let busy = Code(description: "busy", status: 503)
        /// The body did not arrive within `--body-timeout-seconds` of the headers: the connection is
        /// closed, and this code is only logged, never sent.
        package static let timeout = Code(description: "request_timeout", status: 408)
        /// The listener cannot start: bad address, token file, certificate or store.
        package static let setup = Code(description: "listener_setup_failed", status: 500)
    }

    /// The kind of failure.
    package var code: Code
    /// What happened.
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code): \(message)" }
}
