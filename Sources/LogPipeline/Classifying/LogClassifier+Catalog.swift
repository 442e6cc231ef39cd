import AgentSchema
import SQLRedaction

// Classes told by the message catalog, in any language.
extension LogClassifier {
    /// Classifies an entry whose message the catalog recognised; false when that message decides no class.
    func classify(_ match: MessageMatch, _ event: inout LogEvent, _ spans: inout SQLSpans) -> Bool {
        var details: JSONObject = [:]
        func integer(_ index: Int) -> JSONValue? { match.argument(index).flatMap { Int64($0) }.map(JSONValue.integer) }
        func text(_ index: Int) -> JSONValue? { match.argument(index).map { .string(String($0)) } }
        let eventClass: LogEventClass
        switch match.id {
        case .durationStatement, .durationExecute, .durationParse, .durationBind, .durationFastpath, .duration:
            eventClass = .slowQuery
            if let milliseconds = match.argument(0).flatMap({ Self.decimal($0) }) {
                event.durationMs = milliseconds
                details["duration_ms"] = .number(milliseconds)
            }
            if match.id != .duration, let statement = match.ranges.last {
                markStatement(in: event, at: statement, &details, &spans)
            }
        case .statement, .execute, .fastpath:
            eventClass = .statement
            if let statement = match.ranges.last {
                markStatement(in: event, at: statement, &details, &spans)
            }
        case .lockStillWaiting, .lockAcquired, .lockAvoidedDeadlock, .lockDetectedDeadlock, .lockWaitFailed:
            eventClass = .lockWait
            details["state"] = Self.detailWords[match.id].map(JSONValue.string)
            details["pid"] = integer(0)
            details["lock_mode"] = text(1)
            details["object"] = text(2)
        case .lockFailed:
            eventClass = .lockNotAvailable
        case .tempFile:
            eventClass = .tempFile
            details["path"] = text(0)
            details["size_bytes"] = integer(1)
        case .tempFileLimit:
            eventClass = .tempFileLimit
        case .checkpointStarting, .checkpointComplete, .restartpointStarting, .restartpointComplete:
            eventClass = .checkpoint
            let restart = match.id == .restartpointStarting || match.id == .restartpointComplete
            details["type"] = .string(restart ? "restartpoint" : "checkpoint")
            let starting = match.id == .checkpointStarting || match.id == .restartpointStarting
            details["kind"] = .string(starting ? "starting" : "complete")
        case .checkpointsTooFrequent:
            eventClass = .checkpointTooFrequent
            details["seconds_apart"] = integer(0)
        case .autovacuum, .autovacuumAggressive:
            eventClass = .autovacuum
            details["table"] = Self.tableName(match)
            details["aggressive"] = .bool(match.id == .autovacuumAggressive)
            details["wraparound"] = .bool(false)
        case .autovacuumWraparound:
            eventClass = .autovacuumWraparound
            details["table"] = Self.tableName(match)
            details["aggressive"] = .bool(true)
            details["wraparound"] = .bool(true)
        case .autoanalyze:
            eventClass = .autoanalyze
            details["table"] = Self.tableName(match)
        case .skipVacuumLock, .skipAnalyzeLock:
            eventClass = .vacuumSkipped
            details["relation"] = text(0)
            details["operation"] = .string(match.id == .skipVacuumLock ? "vacuum" : "analyze")
        case .wraparoundWarning:
            eventClass = .wraparoundWarning
            details["database"] = text(0)
            details["remaining"] = integer(1)
        case .wraparoundStop:
            eventClass = .wraparoundStop
            details["database"] = text(0)
        case .connectionReceived, .connectionAuthorized, .connectionReady:
            eventClass = .connection
            details["stage"] = Self.detailWords[match.id].map(JSONValue.string)
        case .connectionAuthenticated:
            eventClass = .authentication
            details["failure"] = .bool(false)
        case .disconnection:
            eventClass = .disconnection
        case .passwordFailed, .authFailedGeneric, .noHbaEntry, .hbaReject, .roleNotExist, .databaseNotExist:
            // A missing role or database is an authentication failure only at login (FATAL).
            guard event.severity == .fatal || match.id == .passwordFailed || match.id == .authFailedGeneric
                || match.id == .noHbaEntry || match.id == .hbaReject else { return false }
            classifyAuthenticationFailure(&event)
            event.details?["cause"] = Self.detailWords[match.id].map(JSONValue.string)
            return true
        case .statementTimeout: eventClass = .statementTimeout
        case .lockTimeout: eventClass = .lockTimeout
        case .idleInTransactionTimeout: eventClass = .idleInTransactionTimeout
        case .idleSessionTimeout: eventClass = .idleSessionTimeout
        case .transactionTimeout: eventClass = .transactionTimeout
        case .userCancel: eventClass = .queryCanceled
        case .recoveryConflictCancel, .recoveryConflictTerminate: eventClass = .recoveryConflict
        case .adminTerminate: eventClass = .adminTermination
        case .autovacuumCancel: eventClass = .autovacuumCanceled
        case .processTerminatedBySignal:
            eventClass = .backendCrash
            details["process"] = text(0)
            details["pid"] = integer(1)
            details["signal"] = integer(2)
        case .processExited:
            // Exit code 1 is a normal FATAL exit (and a background worker's way to stop): no crash.
            guard let code = match.argument(2).flatMap({ Int64($0) }), code >= 2 else { return false }
            eventClass = .backendCrash
            details["process"] = text(0)
            details["pid"] = integer(1)
            details["exit_code"] = .integer(code)
        case .terminatingOtherProcesses, .reinitializing, .automaticRecovery, .interrupted, .redoStarts, .redoDone:
            eventClass = .crashRecovery
            details["step"] = Self.detailWords[match.id].map(JSONValue.string)
        case .outOfMemory: eventClass = .outOfMemory
        case .couldNotFork: eventClass = .forkFailure
        case .tooManyClients, .reservedSlots: eventClass = .tooManyConnections
        case .noSpace:
            // 53100, or (a prefix without %e) the English errno text; other errors of a write are no full disk.
            guard event.sqlstate == "53100"
                || (event.sqlstate == nil && match.arguments.last?.hasSuffix("No space left on device") == true)
            else { return false }
            eventClass = .diskFull
        case .archiveFailed, .archiveTooManyFailures:
            eventClass = .archiveFailure
            if match.id == .archiveFailed { details["exit_code"] = integer(0) }
        case .slotInvalidated:
            eventClass = .replicationSlotInvalidated
            details["slot"] = text(0)
        case .walsenderTimeout: eventClass = .walsenderError
        case .walreceiverTimeout, .walreceiverConnectFailed, .replicationTerminated: eventClass = .walreceiverError
        case .readyToAccept, .starting: eventClass = .serverStart
        case .shutDown: eventClass = .serverStop
        case .shutdownRequestFast, .shutdownRequestSmart, .shutdownRequestImmediate:
            eventClass = .shutdownRequest
            details["mode"] = Self.detailWords[match.id].map(JSONValue.string)
        case .reload: eventClass = .configurationReload
        case .parameterChanged:
            eventClass = .parameterChanged
            details["parameter"] = text(0)
            details["value"] = text(1)
        case .pendingRestart:
            eventClass = .parameterChanged
            details["parameter"] = text(0)
            details["pending_restart"] = .bool(true)
        case .deadlockDetected:
            classifyDeadlock(&event, &spans)
            return true
        case .syntaxError: eventClass = .syntaxError
        case .uniqueViolation, .checkViolation, .foreignKeyViolation, .notNullViolation:
            eventClass = .constraintViolation
            details["constraint_type"] = Self.detailWords[match.id].map(JSONValue.string)
        case .serializationFailure: eventClass = .serializationFailure
        case .permissionDenied: eventClass = .permissionDenied
        default:
            return false
        }
        if let sqlstate = event.sqlstate { details["sqlstate"] = .string(sqlstate) }
        event.event = eventClass
        event.details = details.isEmpty ? nil : details
        return true
    }

