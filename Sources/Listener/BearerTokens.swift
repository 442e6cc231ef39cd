import Foundation

/// The API keys the listener accepts, read from the token file: one per line, blank lines and `#`
/// comments ignored. Several lines let an operator rotate a key without a gap.
///
/// A presented token is compared with every key in time that depends only on the keys' lengths, never on
/// where the first differing byte is, so the answer time does not leak a key prefix.
package struct BearerTokens: Sendable {
    private let keys: [[UInt8]]

    /// The number of keys.
    package var count: Int { keys.count }

    package init(keys: [String]) throws(ListenerError) {
        let keys = keys.map { Array($0.utf8) }.filter { !$0.isEmpty }
        guard !keys.isEmpty else { throw ListenerError(.setup, "the token file holds no key") }
        self.keys = keys
    }

    /// Reads the token file. The error names the file, never its content.
    package init(file: String) throws(ListenerError) {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ListenerError(.setup, "cannot read the token file \(file): \((error as NSError).localizedDescription)")
        }
        let lines = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.hasPrefix("#") }
        do { try self.init(keys: lines) } catch { throw ListenerError(.setup, "the token file \(file) holds no key") }
    }

    /// Whether an `Authorization` header value carries one of the keys.
    package func accepts(authorization: String?) -> Bool {
        guard let authorization else { return false }
        let scheme = "bearer "
        guard authorization.count > scheme.count,
              authorization.prefix(scheme.count).lowercased() == scheme else { return false }
        let presented = Array(authorization.utf8.dropFirst(scheme.utf8.count))
        var accepted = false
        for key in keys {
            // Every key is compared in full, whatever the outcome of the others.
            accepted = Self.constantTimeEqual(presented, key) || accepted
        }
        return accepted
    }

    /// Compares all of `key`'s bytes whatever the content; the length difference is folded into the
    /// result instead of returning early.
    static func constantTimeEqual(_ presented: [UInt8], _ key: [UInt8]) -> Bool {
        var difference = UInt64(presented.count ^ key.count)
        for index in key.indices {
            let byte = index < presented.count ? presented[index] : ~key[index]
            difference |= UInt64(byte ^ key[index])
        }
        return difference == 0
    }
}
