import Foundation

/// Finds the server's log for `[logs] path = auto` from what the server says about itself, and tells
/// which rule found it, or, when none does, what to change.
///
/// The rules, in order:
/// 1. **The logging collector** (PGDG and RHEL packages, most hand-made setups): `logging_collector =
///    on` writes to `log_directory` (relative to the data directory); the scanner then follows
///    `current_logfiles` or the newest file.
/// 2. **Debian's `pg_ctlcluster`**: without the collector, `cluster_name` is `VERSION/NAME` and the
///    server's stderr goes to the target of the `log` link in the cluster's configuration directory, or
///    else to `/var/log/postgresql/postgresql-VERSION-NAME.log`.
/// 3. **syslog** (`log_destination = syslog`): the system's `/var/log/syslog` (Debian) or
///    `/var/log/messages` (RHEL), read as format `syslog`; without either, the systemd journal
///    (`journal`) when journald keeps one.
/// 4. Anything else (stderr to a terminal, a unit's journal or a container runtime) is not a file
///    the rules can name: the answer says which setting to change.
package struct LogLocator: Sendable {
    /// What the server says about its log (`SHOW` values, readable with `pg_monitor`).
    package struct Server: Sendable, Equatable {
        package var logDestination: String
        package var loggingCollector: Bool
        /// `log_directory`, absolute.
        package var logDirectory: String?
        /// `cluster_name`.
        package var clusterName: String
        /// `config_file`.
        package var configFile: String?

        package init(logDestination: String, loggingCollector: Bool, logDirectory: String?, clusterName: String,
                     configFile: String?) {
            self.logDestination = logDestination
            self.loggingCollector = loggingCollector
            self.logDirectory = logDirectory
            self.clusterName = clusterName
            self.configFile = configFile
        }
    }

    /// Where the log is and how it was found.
    package struct Location: Sendable, Equatable {
        /// A file or a directory, for ``LogSourceScanner``.
        package var path: String
        /// The rule that found it, for `check` and the daemon's log (`logging collector (log_directory)`).
        package var rule: String
    }

    /// Why no rule found a file: what the server does, and the setting that makes the log readable.
    package struct Failure: Error, Sendable, Equatable {
        package var reason: String
        package var fix: String
    }

    /// Where files are looked for (the host's, or one in memory in tests).
    package let fileSystem: any LogFileSystem
    /// Reads a symbolic link's target; nil when `path` is not a link.
    package let readLink: @Sendable (String) -> String?
    /// Debian's directory for `pg_ctlcluster` logs.
    package var debianLogDirectory = "/var/log/postgresql"
    /// Where syslog daemons write everything by default: Debian's and RHEL's.
    package var syslogFiles = ["/var/log/syslog", "/var/log/messages"]
    /// Where journald keeps its journal (persistent, then volatile).
    package var journalDirectories = ["/var/log/journal", "/run/log/journal"]

    package init(fileSystem: any LogFileSystem = PosixLogFileSystem(),
                 readLink: @escaping @Sendable (String) -> String? = { try? FileManager.default.destinationOfSymbolicLink(atPath: $0) }) {
        self.fileSystem = fileSystem
        self.readLink = readLink
    }

    /// The log of `server`.
    package func locate(_ server: Server) -> Result<Location, Failure> {
        let destinations = Set(server.logDestination.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let collected = destinations.intersection(["stderr", "csvlog", "jsonlog"])
        if server.loggingCollector, !collected.isEmpty {
            guard let directory = server.logDirectory else {
                return .failure(Failure(reason: "the logging collector is on, but log_directory cannot be read",
                                        fix: "GRANT pg_monitor (it brings pg_read_all_settings), or set [logs] path to log_directory"))
            }
            return .success(Location(path: directory, rule: "logging collector (log_directory \(directory))"))
        }
        if destinations.contains("stderr"), let debian = debianLog(server) {
            return .success(debian)
        }
        if destinations.contains("syslog") {
            for path in syslogFiles where fileSystem.status(of: path)?.isRegularFile == true {
                return .success(Location(path: path, rule: "syslog (log_destination = '\(server.logDestination)', the system's \(path))"))
            }
            // No syslog daemon writes a file: on a systemd host journald holds the messages.
            for directory in journalDirectories where fileSystem.status(of: directory)?.isDirectory == true {
                return .success(Location(path: "journal", rule: "syslog into the systemd journal (log_destination = '\(server.logDestination)', \(directory))"))
            }
            return .failure(Failure(
                reason: "log_destination = '\(server.logDestination)' sends the log to syslog, and neither \(syslogFiles.joined(separator: " nor ")) nor a journal exists",
                fix: "set [logs] path to the file the syslog daemon writes the server's facility to (format = syslog), or add a file: ALTER SYSTEM SET log_destination = 'stderr,\(server.logDestination)'; ALTER SYSTEM SET logging_collector = on; then restart the server"))
        }
        return .failure(Failure(
            reason: "the logging collector is off: the server's stderr goes wherever it was started (pg_ctl -l FILE, a unit's journal, a container's log)",
            fix: "set [logs] path to that file, or let the server write its own: ALTER SYSTEM SET logging_collector = on; then restart the server"))
    }

    /// Debian's `pg_ctlcluster`: `cluster_name` `VERSION/NAME`, the `log` link of the configuration
    /// directory, else `/var/log/postgresql/postgresql-VERSION-NAME.log`; only a file that exists.
    private func debianLog(_ server: Server) -> Location? {
        let parts = server.clusterName.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].allSatisfy({ $0.isNumber || $0 == "." }), !parts[1].isEmpty else {
            return nil
        }
        let (version, name) = (String(parts[0]), String(parts[1]))
        let configDirectory = server.configFile.map { ($0 as NSString).deletingLastPathComponent } ?? "/etc/postgresql/\(version)/\(name)"
        let link = configDirectory + "/log"
        if let target = readLink(link) {
            let path = target.hasPrefix("/") ? target : configDirectory + "/" + target
            if fileSystem.status(of: path)?.isRegularFile == true {
                return Location(path: path, rule: "Debian pg_ctlcluster (cluster_name \(server.clusterName), \(link) → \(path))")
            }
        }
        let path = "\(debianLogDirectory)/postgresql-\(version)-\(name).log"
        guard fileSystem.status(of: path)?.isRegularFile == true else { return nil }
        return Location(path: path, rule: "Debian pg_ctlcluster (cluster_name \(server.clusterName))")
    }
}
