/// One blocked backend and who blocks it (`locks` in the payload), built from `pg_blocking_pids()`.
package struct LockRow: Codable, Sendable, Equatable {
    package var blockedPid: Int
    package var blockedUser: String?
    /// The first backend `pg_blocking_pids()` names; all of them are in `blocking_pids`.
    package var blockingPid: Int
    package var blockingUser: String?
    package var blockingPids: [Int]
    package var blockedStatement: String?
    package var blockingStatement: String?
    package var blockedApp: String?
    package var blockingApp: String?
    package var blockedCorrelationID: String?
    package var blockingCorrelationID: String?
    package var blockingState: String?
    /// The lock the blocked backend waits for.
    package var lockType: String?
    package var lockMode: String?
    /// `schema.table` when the lock is on a relation of the connected database, else the oid.
    package var relation: String?
    package var datname: String?
    /// Seconds waited so far (`pg_locks.waitstart`, server clock).
    package var waitSeconds: Double?
    /// The backend at the head of this chain: it blocks others and waits for no lock itself.
    package var rootBlockingPid: Int?
    /// Backends between this one and the root, inclusive of both ends.
    package var chainDepth: Int?

    package init(blockedPid: Int, blockingPid: Int, blockingPids: [Int]) {
        self.blockedPid = blockedPid
        self.blockingPid = blockingPid
        self.blockingPids = blockingPids
    }

    enum CodingKeys: String, CodingKey {
        case blockedPid = "blocked_pid"
        case blockedUser = "blocked_user"
        case blockingPid = "blocking_pid"
        case blockingUser = "blocking_user"
        case blockingPids = "blocking_pids"
        case blockedStatement = "blocked_statement"
        case blockingStatement = "blocking_statement"
        case blockedApp = "blocked_app"
        case blockingApp = "blocking_app"
        case blockedCorrelationID = "blocked_correlation_id"
        case blockingCorrelationID = "blocking_correlation_id"
        case blockingState = "blocking_state"
        case lockType = "lock_type"
        case lockMode = "lock_mode"
        case relation, datname
        case waitSeconds = "wait_seconds"
        case rootBlockingPid = "root_blocking_pid"
        case chainDepth = "chain_depth"
    }
}
