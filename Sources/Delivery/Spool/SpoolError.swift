/// Why the spool could not do something. Messages name the file, never a payload's content.
package struct SpoolError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let description: String
        /// The database could not be opened or created.
        package static let open = Code(description: "spool_open_failed")
        /// SQLite finds the file damaged (not a database, or corrupt pages) when opening it.
        package static let corrupt = Code(description: "spool_corrupt")
        /// A read or write failed (disk full, I/O error, a damaged file).
        package static let io = Code(description: "spool_io_failed")
        /// One payload is larger than the whole cap: it is refused rather than emptying the queue.
        package static let payloadTooLarge = Code(description: "spool_payload_too_large")
        /// The payload could not be made to fit: even after evicting the oldest rows it would take the
        /// file past the cap or below the free-space floor. It is refused and counted.
        package static let full = Code(description: "spool_full")
        /// Compression failed.
        package static let compression = Code(description: "spool_compression_failed")
    }

    /// The kind of failure.
    package var code: Code
    /// What happened, for the log.
    package var message: String

    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code): \(message)" }
}
