/// The messages of PostgreSQL's that the log classifier and redactor know, by what they say rather than by
/// their words: one id for the English text and every translation of it (and for the texts of different
/// server versions that say the same). The raw value is the id in `scripts/message-templates.tsv`.
enum MessageID: String, Sendable, CaseIterable {
    case statement
    case duration
    case durationStatement = "duration_statement"
    case execute
    case durationExecute = "duration_execute"
    case durationParse = "duration_parse"
    case durationBind = "duration_bind"
    case fastpath
    case durationFastpath = "duration_fastpath"
    case parameters
    case prepare
    case portalParameters = "portal_parameters"
    case portalParameter = "portal_parameter"
    case sqlStatementContext = "sql_statement_context"
    case sqlExpressionContext = "sql_expression_context"
    case sqlFunctionContext = "sql_function_context"
    case plpgsqlContext = "plpgsql_context"
    case atCharacter = "at_character"
    case keyExists = "key_exists"
    case keyConflicts = "key_conflicts"
    case keyNotPresent = "key_not_present"
    case keyStillReferenced = "key_still_referenced"
    case failingRow = "failing_row"
    case invalidInputSyntax = "invalid_input_syntax"
    case invalidValueForType = "invalid_value_for_type"
    case invalidByteSequence = "invalid_byte_sequence"
    case statementTimeout = "statement_timeout"
    case lockTimeout = "lock_timeout"
    case idleInTransactionTimeout = "idle_in_transaction_timeout"
    case idleSessionTimeout = "idle_session_timeout"
    case transactionTimeout = "transaction_timeout"
    case userCancel = "user_cancel"
    case recoveryConflictCancel = "recovery_conflict_cancel"
    case recoveryConflictTerminate = "recovery_conflict_terminate"
    case adminTerminate = "admin_terminate"
    case autovacuumCancel = "autovacuum_cancel"
    case processTerminatedBySignal = "process_terminated_by_signal"
    case processExited = "process_exited"
    case terminatingOtherProcesses = "terminating_other_processes"
    case reinitializing
    case automaticRecovery = "automatic_recovery"
    case interrupted
    case redoStarts = "redo_starts"
    case redoDone = "redo_done"
    case outOfMemory = "out_of_memory"
    case failedOnRequest = "failed_on_request"
    case couldNotFork = "could_not_fork"
    case tooManyClients = "too_many_clients"
    case reservedSlots = "reserved_slots"
    case noSpace = "no_space"
    case tempFileLimit = "temp_file_limit"
    case passwordFailed = "password_failed"
    case authFailedGeneric = "auth_failed_generic"
    case noHbaEntry = "no_hba_entry"
    case hbaReject = "hba_reject"
    case roleNotExist = "role_not_exist"
    case databaseNotExist = "database_not_exist"
    case connectionMatched = "connection_matched"
    case connectionReceived = "connection_received"
    case connectionAuthorized = "connection_authorized"
    case connectionAuthorizedPart = "connection_authorized_part"
    case connectionAuthenticated = "connection_authenticated"
    case connectionReady = "connection_ready"
    case disconnection
    case checkpointStarting = "checkpoint_starting"
    case checkpointComplete = "checkpoint_complete"
    case restartpointStarting = "restartpoint_starting"
    case restartpointComplete = "restartpoint_complete"
    case checkpointsTooFrequent = "checkpoints_too_frequent"
    case checkpointHint = "checkpoint_hint"
    case autovacuum
    case autovacuumAggressive = "autovacuum_aggressive"
    case autovacuumWraparound = "autovacuum_wraparound"
    case autoanalyze
    case autovacuumContext = "autovacuum_context"
    case autoanalyzeContext = "autoanalyze_context"
    case skipVacuumLock = "skip_vacuum_lock"
    case skipAnalyzeLock = "skip_analyze_lock"
    case wraparoundWarning = "wraparound_warning"
    case wraparoundStop = "wraparound_stop"
    case archiveFailed = "archive_failed"
    case archiveFailedDetail = "archive_failed_detail"
    case archiveTooManyFailures = "archive_too_many_failures"
    case slotInvalidated = "slot_invalidated"
    case walsenderTimeout = "walsender_timeout"
    case walreceiverTimeout = "walreceiver_timeout"
    case walreceiverConnectFailed = "walreceiver_connect_failed"
    case replicationTerminated = "replication_terminated"
    case readyToAccept = "ready_to_accept"
    case starting
    case shutDown = "shut_down"
    case shutdownRequestFast = "shutdown_request_fast"
    case shutdownRequestSmart = "shutdown_request_smart"
    case shutdownRequestImmediate = "shutdown_request_immediate"
    case reload
    case parameterChanged = "parameter_changed"
    case pendingRestart = "pending_restart"
    case lockStillWaiting = "lock_still_waiting"
    case lockAcquired = "lock_acquired"
    case lockAvoidedDeadlock = "lock_avoided_deadlock"
    case lockDetectedDeadlock = "lock_detected_deadlock"
    case lockWaitFailed = "lock_wait_failed"
    case lockFailed = "lock_failed"
    case deadlockDetected = "deadlock_detected"
    case deadlockProcessLine = "deadlock_process_line"
    case deadlockProcessStatement = "deadlock_process_statement"
    case lockHolders = "lock_holders"
    case serializationFailure = "serialization_failure"
    case tempFile = "temp_file"
    case permissionDenied = "permission_denied"
    case syntaxError = "syntax_error"
    case uniqueViolation = "unique_violation"
    case checkViolation = "check_violation"
    case foreignKeyViolation = "foreign_key_violation"
    case notNullViolation = "not_null_violation"
}

extension MessageID {
    /// Where in an entry a message stands.
    enum Role: Sendable {
        /// The primary message (`message`).
        case message
        /// A line of `detail`.
        case detail
        /// A line of `context`.
        case context
        /// `hint`.
        case hint
        /// A piece PostgreSQL appends to or builds a message from; never matched alone.
        case fragment
    }

    /// Where this message stands in an entry.
    var role: Role {
        switch self {
        case .parameters, .prepare, .keyExists, .keyNotPresent, .keyStillReferenced, .keyConflicts, .failingRow,
             .failedOnRequest, .archiveFailedDetail, .connectionMatched, .deadlockProcessLine,
             .deadlockProcessStatement, .lockHolders:
            .detail
        case .portalParameters, .portalParameter, .sqlStatementContext, .sqlExpressionContext, .sqlFunctionContext,
             .plpgsqlContext, .autovacuumContext, .autoanalyzeContext:
            .context
        case .checkpointHint:
            .hint
        case .atCharacter, .connectionAuthorizedPart:
            .fragment
        default:
            .message
        }
    }
}
