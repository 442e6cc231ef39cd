/// One blocked backend and who blocks it (`locks` in the payload), built from `pg_blocking_pids()`.
///
/// Bounded: only the chains that waited longest are kept, and of each only the longest waiters; what was
/// left out is counted in ``LocksSummary``.
package struct LockRow: Codable, Sendable, Equatable {
    package var blockedPid: Int
    package var blockedUser: String?
    /// The first backend `pg_blocking_pids()` names (also the first of `blocking_pids`).
    package var blockingPid: Int
    package var blockingUser: String?
    /// What `pg_blocking_pids()` names, the first 100 at most (backends queued for the same lock block
    /// each other, so the list grows with the queue).
    package var blockingPids: [Int]
    /// How many pids `pg_blocking_pids()` named beyond `blocking_pids`; nil when none.
    package var blockingPidsOmitted: Int?
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
    /// Blocked backends in this row's chain (same root, or the same cycle), shown or not.
    package var chainWaiters: Int?

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
        case blockingPidsOmitted = "blocking_pids_omitted"
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
        case chainWaiters = "chain_waiters"
    }
}

/// What `locks` covers (`locks_summary` in the payload): every backend that waits for a lock, and how
/// many of them and of their chains `locks` leaves out. `waiters` = rows of `locks` + `omitted_waiters`;
/// `chains` = chains with rows in `locks` + `omitted_chains`.
package struct LocksSummary: Codable, Sendable, Equatable {
    /// Backends waiting for a lock that `pg_blocking_pids()` says another backend blocks.
    package var waiters: Int
    /// Chains they form: one per root blocker, one per cycle.
    package var chains: Int
    /// Waiters without a row: those of the chains left out, and those past the rows kept per chain.
    package var omittedWaiters: Int
    /// Chains without a row (the ones whose longest wait is shortest).
    package var omittedChains: Int

    package init(waiters: Int, chains: Int, omittedWaiters: Int, omittedChains: Int) {
        self.waiters = waiters
        self.chains = chains
        self.omittedWaiters = omittedWaiters
        self.omittedChains = omittedChains
    }

    enum CodingKeys: String, CodingKey {
        case waiters, chains
        case omittedWaiters = "omitted_waiters"
        case omittedChains = "omitted_chains"
    }
}
