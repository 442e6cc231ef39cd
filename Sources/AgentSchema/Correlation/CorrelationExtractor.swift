import Foundation

/// Pulls the web request's correlation id out of an `application_name`.
///
/// The PHP side sets `application_name = 'bitville-<id>'`; `[correlation] pattern` says how to find the id:
/// the first capture group of the first match. We check the pattern's literal prefix before running the
/// regular expression, because most application names on a busy server carry no id at all.
package struct CorrelationExtractor: Sendable {
    /// Default pattern, as in docs/configuration.md.
    package static let defaultPattern = "bitville-([a-f0-9-]+)"

    private let regex: NSRegularExpression
    private let literalPrefix: String

    /// - Throws: when the pattern does not compile or has no capture group.
    package init(pattern: String = CorrelationExtractor.defaultPattern) throws {
        let regex = try NSRegularExpression(pattern: pattern)
        guard regex.numberOfCaptureGroups >= 1 else {
            throw CocoaError(.formatting)
        }
        self.regex = regex
        // The literal characters before the first regex metacharacter: a cheap pre-filter.
        let meta = Set("\\^$.|?*+()[]{}")
        self.literalPrefix = String(pattern.prefix { !meta.contains($0) })
    }

    /// The correlation id in `applicationName`, or nil.
    package func extract(from applicationName: String?) -> String? {
        guard let name = applicationName, !name.isEmpty else { return nil }
        if !literalPrefix.isEmpty, !name.contains(literalPrefix) { return nil }
        let range = NSRange(name.startIndex..., in: name)
        guard let match = regex.firstMatch(in: name, range: range),
              let group = Range(match.range(at: 1), in: name) else { return nil }
        let id = name[group]
        return id.isEmpty ? nil : String(id)
    }
}
