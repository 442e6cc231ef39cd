package import AgentSchema
package import SQLRedaction

/// Gives a parsed log event its class (``LogEventClass``), its structured `details`, its `duration_ms` and
/// its `correlation_id`, in two stages: the classifier decides the class and details and says where the
/// SQL is (``SQLSpans``) without changing any text; then ``LogEventRedactor`` takes the values out of
/// every text field, the SQL the classifier found included.
///
/// ## Classes
/// A message is recognised by what it says, in any language the server's catalogs have: the
/// ``MessageCatalog`` finds which of PostgreSQL's messages it is (`duration: %s ms  statement: %s`,
/// `期間: %s ミリ秒  文: %s`, …) and where its arguments are. English texts also get their full details
/// parsed (a checkpoint's figures, an autovacuum's statistics lines, a lock wait's holders); translated
/// ones get the class and the details their arguments carry. An entry no message explains is classed by
/// its SQLSTATE, which is the same in every language (40P01 `deadlock`, class 28 `authentication_failed`,
/// 53300 `too_many_connections`, 57014 `query_canceled`, class 23 `constraint_violation`, …); anything
/// else at ERROR, FATAL or PANIC is an `error`, the rest `other`. docs/payloads.md lists the classes.
///
/// ## auto_explain
/// The plan moves from the message into `details.plan` (a string for text, YAML or XML, an object
/// for JSON), so that a large plan is not shipped twice; the message keeps its first line.
package struct LogClassifier: Sendable {
    let catalog: MessageCatalog
    /// The configured correlation pattern.
    package let correlation: CorrelationExtractor
    private let redaction: LogEventRedactor

    /// Makes a classifier; `redactor` follows `[privacy]`, `correlation` follows `[correlation]`.
    package init(redactor: SQLRedactor, correlation: CorrelationExtractor) {
        self.correlation = correlation
        self.catalog = MessageCatalog.standard
        self.redaction = LogEventRedactor(redactor: redactor, catalog: MessageCatalog.standard)
    }

    /// Sets `event`, `details`, `durationMs` and `correlationID`, and redacts every text field in place.
    package func classify(_ event: inout LogEvent) {
        var spans = SQLSpans()
        if event.event != .unparsed {
            event.correlationID = correlation.extract(from: event.applicationName)
            classifyEntry(&event, &spans)
        }
        redaction.redact(&event, spans: spans)
    }

    /// The first stage: class, details and where the SQL is; no text changes.
    private func classifyEntry(_ event: inout LogEvent, _ spans: inout SQLSpans) {
        if let message = event.message {
            // English texts first: they carry the richest details, and most logs are English.
            if classifyMessage(message, &event, &spans) { return }
        }
        if event.sqlstate == "40P01" || (event.sqlstate == nil && event.severity == .error
            && event.message?.hasPrefix("deadlock detected") == true) {
            classifyDeadlock(&event, &spans)
            return
        }
        if let message = event.message, let match = catalog.match(message, role: .message),
           classify(match, &event, &spans) {
            return
        }
        if let sqlstate = event.sqlstate, let eventClass = Self.eventClass(sqlstate: sqlstate, severity: event.severity) {
            if eventClass == .authenticationFailed {
                classifyAuthenticationFailure(&event)
                return
            }
            event.event = eventClass
            event.details = ["sqlstate": .string(sqlstate)]
            return
        }
        if event.sqlstate == nil, event.severity == .fatal, event.message?.contains(" authentication failed for user ") == true {
            classifyAuthenticationFailure(&event)
            return
        }
        if event.severity?.isError == true {
            event.event = .error
            if let sqlstate = event.sqlstate { event.details = ["sqlstate": .string(sqlstate)] }
        } else {
            event.event = .other
        }
    }

    /// The English classes told by the message text; false when the text is none of them.
    func classifyMessage(_ message: String, _ event: inout LogEvent, _ spans: inout SQLSpans) -> Bool {
        let text = Substring(message)
        if let rest = text.after("duration: ") {
            classifyDuration(rest, &event, &spans)
        } else if let rest = text.after("statement: ") {
            // log_statement: not slow, but the statement must not leak.
            event.event = .statement
            markStatement(rest, phase: "statement", name: nil, &event, &spans)
        } else if text.hasASCIIPrefix("execute ") {
            guard let (phase, name, statement) = Self.extendedProtocolMessage(text) else { return false }
            event.event = .statement
            markStatement(statement, phase: phase, name: name, &event, &spans)
        } else if let rest = text.after("process ") {
            return classifyLockWait(rest, &event)
        } else if text.hasASCIIPrefix("temporary file: ") {
            classifyTempFile(text, &event)
        } else if let rest = text.after("checkpoint ") {
            return classifyCheckpoint(rest, type: "checkpoint", &event)
        } else if let rest = text.after("restartpoint ") {
            return classifyCheckpoint(rest, type: "restartpoint", &event)
        } else if text.hasASCIIPrefix("automatic ") {
            return classifyMaintenance(text, &event)
        } else if let rest = text.after("connection ") {
            return classifyConnection(rest, replication: false, &event)
        } else if let rest = text.after("replication connection ") {
            return classifyConnection(rest, replication: true, &event)
        } else if let rest = text.after("disconnection: session time: ") {
            classifyDisconnection(rest, &event)
        } else {
            return false
        }
        return true
    }

    /// The class of an entry no message explains, from its SQLSTATE.
    static func eventClass(sqlstate: String, severity: PostgresSeverity?) -> LogEventClass? {
        switch sqlstate {
        case "40P01": return .deadlock
        case "40001": return .serializationFailure
        case "42501": return .permissionDenied
        case "42601": return .syntaxError
        case "53100": return .diskFull
        case "53200": return .outOfMemory
        case "53300": return .tooManyConnections
        case "53400": return .tempFileLimit
        case "55P03": return .lockNotAvailable
        case "57014": return .queryCanceled
        case "57P01": return .adminTermination
        case "25P03": return .idleInTransactionTimeout
        case "25P04": return .transactionTimeout
        case "57P05": return .idleSessionTimeout
        default:
            if sqlstate.hasPrefix("28") { return .authenticationFailed }
            if sqlstate.hasPrefix("23") { return .constraintViolation }
            return nil
        }
    }
}
