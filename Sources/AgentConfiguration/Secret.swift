/// A string that must never appear in logs, error messages or printed configuration:
/// a password, an API key, or a conninfo string that may carry a password.
///
/// Every way of printing a `Secret` shows `****`: `description`, `debugDescription`
/// (`String(reflecting:)`), string interpolation, and the reflection mirror that `dump(_:)` and the
/// default description of an enclosing struct use. Read ``value`` deliberately, at the one place
/// where the secret is handed to the component that needs it.
///
/// Equality compares the wrapped strings, so configurations can be compared in tests.
package struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret itself. Pass it to the component that authenticates; never log or print it.
    package var value: String

    /// Wraps `value`.
    package init(_ value: String) {
        self.value = value
    }

    /// Always `****`, whatever the value.
    package var description: String { "****" }

    /// Always `****`, whatever the value.
    package var debugDescription: String { "****" }

    /// A mirror without children, so that `dump(_:)` and reflection-based printing show no value.
    package var customMirror: Mirror {
        Mirror(self, children: [], displayStyle: .struct)
    }
}
