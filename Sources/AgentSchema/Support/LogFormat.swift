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
    /// `syslog`, as a syslog daemon (rsyslog) wrote it to a file: RFC 3164, rsyslog's high-precision
    /// format or RFC 5424 lines, each with `log_line_prefix` after its header.
    case syslog
}
