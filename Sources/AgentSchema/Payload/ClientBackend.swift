/// A client backend a snapshot saw, idle or busy: what the log pipeline needs to attribute entries of
/// its pid to its session. Never sent (see ``SnapshotPayload/clientBackends``).
package struct ClientBackend: Sendable, Equatable {
    package var pid: Int
    /// `backend_start`, seconds since the epoch.
    package var backendStart: Double
    package var applicationName: String?
    /// `usename`; nil for idle sessions, whose user the payload does not show either.
    package var user: String?
    /// `datname`; nil for idle sessions.
    package var database: String?

    package init(pid: Int, backendStart: Double, applicationName: String?, user: String?, database: String?) {
        self.pid = pid
        self.backendStart = backendStart
        self.applicationName = applicationName
        self.user = user
        self.database = database
    }
}
