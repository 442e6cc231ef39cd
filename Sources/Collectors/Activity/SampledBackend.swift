/// One non-idle client backend in one activity sample.
package struct SampledBackend: Sendable, Equatable {
    package var pid: Int
    package var state: String?
    package var waitEventType: String?
    package var waitEvent: String?
    package var queryID: Int64?
    /// The correlation id its `application_name` carries.
    package var correlationID: String?
    /// Its `application_name` when that carries no correlation id.
    package var applicationName: String?

    package init(pid: Int, state: String?, waitEventType: String?, waitEvent: String?, queryID: Int64?, correlationID: String?,
                 applicationName: String?) {
        self.pid = pid
        self.state = state
        self.waitEventType = waitEventType
        self.waitEvent = waitEvent
        self.queryID = queryID
        self.correlationID = correlationID
        self.applicationName = applicationName
    }
}
