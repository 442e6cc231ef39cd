/// A PostgreSQL message severity, by its English name (what jsonlog writes, and what `severity` carries on
/// the wire whatever language the server logged in).
package enum PostgresSeverity: String, Codable, Sendable, CaseIterable, Comparable {
    case debug5 = "DEBUG5", debug4 = "DEBUG4", debug3 = "DEBUG3", debug2 = "DEBUG2", debug1 = "DEBUG1"
    /// What stderr prints for DEBUG1…DEBUG5.
    case debug = "DEBUG"
    case log = "LOG", info = "INFO", notice = "NOTICE", warning = "WARNING", error = "ERROR", fatal = "FATAL"
    case panic = "PANIC"

    /// ERROR, FATAL or PANIC: the entry reports a failure.
    package var isError: Bool {
        self == .error || self == .fatal || self == .panic
    }

    /// Least to most severe, as `log_min_messages` orders them (LOG ranks between ERROR and FATAL there; here
    /// it ranks with INFO, as the client sees it).
    package static func < (left: PostgresSeverity, right: PostgresSeverity) -> Bool {
        allCases.firstIndex(of: left)! < allCases.firstIndex(of: right)!
    }
}
