/// PostgreSQL's log messages in every language its catalogs translate them into: finds which known message a
/// logged text is, whatever `lc_messages` the server ran with, and where its arguments are.
///
/// The templates are PostgreSQL 15's msgids and their translations (`MessageCatalog+Generated.swift`, made by
/// `scripts/generate-message-catalog.py` from Debian's `postgresql-15` catalogs), plus the English texts of
/// other versions. Templates are indexed by the first two bytes of their leading literal, so a lookup tries a
/// handful of candidates, the most specific (most literal text) first; templates that start with an argument
/// are tried after those.
struct MessageCatalog: Sendable {
    /// The catalog of the generated templates, built once on first use.
    static let standard = MessageCatalog(rows: generatedTemplates)

    private var anchored: [UInt16: [MessageTemplate]] = [:]
    private var unanchored: [MessageTemplate] = []
    /// Rows whose id or conversions we do not know (a test keeps this empty).
    private(set) var rejectedRows: [String] = []

    /// Compiles the rows; those with an unknown id or conversion are left out and listed in ``rejectedRows``.
    init(rows: [(id: String, language: String, text: String)]) {
        for row in rows {
            guard let id = MessageID(rawValue: row.id), id.role != .fragment,
                  let template = MessageTemplate(id: id, language: row.language, text: row.text) else {
                if MessageID(rawValue: row.id)?.role != .fragment { rejectedRows.append("\(row.id) \(row.language)") }
                continue
            }
            if let lead = template.leadingLiteral, lead.count >= 2 {
                anchored[Self.key(lead[0], lead[1]), default: []].append(template)
            } else {
                unanchored.append(template)
            }
        }
        func specificity(_ template: MessageTemplate) -> Int {
            template.pieces.reduce(0) { total, piece in
                if case .literal(let bytes) = piece { return total + bytes.count }
                return total
            }
        }
        for key in anchored.keys { anchored[key]!.sort { specificity($0) > specificity($1) } }
        unanchored.sort { specificity($0) > specificity($1) }
    }

    /// The known message `text` is, for the given role, with its arguments; nil when it is none.
    func match(_ text: String, role: MessageID.Role) -> MessageMatch? {
        var copy = text
        return copy.withUTF8 { bytes in match(bytes, in: text, role: role) }
    }

    /// The same, for a part of a text (one line of a DETAIL, say).
    func match(_ text: Substring, role: MessageID.Role) -> MessageMatch? {
        match(String(text), role: role)
    }

    private func match(_ bytes: UnsafeBufferPointer<UInt8>, in text: String, role: MessageID.Role) -> MessageMatch? {
        if bytes.count >= 2, let candidates = anchored[Self.key(bytes[0], bytes[1])] {
            for template in candidates where template.id.role == role {
                if let ranges = template.match(bytes) { return MessageMatch(template: template, ranges: ranges, text: text) }
            }
        }
        for template in unanchored where template.id.role == role {
            if let ranges = template.match(bytes) { return MessageMatch(template: template, ranges: ranges, text: text) }
        }
        return nil
    }

    private static func key(_ first: UInt8, _ second: UInt8) -> UInt16 {
        UInt16(first) << 8 | UInt16(second)
    }
}

/// A logged text recognised as one of PostgreSQL's messages.
struct MessageMatch: Sendable {
    /// Which message.
    let id: MessageID
    /// The language of the template that matched (`en`, `de`, …).
    let language: String
    /// The arguments, in the English order.
    let arguments: [Substring]
    /// The arguments' places in the text.
    let ranges: [Range<String.Index>]

    init(template: MessageTemplate, ranges: [Range<Int>], text: String) {
        id = template.id
        language = template.language
        let utf8 = text.utf8
        self.ranges = ranges.map { range in
            utf8.index(utf8.startIndex, offsetBy: range.lowerBound)..<utf8.index(utf8.startIndex, offsetBy: range.upperBound)
        }
        arguments = self.ranges.map { text[$0] }
    }

    /// The argument at `index`, if the template has it.
    func argument(_ index: Int) -> Substring? {
        index < arguments.count ? arguments[index] : nil
    }
}
