/// `GET /healthz`: 200 `{"status":"ok"}` while the store answers a read, 503
/// `{"status":"store_unreadable"}` when it does not. Only a caller with a valid Bearer key also gets the
/// counts (`batches`, `duplicates`): without one, the answer says nothing about what was received, and
/// costs one indexed read whatever the size of the store, never a count.
struct HealthCheck: Sendable {
    /// What to answer.
    struct Answer: Sendable {
        /// The HTTP status: 200 or 503.
        var status: Int
        /// The JSON body.
        var json: String
        /// Why the store could not be read, for the log (never sent).
        var failure: ListenerError?
    }

    /// The keys that see the counts.
    let tokens: BearerTokens
    /// The store checked.
    let store: BatchStore
    /// The ingest slots, whose use a keyed answer shows (`"ingests":N`).
    var slots: ConcurrencyLimiter?

    /// The answer to a request carrying `authorization` (the `Authorization` header, if any).
    func answer(authorization: String?) async -> Answer {
        do {
            guard tokens.accepts(authorization: authorization) else {
                try await store.probe()
                return Answer(status: 200, json: #"{"status":"ok"}"#)
            }
            let counts = try await store.countsAsync()
            let ingests = slots.map { #","ingests":\#($0.inUse)"# } ?? ""
            return Answer(status: 200, json: #"{"status":"ok","batches":\#(counts.batches),"duplicates":\#(counts.duplicates)\#(ingests)}"#)
        } catch {
            return Answer(status: 503, json: #"{"status":"store_unreadable"}"#, failure: error)
        }
    }
}
