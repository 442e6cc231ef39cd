import Foundation
import Synchronization

/// Pulls the web request's correlation id out of an `application_name`.
///
/// The PHP side sets `application_name = 'bitville-<id>'`; `[correlation] pattern` says how to find the id:
/// the first capture group of the first match. Two things keep it cheap on a busy log, where every entry of
/// a session carries the same name: the pattern's literal prefix is looked for (byte by byte) before the
/// regular expression runs, and the answers for recent names are kept. The prefix is only what every match must
/// contain: the literal text before the first metacharacter, less its last character when a quantifier
/// follows it (`bitvilles?-` needs only `bitville`), and none at all when the pattern has an alternation.
package struct CorrelationExtractor: Sendable {
    /// Default pattern, as in docs/configuration.md.
    package static let defaultPattern = "bitville-([a-f0-9-]+)"

    private let regex: NSRegularExpression
    private let literalPrefix: [UInt8]
    private let last: LastAnswer

    /// The answers for the application names asked about lately: a busy server interleaves the entries of
    /// many sessions, so keeping only the last name ran the regular expression for most entries (3 % of
    /// `logs parse`). Emptied when it holds ``capacity`` names, so that unique names cannot grow it.
    private final class LastAnswer: Sendable {
        struct Answer {
            let id: String?
        }
        static let capacity = 512
        let value = Mutex<[String: Answer]>([:])
    }

    /// - Throws: when the pattern does not compile or has no capture group.
    package init(pattern: String = CorrelationExtractor.defaultPattern) throws {
        let regex = try NSRegularExpression(pattern: pattern)
        guard regex.numberOfCaptureGroups >= 1 else {
            throw CocoaError(.formatting)
        }
        self.regex = regex
        self.literalPrefix = Self.requiredPrefix(of: pattern)
        self.last = LastAnswer()
    }

    /// The literal text every match of `pattern` contains at its start, as bytes (empty: no pre-filter).
    static func requiredPrefix(of pattern: String) -> [UInt8] {
        if pattern.contains("|") { return [] }
        let meta = Set("\\^$.|?*+()[]{}")
        var prefix = Array(pattern.prefix { !meta.contains($0) })
        let rest = pattern.dropFirst(prefix.count)
        // A quantifier applies to the character before it: that one is optional (`s?`, `s*`, `s{0,1}`).
        if let next = rest.first, next == "?" || next == "*" || next == "{" {
            if !prefix.isEmpty { prefix.removeLast() }
        }
        return Array(String(prefix).utf8)
    }

    /// The correlation id in `applicationName`, or nil.
    package func extract(from applicationName: String?) -> String? {
        guard let name = applicationName, !name.isEmpty else { return nil }
        if !literalPrefix.isEmpty, !Self.contains(name, literalPrefix) { return nil }
        if let known = last.value.withLock({ $0[name] }) { return known.id }
        let range = NSRange(name.startIndex..., in: name)
        var id: String?
        if let match = regex.firstMatch(in: name, range: range), let group = Range(match.range(at: 1), in: name),
           !name[group].isEmpty {
            id = String(name[group])
        }
        last.value.withLock { answers in
            if answers.count >= LastAnswer.capacity { answers.removeAll(keepingCapacity: true) }
            answers[name] = LastAnswer.Answer(id: id)
        }
        return id
    }

    private static func contains(_ text: String, _ needle: [UInt8]) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count >= needle.count, let first = needle.first else { return false }
            var index = 0
            while index + needle.count <= bytes.count {
                if bytes[index] == first {
                    var offset = 1
                    while offset < needle.count, bytes[index + offset] == needle[offset] { offset += 1 }
                    if offset == needle.count { return true }
                }
                index += 1
            }
            return false
        }
    }
}
