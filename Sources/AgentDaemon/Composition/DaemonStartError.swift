/// Why the daemon could not start. Its message names a key or a path, never a value.
package struct DaemonStartError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, with the exit status the executable uses for it.
    package enum Code: String, Sendable {
        /// The configuration does not build (exit 78).
        case configuration
        /// The state directory or the spool cannot be used (exit 73).
        case stateDirectory = "state_directory"
    }

    /// What went wrong.
    package var code: Code
    /// One line for the operator.
    package var message: String

    package init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code.rawValue): \(message)" }
}
