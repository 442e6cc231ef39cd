import AgentSchema
import SQLRedaction

/// The redaction stage after classification: takes statements, bind parameters and row values out of every
/// text field of an event, whatever language the server logged in, and masks any text that carries a
/// password as a last line of defence.
///
/// - `statement`, `internal_query`, and the SQL the classifier found (``SQLSpans``: a slow query's or
///   `log_statement`'s statement in the message, `Parameters:` and `prepare:` lines in DETAIL, a deadlock's
///   statements, an auto_explain plan), whose redacted forms also go into `details` (`statement`,
///   `parameters`, `prepare`, `processes[].statement`, `plan`). The bind parameters of a statement that
///   carries a credential are masked whole, even with `redact_query_literals` off.
/// - `context`: `SQL statement "…"` and `SQL expression "…"` lines and bind parameters (`unnamed portal with
///   parameters: $1 = …`), found in every language through the ``MessageCatalog``.
/// - `detail`: `Parameters: $1 = …` and `prepare: PREPARE …` lines (told by their values, in any
///   language); with `redact_query_literals`, the row values of `Key (email)=(…) already exists.`,
///   `Failing row contains (…).` and their kin.
/// - `message`: with `redact_query_literals`, the value of `invalid input syntax for type integer: "…"`
///   and its kin.
/// - events of class `unparsed`: their text goes through the SQL redactor whole.
/// - last: every text field (`message`, `detail`, `hint`, `context`, `statement`, `internal_query`) that
///   still reads as a statement carrying a credential (`PASSWORD '…'`) has every constant masked, even
///   with `redact_query_literals` off.
struct LogEventRedactor: Sendable {
    let redactor: SQLRedactor
    let catalog: MessageCatalog
    /// Masks every constant: plans in XML, and what carries a credential.
    let masker = SQLRedactor(redactLiterals: true)

    init(redactor: SQLRedactor, catalog: MessageCatalog) {
        self.redactor = redactor
        self.catalog = catalog
    }

    /// Redacts every text field of `event` in place, the SQL the classifier found in `spans` included.
    func redact(_ event: inout LogEvent, spans: SQLSpans = SQLSpans()) {
        if event.event == .unparsed {
            if let message = event.message { event.message = redactor.redact(message) }
            maskCredentials(&event)
            return
        }
        // A statement that carries a credential has its bind parameters masked whole.
        var masking = false
        if !redactor.redactLiterals {
            let statements = [event.statement].compactMap { $0 }
                + spans.spans.filter { $0.field == .message && $0.kind == .statement }.compactMap { span in
                    event.message.map { String($0[span.range]) }
                }
            masking = statements.contains { Self.mayCarryCredential($0) && SQLRedactor.isPasswordBearing($0) }
        }
        if let statement = event.statement { event.statement = redactor.redact(statement) }
        if let query = event.internalQuery { event.internalQuery = redactor.redact(query) }
        if let message = event.message, spans.covers(.message) {
            event.message = apply(spans, in: .message, to: message, masking: masking, details: &event.details)
        }
        if let detail = event.detail, spans.covers(.detail) {
            event.detail = apply(spans, in: .detail, to: detail, masking: masking, details: &event.details)
        }
        if spans.plan, let plan = event.details?["plan"], case .string(let format)? = event.details?["format"] {
            event.details?["plan"] = redactPlan(plan, format: format)
        }
        if let context = event.context { event.context = redactContext(context, masking: masking) }
        // DETAIL lines the classifier did not mark: bind parameters and PREPARE by their shape, row values.
        if let detail = event.detail, !spans.covers(.detail) {
            event.detail = redactDetail(detail, masking: masking)
        }
        // Messages that quote a value are errors.
        if redactor.redactLiterals, event.severity?.isError == true, let message = event.message,
           let match = catalog.match(message, role: .message) {
            event.message = maskValues(of: match, in: message) ?? message
        }
        maskCredentials(&event)
    }

    // MARK: - Fields

    /// The text of `field` with each of its spans redacted, and the redacted forms written to their
    /// targets in `details`.
    private func apply(
        _ spans: SQLSpans, in field: SQLSpans.Field, to text: String, masking: Bool, details: inout JSONObject?
    ) -> String {
        let own = spans.spans.count == 1 ? spans.spans
            : spans.spans.filter { $0.field == field }.sorted { $0.range.lowerBound < $1.range.lowerBound }
        var output = ""
        output.reserveCapacity(text.utf8.count)
        var copied = text.startIndex
        for span in own where span.range.lowerBound >= copied {
            let original = String(text[span.range])
            let redacted = (span.kind == .parameters && masking ? masker : redactor).redact(original)
            output += text[copied..<span.range.lowerBound]
            output += redacted
            copied = span.range.upperBound
            switch span.target {
            case .detailKey(let key)?:
                details?[key] = .string(redacted)
            case .process(let index)?:
                if case .array(var processes)? = details?["processes"], index < processes.count,
                   case .object(var process) = processes[index] {
                    process["statement"] = .string(redacted)
                    processes[index] = .object(process)
                    details?["processes"] = .array(processes)
                }
            case nil:
                break
            }
        }
        output += text[copied...]
        return output
    }

