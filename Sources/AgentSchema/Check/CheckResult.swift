/// One line of `postgres-agent check`: an aspect, whether it passed, what was found, and for a failure
/// the exact fix (a GRANT, a configuration line, a group to join).
package struct CheckResult: Sendable, Equatable {
    /// What was checked: `configuration`, `connection`, `privileges`, …
    package var aspect: String
    /// The server it concerns (`[postgres:NAME]`), if any.
    package var instance: String?
    /// Passed.
    package var passed: Bool
    /// What was found.
    package var detail: String
    /// How to fix a failure.
    package var fix: String?

    package init(aspect: String, instance: String? = nil, passed: Bool, detail: String, fix: String? = nil) {
        self.aspect = aspect
        self.instance = instance
        self.passed = passed
        self.detail = detail
        self.fix = fix
    }

    /// `✓ connection [main]: …` and, for a failure, an indented `fix:` line.
    package var rendered: String {
        let mark = passed ? "✓" : "✗"
        let scope = instance.map { " [\($0)]" } ?? ""
        var text = "\(mark) \(aspect)\(scope): \(detail)"
        if !passed, let fix { text += "\n    fix: \(fix)" }
        return text
    }
}
