/// The monitored server's identity (`server` in the payload).
package struct ServerInfo: Codable, Sendable, Equatable {
    /// `SHOW server_version`, e.g. `17.2 (Debian 17.2-1)`.
    package var version: String
    /// `server_version_num`, e.g. `170002`.
    package var versionNum: Int
    /// `pg_is_in_recovery()`: true on a standby.
    package var inRecovery: Bool
    /// `pg_postmaster_start_time()` as epoch seconds; a change means the server restarted.
    package var startTime: Double
    /// `pg_control_system().system_identifier` as a decimal string; nil when not readable.
    package var systemIdentifier: String?
    /// The server's `data_directory`, when readable (needs `pg_read_all_settings`, part of `pg_monitor`).
    package var dataDirectory: String?
    /// The server's clock at collection, epoch seconds.
    package var now: Double
    /// On a standby, seconds since the last transaction it replayed committed on the primary
    /// (`now() − pg_last_xact_replay_timestamp()`): the replication lag when the primary is busy, and
    /// growing while it is idle. Nil on a primary and on a standby that has replayed nothing yet.
    package var replayAgeSeconds: Double?

    package init(version: String, versionNum: Int, inRecovery: Bool, startTime: Double,
                 systemIdentifier: String?, dataDirectory: String?, now: Double) {
        self.version = version
        self.versionNum = versionNum
        self.inRecovery = inRecovery
        self.startTime = startTime
        self.systemIdentifier = systemIdentifier
        self.dataDirectory = dataDirectory
        self.now = now
    }

    /// The major version, e.g. 17 for `170002`.
    package var major: Int { versionNum / 10000 }

    enum CodingKeys: String, CodingKey {
        case version
        case versionNum = "server_version_num"
        case inRecovery = "in_recovery"
        case startTime = "start_time"
        case systemIdentifier = "system_identifier"
        case dataDirectory = "data_directory"
        case now
        case replayAgeSeconds = "replay_age_seconds"
    }
}
