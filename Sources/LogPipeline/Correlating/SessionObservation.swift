/// One client backend as `pg_stat_activity` showed it: what ``SessionTracker`` needs to attribute log
/// entries of that backend's pid.
package struct SessionObservation: Sendable, Equatable {
    /// The backend's pid.
    package var pid: Int
    /// `backend_start`, milliseconds since the epoch.
    package var backendStart: Int64
    /// `application_name` at the time of the snapshot; nil or empty when unset.
    package var applicationName: String?
    /// `usename`.
    package var user: String?
    /// `datname`.
    package var database: String?

    package init(pid: Int, backendStart: Int64, applicationName: String?, user: String? = nil, database: String? = nil) {
        self.pid = pid
        self.backendStart = backendStart
        self.applicationName = applicationName
        self.user = user
        self.database = database
    }
}
