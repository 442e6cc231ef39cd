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
    /// A server in a container, as Docker's `json-file` driver stores its stderr: one JSON object per
    /// line with `log`, `stream` and `time`.
    case docker
    /// A server in a container, as containerd and CRI-O store its stderr (Kubernetes' `/var/log/pods`):
    /// `TIME STREAM F|P TEXT`.
    case cri
    /// CloudNativePG's instance manager: JSON lines, PostgreSQL's csvlog records under `record`.
    case cloudnativepg
    /// The systemd journal as `journalctl --output=json` prints it (`path = journal`; not chosen by
    /// `format`).
    case journal

    /// Whether entries carry their own `log_line_prefix` text (so a prefix is needed to read them).
    package var hasPrefix: Bool {
        switch self {
        case .auto, .stderr, .syslog, .docker, .cri, .journal: true
        case .csvlog, .jsonlog, .cloudnativepg: false
        }
    }
}
