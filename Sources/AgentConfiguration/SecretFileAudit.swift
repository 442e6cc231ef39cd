import Foundation

/// Who else may read or change the files that hold the agent's secrets: the API key file, each
/// server's `password_file`, and the libpq password file (`.pgpass`) a server's connection would use.
///
/// The rules follow the files' owners. The key and password files are meant to be root's and readable
/// by the agent's group (`root:bitville-agent 0640`, what the installer sets), so group read is fine
/// but any access by other users, or a group that may write, is a finding. A `.pgpass` with any group
/// or other access is ignored, as libpq ignores it ("permissions should be u=rw (0600) or less"), and
/// the finding says so. Findings name the path and the mode, never the contents.
package enum SecretFileAudit {
    /// One file whose mode lets too many users in.
    package struct Finding: Sendable, Equatable, CustomStringConvertible {
        /// The configuration key or source that names the file (`listener.api_key_file`,
        /// `postgres:main.password_file`, `postgres:main .pgpass`).
        package var key: String
        /// The file.
        package var path: String
        /// Its permission bits.
        package var mode: UInt32
        /// True for a `.pgpass` the agent does not read because of it.
        package var ignored: Bool

        /// The shell command that puts it right.
        package var fix: String {
            ignored ? "chmod 0600 \(path)" : "chown root:bitville-agent \(path) && chmod 0640 \(path)"
        }

        package var description: String {
            let octal = String(mode & 0o777, radix: 8)
            let what = ignored ? "has group or other access (mode 0\(octal)): ignored, as libpq ignores it"
                               : "is open to other users (mode 0\(octal))"
            return "\(key) \(path) \(what)"
        }
    }

    /// The permission bits of `path`, or nil when it does not exist or cannot be looked at.
    package static func mode(of path: String) -> UInt32? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt32(info.st_mode) & 0o7777
    }

    /// Whether a key or password file with `mode` is too open: any access for other users, or write
    /// for the group.
    package static func isLoose(secretFileMode mode: UInt32) -> Bool {
        mode & 0o007 != 0 || mode & 0o020 != 0
    }

    /// Whether libpq would ignore a password file with `mode`: any access for group or others.
    package static func isLoose(passfileMode mode: UInt32) -> Bool {
        mode & 0o077 != 0
    }

    /// The libpq password file a connection with `conninfo` would read: its `passfile`, else
    /// `PGPASSFILE`, else `~/.pgpass`.
    package static func passfile(conninfo: String, environment: [String: String]) -> String? {
        if let given = (try? ConnInfoParser.parse(conninfo))?["passfile"], !given.isEmpty { return given }
        if let given = environment["PGPASSFILE"], !given.isEmpty { return given }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.pgpass"
    }

    /// Every secret file of `configuration` that is too open.
    ///
    /// - Parameter mode: the permission bits of a path (injected for tests); nil for a missing file.
    package static func findings(_ configuration: AgentConfiguration, environment: [String: String],
                                 mode: (String) -> UInt32? = SecretFileAudit.mode(of:)) -> [Finding] {
        var findings: [Finding] = []
        if let path = configuration.listener.apiKeyFile, let bits = mode(path), isLoose(secretFileMode: bits) {
            findings.append(Finding(key: "listener.api_key_file", path: path, mode: bits, ignored: false))
        }
        var passfiles = Set<String>()
        for server in configuration.postgres {
            if let path = server.passwordFile, let bits = mode(path), isLoose(secretFileMode: bits) {
                findings.append(Finding(key: "\(server.sectionName).password_file", path: path, mode: bits, ignored: false))
            }
            if let path = passfile(conninfo: server.conninfo.value, environment: environment), !passfiles.contains(path),
               let bits = mode(path), isLoose(passfileMode: bits) {
                passfiles.insert(path)
                findings.append(Finding(key: "\(server.sectionName) .pgpass", path: path, mode: bits, ignored: true))
            }
        }
        return findings
    }
}
