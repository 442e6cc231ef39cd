extension LogLinePrefix {
    /// The tokens laid out in memory of their own, so that the matcher reads them without reference
    /// counting. Filled once in `init`, never changed, freed in `deinit`; hence `@unchecked Sendable`.
    final class Program: @unchecked Sendable {
        /// 0: literal, 1: escape, 2: `%q`.
        let kinds: UnsafeMutableBufferPointer<UInt8>
        let escapes: UnsafeMutableBufferPointer<Escape>
        let paddings: UnsafeMutableBufferPointer<Int>
        /// For literals, their bytes; for free-text escapes, the literal text right before them (`@` for
        /// `%d` in `%u@%d`), empty when there is none.
        let literalStarts: UnsafeMutableBufferPointer<Int>
        let literalCounts: UnsafeMutableBufferPointer<Int>
        let literalBytes: UnsafeMutableBufferPointer<UInt8>
        let count: Int
        /// The index of the first `%p` token, or -1.
        let pidToken: Int
        /// The index of the first `%c` token, if any: it carries the pid when `%p` is missing.
        let sessionIDToken: Int?
        let tokens: [Token]
        /// Whether the prefix has any escape at all; an unknown severity word is accepted only after one,
        /// so that with an empty prefix any `word:  text` line is not taken for an entry.
        let hasEscapes: Bool

        static let literal: UInt8 = 0
        static let escape: UInt8 = 1
        static let sessionOnly: UInt8 = 2

        init(_ tokens: [Token]) {
            self.tokens = tokens
            hasEscapes = tokens.contains { if case .escape = $0 { true } else { false } }
            count = tokens.count
            let capacity = max(count, 1)
            kinds = .allocate(capacity: capacity)
            escapes = .allocate(capacity: capacity)
            paddings = .allocate(capacity: capacity)
            literalStarts = .allocate(capacity: capacity)
            literalCounts = .allocate(capacity: capacity)
            var bytes: [UInt8] = []
            var pid = -1
            var session: Int?
            for (index, token) in tokens.enumerated() {
                var literal: [UInt8] = []
                switch token {
                case .literal(let text):
                    kinds[index] = Self.literal
                    escapes[index] = .pid
                    paddings[index] = 0
                    literal = text
                case .escape(let escape, let padding):
                    kinds[index] = Self.escape
                    escapes[index] = escape
                    paddings[index] = padding
                    if escape == .pid && pid < 0 { pid = index }
                    if escape == .sessionID && session == nil { session = index }
                    if escape.isFreeText {
                        var before = index - 1
                        while before >= 0, tokens[before] == .sessionOnly { before -= 1 }
                        if before >= 0, case .literal(let text) = tokens[before] { literal = text }
                    }
                case .sessionOnly:
                    kinds[index] = Self.sessionOnly
                    escapes[index] = .pid
                    paddings[index] = 0
                }
                literalStarts[index] = bytes.count
                literalCounts[index] = literal.count
                bytes += literal
            }
            literalBytes = .allocate(capacity: max(bytes.count, 1))
            _ = literalBytes.initialize(from: bytes)
            pidToken = pid
            sessionIDToken = session
        }

        deinit {
            kinds.deallocate()
            escapes.deallocate()
            paddings.deallocate()
            literalStarts.deallocate()
            literalCounts.deallocate()
            literalBytes.deallocate()
        }
    }
}
