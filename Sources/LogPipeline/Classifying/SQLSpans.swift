import AgentSchema

/// Where the classifier found SQL in an event: what the ``LogEventRedactor`` must redact beyond what it
/// finds on its own. The classifier changes no text; it only says where the statements and bind
/// parameters are, and where in `details` their redacted forms go.
struct SQLSpans: Sendable {
    /// The text field a span is in.
    enum Field: Sendable { case message, detail }
    /// What the span holds.
    enum Kind: Sendable {
        /// A statement: its constants go per `redact_query_literals`, credentials always.
        case statement
        /// Bind parameter values (`$1 = '…'`): masked whole when their statement carries a credential.
        case parameters
    }
    /// Where the redacted text goes in `details` besides the field.
    enum Target: Sendable, Equatable {
        case detailKey(String)
        /// The `statement` of the process at this index in `details.processes` (a deadlock).
        case process(Int)
    }
    /// One stretch of SQL in a field.
    struct Span: Sendable {
        var field: Field
        var range: Range<String.Index>
        var kind: Kind
        var target: Target?
    }

    /// The spans, in any order.
    var spans: [Span] = []
    /// `details.plan` holds an auto_explain plan (a string, or an object for JSON) to redact.
    var plan = false

    /// Whether any span lies in `field`.
    func covers(_ field: Field) -> Bool {
        spans.contains { $0.field == field }
    }
}
