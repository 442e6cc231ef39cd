/// The class of a log event (`event` on the wire): what happened, whatever language the server logged in.
/// docs/payloads.md lists each class with its `details`.
package enum LogEventClass: String, Codable, Sendable, CaseIterable {
    /// A statement's duration (`log_min_duration_statement`, `log_duration`), with the statement.
    case slowQuery = "slow_query"
    /// A plan logged by auto_explain.
    case autoExplain = "auto_explain"
    /// A statement logged by `log_statement` (no duration).
    case statement
    /// Any other ERROR, FATAL or PANIC.
    case error
    /// A statement that does not parse (SQLSTATE 42601).
    case syntaxError = "syntax_error"
    /// A unique, foreign key, check or not-null violation (SQLSTATE class 23).
    case constraintViolation = "constraint_violation"
    /// A transaction that could not be serialised (40001).
    case serializationFailure = "serialization_failure"
    /// A privilege a role lacks (42501).
    case permissionDenied = "permission_denied"
    /// `log_lock_waits`: a process still waiting for a lock, and how that ended.
    case lockWait = "lock_wait"
    /// A deadlock (40P01).
    case deadlock
    /// A lock not obtained: `NOWAIT` or `SKIP LOCKED` refused (55P03).
    case lockNotAvailable = "lock_not_available"
    /// A temporary file (`log_temp_files`).
    case tempFile = "temp_file"
    /// `temp_file_limit` exceeded.
    case tempFileLimit = "temp_file_limit"
    /// A statement canceled by `statement_timeout`.
    case statementTimeout = "statement_timeout"
    /// A statement canceled by `lock_timeout`.
    case lockTimeout = "lock_timeout"
    /// A session ended by `idle_in_transaction_session_timeout`.
    case idleInTransactionTimeout = "idle_in_transaction_timeout"
    /// A session ended by `idle_session_timeout`.
    case idleSessionTimeout = "idle_session_timeout"
    /// A session ended by `transaction_timeout` (PostgreSQL 17+).
    case transactionTimeout = "transaction_timeout"
    /// A statement canceled on request (`pg_cancel_backend`, a client's cancel).
    case queryCanceled = "query_canceled"
    /// A standby query canceled or a session ended for a conflict with recovery.
    case recoveryConflict = "recovery_conflict"
    /// A process ended by `pg_terminate_backend` or a shutdown.
    case adminTermination = "admin_termination"
    /// An autovacuum task canceled (a lock it was in the way of).
    case autovacuumCanceled = "autovacuum_canceled"
    /// A server process that died: killed by a signal or exited with an error code.
    case backendCrash = "backend_crash"
    /// The server resetting after a crash, and recovering.
    case crashRecovery = "crash_recovery"
    /// Out of memory (53200).
    case outOfMemory = "out_of_memory"
    /// A process could not be started (`could not fork`).
    case forkFailure = "fork_failure"
    /// No space left on a device (53100).
    case diskFull = "disk_full"
    /// A connection refused for lack of slots (53300).
    case tooManyConnections = "too_many_connections"
    /// A connection received, authorized or ready.
    case connection
    /// A successful authentication (`connection authenticated`).
    case authentication
    /// A failed login: bad password, no or rejecting pg_hba.conf entry, unknown role or database.
    case authenticationFailed = "authentication_failed"
    /// A session's end, with its duration.
    case disconnection
    /// A checkpoint or restartpoint starting or complete.
    case checkpoint
    /// Checkpoints occurring closer together than `checkpoint_warning`.
    case checkpointTooFrequent = "checkpoint_too_frequent"
    /// An automatic vacuum of a table.
    case autovacuum
    /// An aggressive automatic vacuum run to prevent transaction ID wraparound.
    case autovacuumWraparound = "autovacuum_wraparound"
    /// An automatic analyze of a table.
    case autoanalyze
    /// A vacuum or analyze skipped because its lock was not available.
    case vacuumSkipped = "vacuum_skipped"
    /// A database nearing transaction ID or MultiXact wraparound.
    case wraparoundWarning = "wraparound_warning"
    /// A database refusing new transaction IDs to avoid wraparound.
    case wraparoundStop = "wraparound_stop"
    /// `archive_command` or the archive library failed.
    case archiveFailure = "archive_failure"
    /// A replication slot invalidated (WAL it needed is gone).
    case replicationSlotInvalidated = "replication_slot_invalidated"
    /// A WAL sender's failure (replication timeout).
    case walsenderError = "walsender_error"
    /// A standby's WAL receiver failing to connect or to stream.
    case walreceiverError = "walreceiver_error"
    /// The server starting, or ready to accept connections.
    case serverStart = "server_start"
    /// The server shut down.
    case serverStop = "server_stop"
    /// A smart, fast or immediate shutdown requested.
    case shutdownRequest = "shutdown_request"
    /// The configuration files reloaded (SIGHUP).
    case configurationReload = "configuration_reload"
    /// A setting changed by a reload, or one that needs a restart.
    case parameterChanged = "parameter_changed"
    /// Anything else.
    case other
    /// Lines that belong to no entry (kept, redacted, capped).
    case unparsed
}
