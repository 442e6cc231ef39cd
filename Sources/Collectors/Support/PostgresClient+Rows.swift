package import Logging
package import PostgresNIO

extension PostgresClient {
    /// Runs `query` and collects its rows for random access by column name.
    ///
    /// Some server errors (a `statement_timeout`, SQLSTATE 57014) only surface while the row stream is
    /// consumed, so we consume it here, inside the same `try`.
    ///
    /// A task cancelled while the rows stream in ends the stream early without an error (PostgresNIO's
    /// row sequence then simply finishes); those rows are not all the rows, so cancellation is thrown.
    package func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try await withOpenConnection { connection in try await connection.rows(query, logger: logger) }
    }

    /// Runs `body` on a leased connection that is open.
    ///
    /// The pool may lease a connection the server has just ended (`pg_terminate_backend`,
    /// `idle_session_timeout`) before it has noticed; a query written to its closed channel never
    /// completes in PostgresNIO 1.33 (one query in 20 waited for good right after a termination). Such a
    /// connection is refused before anything is sent; the pool replaces it, and the next cycle has one.
    package func withOpenConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await withConnection { connection in
            try connection.requireOpen()
            return try await body(connection)
        }
    }

    /// Runs a query that returns exactly one row (a settings probe) and returns it; no row is a
    /// `decoding` error naming `what`.
    package func oneRow(_ query: PostgresQuery, what: String, logger: Logger) async throws -> PostgresRandomAccessRow {
        guard let row = try await rows(query, logger: logger).first else {
            throw CollectorError(code: .decoding, message: "the \(what) query returned no row")
        }
        return row
    }
}

extension PostgresConnection {
    /// Runs `query` and collects its rows, consuming the stream inside the same `try` (as
    /// ``PostgresClient/rows(_:logger:)``).
    ///
    /// A closed connection (the server ended the session, or the channel was closed under it) is refused
    /// before anything is sent: PostgresNIO 1.33 writes a query to a closed channel without a promise,
    /// and the query then never returns.
    package func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try requireOpen()
        var result: [PostgresRandomAccessRow] = []
        for try await row in try await self.query(query, logger: logger) {
            result.append(row.makeRandomAccess())
        }
        try Task.checkCancellation()
        return result
    }

    /// Throws `connection_failed` when the connection is closed: nothing may be written to it.
    func requireOpen() throws(CollectorError) {
        guard !isClosed else {
            throw CollectorError(code: .connectionFailed, message: "the connection was closed before the query was sent")
        }
    }
}

extension PostgresRandomAccessRow {
    /// Decodes column `name` as `T`, nil for SQL NULL.
    package func value<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T? {
        let cell = self[name]
        guard cell.bytes != nil else { return nil }
        return try cell.decode(T.self)
    }
}
