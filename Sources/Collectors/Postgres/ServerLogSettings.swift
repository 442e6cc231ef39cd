import Foundation
import Logging
package import PostgresNIO

/// What the server says about its own log: the `log_line_prefix` the stderr parser needs (`[logs] prefix =
/// auto`), where the files go and which file it writes now. Readable with `pg_monitor` (which brings
/// `pg_read_all_settings`; `pg_current_logfile()` is granted to it too).
package struct ServerLogSettings: Sendable, Equatable {
    /// `log_line_prefix`.
    package var logLinePrefix: String
    /// `log_timezone`: the zone the server writes log times in (`Etc/UTC`, `Europe/Berlin`).
    package var logTimezone: String?
    /// `log_destination`, e.g. `stderr,csvlog`.
    package var logDestination: String
    /// `logging_collector`.
    package var loggingCollector: Bool
    /// `data_directory`.
    package var dataDirectory: String?
    /// `log_directory`, absolute (a relative one is resolved against the data directory).
    package var logDirectory: String?
    /// `pg_current_logfile()`: the file the server writes now (its first destination), absolute; nil
    /// without the logging collector, or before PG 17 for a role that is not a superuser (the tailer then
    /// reads `current_logfiles` or takes the newest file).
    package var currentLogfile: String?
    /// `cluster_name`: Debian's `pg_createcluster` sets it to `VERSION/NAME` (`15/main`).
    package var clusterName: String = ""
    /// `config_file`: Debian's is `/etc/postgresql/VERSION/NAME/postgresql.conf`.
    package var configFile: String?
    /// `log_connections`: `on`, `off`, or from PostgreSQL 18 a list of aspects (`receipt,authorization`).
    package var logConnections: String = "off"
    /// `syslog_ident`: the program name of the server's syslog lines.
    package var syslogIdent: String = "postgres"

    package init(logLinePrefix: String, logDestination: String, loggingCollector: Bool, dataDirectory: String?,
                 logDirectory: String?, currentLogfile: String?, logTimezone: String? = nil) {
        self.logLinePrefix = logLinePrefix
        self.logTimezone = logTimezone
        self.logDestination = logDestination
        self.loggingCollector = loggingCollector
        self.dataDirectory = dataDirectory
        self.logDirectory = logDirectory
        self.currentLogfile = currentLogfile
    }

    /// Asks the server, in one round trip.
    package static func fetch(client: PostgresClient, logger: Logger) async throws -> ServerLogSettings {
        let row = try await client.oneRow("""
            SELECT current_setting('log_line_prefix') AS prefix,
                   current_setting('log_timezone') AS timezone,
                   current_setting('log_destination') AS destination,
                   current_setting('logging_collector') AS collector,
                   current_setting('data_directory', true) AS data_directory,
                   current_setting('log_directory', true) AS log_directory,
                   current_setting('cluster_name') AS cluster_name,
                   current_setting('config_file', true) AS config_file,
                   current_setting('log_connections') AS log_connections,
                   current_setting('syslog_ident') AS syslog_ident,
                   has_function_privilege('pg_catalog.pg_current_logfile()', 'execute') AS may_ask
            """, what: "log settings", logger: logger)
        let dataDirectory: String? = try row.value("data_directory")
        // pg_monitor may call pg_current_logfile() from PG 17 on; before, only superusers (the permission
        // is checked when the query starts, so it cannot hide in a CASE of the first query).
        var current: String?
        if try row.value("may_ask", as: Bool.self) == true {
            current = try await client.rows("SELECT pg_current_logfile() AS current", logger: logger).first?.value("current")
        }
        func absolute(_ path: String?) -> String? {
            guard let path, !path.isEmpty else { return nil }
            if path.hasPrefix("/") { return path }
            return dataDirectory.map { $0 + "/" + path }
        }
        var settings = ServerLogSettings(
            logLinePrefix: try row.value("prefix") ?? "",
            logDestination: try row.value("destination") ?? "stderr",
            loggingCollector: (try row.value("collector", as: String.self)) == "on",
            dataDirectory: dataDirectory,
            logDirectory: absolute(try row.value("log_directory")),
            currentLogfile: absolute(current),
            logTimezone: try row.value("timezone"))
        settings.clusterName = try row.value("cluster_name") ?? ""
        settings.configFile = try row.value("config_file")
        settings.logConnections = try row.value("log_connections") ?? "off"
        settings.syslogIdent = try row.value("syslog_ident") ?? "postgres"
        return settings
    }

    /// Whether the log names each session's application when it starts: `connection authorized` lines
    /// (`log_connections = on`; from PostgreSQL 18 the `authorization` aspect, or `all`).
    package var logsAuthorizations: Bool {
        let aspects = logConnections.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return aspects.contains { ["on", "true", "yes", "1", "all", "authorization"].contains($0) }
    }
}
