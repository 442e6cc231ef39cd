/// A libpq password file (`~/.pgpass` or `PGPASSFILE`), matched the way libpq matches it.
///
/// Each line is `hostname:port:database:username:password`. A field that is exactly `*` matches
/// anything; `\:` and `\\` stand for a literal `:` and `\`. Lines starting with `#`, empty lines and
/// lines with fewer than five fields are skipped. The first matching line wins.
///
/// The host to look up follows libpq: a Unix socket connection to the default socket directory (or
/// with no host at all) is looked up as `localhost`; other socket directories are looked up by their
/// path. See ``lookupHost(host:hostaddr:)``.
package struct PGPassFile: Sendable {
    /// One usable line of the file.
    package struct Entry: Sendable, Equatable {
        /// The host pattern (`nil` = `*`).
        package var host: String?
        /// The port pattern (`nil` = `*`).
        package var port: String?
        /// The database pattern (`nil` = `*`).
        package var database: String?
        /// The user pattern (`nil` = `*`).
        package var user: String?
        /// The password.
        package var password: Secret

        /// Whether the line applies to this connection.
        package func matches(host: String, port: String, database: String, user: String) -> Bool {
            (self.host ?? host) == host && (self.port ?? port) == port
                && (self.database ?? database) == database && (self.user ?? user) == user
        }
    }

    /// The usable lines in file order.
    package var entries: [Entry]

    /// Parses the text of a password file; unusable lines are skipped, as libpq does.
    package init(parsing text: String) {
        var entries: [Entry] = []
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            guard rawLine.first != "#", let entry = Self.parseLine(rawLine) else { continue }
            entries.append(entry)
        }
        self.entries = entries
    }

    /// The password of the first line matching the connection, if any; an empty password counts as
    /// none.
    package func password(host: String, port: Int, database: String, user: String) -> Secret? {
        let port = String(port)
        guard let entry = self.entries.first(where: { $0.matches(host: host, port: port, database: database, user: user) }),
            !entry.password.value.isEmpty
        else { return nil }
        return entry.password
    }

    /// The host name libpq looks up in the password file: `host` when given, else `hostaddr`; no host
    /// or the default socket directory becomes `localhost`.
    package static func lookupHost(host: String?, hostaddr: String?) -> String {
        let name: String? = if let host, !host.isEmpty { host } else { hostaddr }
        guard let name, !name.isEmpty, name != ConnectionSettings.defaultSocketDirectory else {
            return "localhost"
        }
        return name
    }

    /// Splits a line into four patterns and a password; `nil` if it has fewer than five fields.
    private static func parseLine(_ line: Substring) -> Entry? {
        var fields: [String] = []
        var isWildcard: [Bool] = []
        var current = ""
        var escaped = false
        var hadEscape = false
        var iterator = line.makeIterator()
        while fields.count < 4, let character = iterator.next() {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
                hadEscape = true
            } else if character == ":" {
                fields.append(current)
                isWildcard.append(current == "*" && !hadEscape)
                current = ""
                hadEscape = false
            } else {
                current.append(character)
            }
        }
        guard fields.count == 4 else { return nil }

        // The password runs to the end of the line or to the next unescaped `:`.
        var password = ""
        escaped = false
        while let character = iterator.next() {
            if escaped {
                password.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" {
                break
            } else {
                password.append(character)
            }
        }
        func pattern(_ index: Int) -> String? { isWildcard[index] ? nil : fields[index] }
        return Entry(host: pattern(0), port: pattern(1), database: pattern(2), user: pattern(3), password: Secret(password))
    }
}