    /// Marks the statement argument of a message (and its DETAIL's parameters) for the redactor.
    private func markStatement(
        in event: LogEvent, at range: Range<String.Index>, _ details: inout JSONObject, _ spans: inout SQLSpans
    ) {
        spans.spans.append(.init(field: .message, range: range, kind: .statement, target: .detailKey("statement")))
        if let detail = event.detail { Self.markDetailStatements(detail, &spans) }
    }

    /// The word a message gives its class's details (`state`, `stage`, `cause`, `step`, `mode`,
    /// `constraint_type`), once for all events rather than a table per event.
    static let detailWords: [MessageID: String] = [
        .lockStillWaiting: "waiting", .lockAcquired: "acquired", .lockAvoidedDeadlock: "avoided_deadlock",
        .lockDetectedDeadlock: "deadlock_detected", .lockWaitFailed: "failed",
        .connectionReceived: "received", .connectionAuthorized: "authorized", .connectionReady: "ready",
        .passwordFailed: "password", .authFailedGeneric: "method", .noHbaEntry: "no_hba_entry",
        .hbaReject: "hba_reject", .roleNotExist: "role_does_not_exist", .databaseNotExist: "database_does_not_exist",
        .terminatingOtherProcesses: "terminating_processes", .reinitializing: "reinitializing",
        .automaticRecovery: "recovery_started", .interrupted: "interrupted", .redoStarts: "redo_starts",
        .redoDone: "redo_done",
        .shutdownRequestFast: "fast", .shutdownRequestSmart: "smart", .shutdownRequestImmediate: "immediate",
        .uniqueViolation: "unique", .checkViolation: "check", .foreignKeyViolation: "foreign_key",
        .notNullViolation: "not_null",
    ]

    /// `db.schema.table` from the three arguments of an autovacuum or autoanalyze message.
    private static func tableName(_ match: MessageMatch) -> JSONValue? {
        let parts = (0..<3).compactMap { match.argument($0) }
        return parts.count == 3 ? .string(parts.joined(separator: ".")) : nil
    }

    /// A number as a translation prints it (`1.234`, or `1,234` where the decimal mark is a comma).
    static func decimal(_ text: Substring) -> Double? {
        Double(text) ?? Double(text.replacingOccurrences(of: ",", with: "."))
    }
}

extension Substring {
    fileprivate func replacingOccurrences(of target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