    /// CONTEXT, line by line: quoted statements and bind parameters, in any language.
    private func redactContext(_ context: String, masking: Bool) -> String {
        var changed = false
        var lines: [String] = []
        for line in context.split(separator: "\n", omittingEmptySubsequences: false) {
            guard let match = catalog.match(line, role: .context) else {
                lines.append(String(line))
                continue
            }
            let text = String(line)
            switch match.id {
            case .sqlStatementContext, .sqlExpressionContext:
                lines.append(replace(match.ranges[0], in: text, with: redactor.redact(String(match.arguments[0]))))
                changed = true
            case .portalParameters, .portalParameter:
                if let range = match.ranges.last {
                    lines.append(replace(range, in: text, with: (masking ? masker : redactor).redact(String(text[range]))))
                    changed = true
                } else {
                    lines.append(text)
                }
            default:
                lines.append(text)
            }
        }
        return changed ? lines.joined(separator: "\n") : context
    }

    /// DETAIL, line by line: bind parameters and prepared statements always; row values with
    /// `redact_query_literals`.
    private func redactDetail(_ detail: String, masking: Bool) -> String {
        var changed = false
        var lines: [String] = []
        for line in detail.split(separator: "\n", omittingEmptySubsequences: false) {
            let text = String(line)
            // Parameters and PREPARE are told by their values, so a label no catalog knows is covered too.
            if let label = text.firstRange(of: ": "), text.distance(from: text.startIndex, to: label.lowerBound) <= 40 {
                let value = text[label.upperBound...]
                if value.hasPrefix("$1 = ") {
                    lines.append(String(text[..<label.upperBound]) + (masking ? masker : redactor).redact(String(value)))
                    changed = true
                    continue
                }
                if value.hasPrefix("PREPARE ") || value.hasPrefix("prepare ") {
                    lines.append(String(text[..<label.upperBound]) + redactor.redact(String(value)))
                    changed = true
                    continue
                }
            }
            if redactor.redactLiterals, let match = catalog.match(line, role: .detail),
               let masked = maskValues(of: match, in: text) {
                lines.append(masked)
                changed = true
                continue
            }
            lines.append(text)
        }
        return changed ? lines.joined(separator: "\n") : detail
    }

    /// The text with the row values of a known template masked; nil when the template carries none.
    private func maskValues(of match: MessageMatch, in text: String) -> String? {
        switch match.id {
        case .keyExists, .keyNotPresent, .keyStillReferenced, .keyConflicts:
            // `(email)=(alice@example.com)`: the columns stay, the values go.
            guard let range = match.ranges.first, let split = text[range].firstRange(of: ")=(") else { return nil }
            let values = split.upperBound..<text.index(before: range.upperBound)
            guard values.lowerBound <= values.upperBound else { return nil }
            return replace(values, in: text, with: "?")
        case .failingRow:
            guard let range = match.ranges.first else { return nil }
            return replace(range, in: text, with: "(?)")
        case .invalidInputSyntax, .invalidValueForType:
            guard match.ranges.count >= 2 else { return nil }
            return replace(match.ranges[1], in: text, with: "?")
        default:
            return nil
        }
    }

    /// Masks every constant of each text field that reads as a statement carrying a credential.
    /// `statement` and `internal_query` went through the redactor, which masks credentials in any case.
    private func maskCredentials(_ event: inout LogEvent) {
        func mask(_ value: inout String?) {
            guard let text = value, Self.mayCarryCredential(text) else { return }
            if SQLRedactor.isPasswordBearing(text) { value = masker.redact(text) }
            // Text that is not a statement: `password=…` as in a connection string, a URI's password.
            if let masked = value.flatMap(CredentialTextMasker.masked) { value = masked }
        }
        // A statement the classifier found in the message was redacted there, credentials included; the
        // message's other figures (a duration) stay.
        if event.details?["statement"] == nil && event.event != .autoExplain { mask(&event.message) }
        mask(&event.detail)
        mask(&event.hint)
        mask(&event.context)
    }

    /// A cheap test before lexing: every statement ``SQLRedactor/isPasswordBearing(_:)`` flags names a
    /// password (`PASSWORD`, `password=` in a connection string) or a `dblink` call; a URI (`://`) may
    /// carry one for ``CredentialTextMasker``.
    static func mayCarryCredential(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count >= 6 else { return false }
            for index in 0..<(bytes.count - 5) {
                let first = bytes[index] | 0x20
                if first == UInt8(ascii: "p") {
                    if index + 5 < bytes.count, bytes[index + 1] | 0x20 == UInt8(ascii: "a"), bytes[index + 2] | 0x20 == UInt8(ascii: "s"),
                       bytes[index + 3] | 0x20 == UInt8(ascii: "s"), bytes[index + 4] | 0x20 == UInt8(ascii: "w") {
                        return true
                    }
                } else if first == UInt8(ascii: ":") {
                    // A URI, which may carry `user:password@`.
                    if bytes[index + 1] == UInt8(ascii: "/"), bytes[index + 2] == UInt8(ascii: "/") { return true }
                } else if first == UInt8(ascii: "d") {
                    if bytes[index + 1] | 0x20 == UInt8(ascii: "b"), bytes[index + 2] | 0x20 == UInt8(ascii: "l"),
                       bytes[index + 3] | 0x20 == UInt8(ascii: "i"), bytes[index + 4] | 0x20 == UInt8(ascii: "n"),
                       bytes[index + 5] | 0x20 == UInt8(ascii: "k") {
                        return true
                    }
                }
            }
            return false
        }
    }

    private func replace(_ range: Range<String.Index>, in text: String, with replacement: String) -> String {
        String(text[..<range.lowerBound]) + replacement + String(text[range.upperBound...])
    }
}
