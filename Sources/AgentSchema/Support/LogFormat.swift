/// The format of a PostgreSQL log (`log_destination`).
package enum LogFormat: String, Sendable, CaseIterable {
    /// Detect the format from the file name and content.
    case auto
    /// Plain text lines that start with `log_line_prefix`.
    case stderr
    /// `csvlog`: one CSV record per entry.
    case csvlog
    /// `jsonlog` (PostgreSQL 15 and later): one JSON object per line.
    case jsonlog
}
