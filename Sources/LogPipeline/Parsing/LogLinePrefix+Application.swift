import Foundation

extension LogLinePrefix {
    /// `prefix` with the application name added, for `check`'s fix: after `%d` when it has one (Debian's
    /// `%m [%p] %q%u@%d ` becomes `%m [%p] %q%u@%d app=%a `), else at its end.
    package static func addingApplicationName(to prefix: String) -> String {
        if let database = prefix.range(of: "%d"), !prefix[..<database.lowerBound].hasSuffix("%") {
            return prefix.replacingCharacters(in: database, with: "%d app=%a")
        }
        if prefix.isEmpty { return "app=%a " }
        return prefix.hasSuffix(" ") ? prefix + "app=%a " : prefix + " app=%a "
    }
}
