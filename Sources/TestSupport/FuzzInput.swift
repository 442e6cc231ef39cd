import Foundation

/// One fuzz target's run: how many iterations, from which seed, as the environment asks (RELIABILITY.md,
/// "Fuzzing"). Every iteration draws its input from a ``SeededGenerator`` of its own, seeded from the run's
/// seed, the target's name and the iteration's number, so that one failing iteration replays alone.
///
/// - `PGAGENT_FUZZ_ITERATIONS`: a multiplier of each target's default count (`1`, the default, is the short
///   run of the normal test suite; `0.1` a smoke run; `100` a long one).
/// - `PGAGENT_FUZZ_SEED`: the run's seed, decimal or `0x…` hex; fixed by default, so that the normal suite is
///   deterministic.
/// - `PGAGENT_FUZZ_ITERATION`: run this iteration only (with the seed of the failure it replays).
/// - `PGAGENT_FUZZ_TRACE=1`: print each iteration's target, seed and number to stderr before running it, so
///   that the last line before a crash (a trap ends the whole test process, with no message) names it.
package struct FuzzRun: Sendable {
    /// The seed of the normal test suite's short run.
    package static let defaultSeed: UInt64 = 0x5EED_F022_0011

    /// The target's name; also the `swift test --filter` that runs it alone (`FuzzLogParserTests/stderrFormat`).
    package let target: String
    /// The run's seed.
    package let seed: UInt64
    /// The iterations to run, in order.
    package let iterations: [Int]
    /// Whether each iteration is announced on stderr first.
    package let trace: Bool
    /// At most this many failures are reported per target; the run stops after them.
    package let maximumFailures = 3

    package init(
        target: String, defaultIterations: Int,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.target = target
        seed = environment["PGAGENT_FUZZ_SEED"].map { (text: String) -> UInt64 in
            guard let value = Self.parseSeed(text) else {
                preconditionFailure("PGAGENT_FUZZ_SEED must be a decimal or 0x-prefixed hexadecimal UInt64, not \(text)")
            }
            return value
        } ?? Self.defaultSeed
        let factor = environment["PGAGENT_FUZZ_ITERATIONS"].map { (text: String) -> Double in
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value > 0, value.isFinite else {
                preconditionFailure("PGAGENT_FUZZ_ITERATIONS must be a positive number (a multiplier), not \(text)")
            }
            return value
        } ?? 1
        if let only = environment["PGAGENT_FUZZ_ITERATION"] {
            guard let iteration = Int(only.trimmingCharacters(in: .whitespaces)), iteration >= 0 else {
                preconditionFailure("PGAGENT_FUZZ_ITERATION must be an iteration number, not \(only)")
            }
            iterations = [iteration]
        } else {
            let count = max(1, Int((Double(defaultIterations) * factor).rounded()))
            iterations = Array(0..<count)
        }
        trace = environment["PGAGENT_FUZZ_TRACE"].map { $0 == "1" || $0.lowercased() == "true" } ?? false
    }

    /// The generator of one iteration: the same for the same seed, target and iteration, on every platform.
    package func generator(for iteration: Int) -> SeededGenerator {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a: stable across processes, unlike Hasher
        for byte in target.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        let mixed = Self.finalize(seed ^ hash) &+ UInt64(truncatingIfNeeded: iteration) &* 0xD1B5_4A32_D192_ED03
        return SeededGenerator(seed: Self.finalize(mixed))
    }

    /// Announces an iteration on stderr when tracing.
    package func willRun(_ iteration: Int) {
        guard trace else { return }
        let line = "fuzz \(target) seed=\(Self.hex(seed)) iteration=\(iteration)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// The report of a failed iteration: what broke, how to replay it, and the input as Swift statements
    /// that rebuild it (capped), ready to become a unit test.
    package func failure(iteration: Int, input: [UInt8], problems: [String], cap: Int = 2_048) -> String {
        """
        fuzz target \(target) failed: \(problems.prefix(6).joined(separator: "; "))
        seed \(Self.hex(seed)), iteration \(iteration); replay with:
          PGAGENT_FUZZ_SEED=\(Self.hex(seed)) PGAGENT_FUZZ_ITERATION=\(iteration) swift test --filter '\(target)'
        input (\(input.count) bytes):
        \(FuzzInput.swiftStatements(input, cap: cap))
        """
    }

    /// The report for an input that is text (INI, conninfo, SQL).
    package func failure(iteration: Int, text: String, problems: [String], cap: Int = 2_048) -> String {
        failure(iteration: iteration, input: Array(text.utf8), problems: problems, cap: cap)
    }

    package static func hex(_ value: UInt64) -> String {
        "0x" + String(value, radix: 16)
    }

    static func parseSeed(_ text: String) -> UInt64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed.hasPrefix("0x") { return UInt64(trimmed.dropFirst(2), radix: 16) }
        return UInt64(trimmed)
    }

    /// MurmurHash3's 64-bit finaliser: a bijection that spreads every input bit over the output.
    private static func finalize(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        z = (z ^ (z >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        return z ^ (z >> 33)
    }
}

/// Inputs for fuzz targets: mutations of realistic seeds and random bytes, and the Swift that rebuilds an
/// input for a unit test.
package enum FuzzInput {
    /// Bytes that trip parsers: line ends, quotes, escapes, NUL, separators, invalid UTF-8 (lone
    /// continuation, truncated sequences, overlong forms, surrogates, past U+10FFFF), characters that
    /// combine, and the edges of 64-bit integers.
    package static let interestingTokens: [[UInt8]] = [
        [0x00], [0x00, 0x00, 0x00, 0x00], [0x0A], [0x0D, 0x0A], [0x0D], [0x09], [0x0A, 0x09], [0x20, 0x20],
        [0x22], [0x22, 0x22], [0x27], [0x27, 0x27], [0x5C], [0x5C, 0x22], [0x5C, 0x27], [0x5C, 0x5C], [0x5C, 0x75],
        [0x2C], [0x3B], [0x23], [0x25], [0x24], [0x24, 0x24], [0x7B], [0x7D], [0x5B], [0x5D], [0x3A], [0x3D], [0x40],
        [0x28], [0x29], [0x2D, 0x2D], [0x2F, 0x2A], [0x2A, 0x2F], [0x7F],
        [0xFF], [0xFE], [0x80], [0xBF], [0xC3], [0xC0, 0x80], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x90],
        [0xF4, 0x90, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
        Array("é".utf8), Array("東京".utf8), Array("🐘".utf8), Array("e\u{301}".utf8), Array("\u{301}".utf8),
        Array("\u{FEFF}".utf8), Array("\u{2028}".utf8), Array("\u{85}".utf8), Array("\u{200B}".utf8),
        Array("0".utf8), Array("-0".utf8), Array("-1".utf8), Array("9223372036854775807".utf8),
        Array("-9223372036854775808".utf8), Array("9223372036854775808".utf8), Array("99999999999999999999".utf8),
        Array("1e999".utf8), Array("-1e-999".utf8), Array("NaN".utf8), Array("0x7fffffff".utf8), Array("4294967296".utf8),
    ]

    /// Bytes a run is made of: long runs of these reach caps and budgets.
    package static let runBytes: [UInt8] = [
        0x61, 0x20, 0x0A, 0x00, 0x22, 0x27, 0x5C, 0x09, 0x2C, 0x40, 0x25, 0x24, 0x28, 0x5B, 0xFF, 0x80, 0xC3, 0x30,
    ]

    /// `input` changed by one to six random mutations: bit flips, bytes set to interesting values, ranges
    /// deleted, tokens (``interestingTokens`` and the target's `dictionary`) inserted or written over the
    /// input, chunks duplicated, the end cut off, long runs of one byte, random bytes, and whole lines
    /// duplicated, dropped or swapped. The result holds at most `maximumCount` bytes.
    package static func mutate(
        _ input: [UInt8], dictionary: [[UInt8]] = [], using random: inout SeededGenerator, maximumCount: Int = 1 << 16
    ) -> [UInt8] {
        var bytes = input
        let rounds = Int.random(in: 0..<4, using: &random) == 0 ? Int.random(in: 2...6, using: &random) : 1
        for _ in 0..<rounds {
            mutateOnce(&bytes, dictionary: dictionary, using: &random, maximumCount: maximumCount)
        }
        if bytes.count > maximumCount { bytes.removeLast(bytes.count - maximumCount) }
        return bytes
    }

    /// Random bytes, `count` of them: from `alphabet` when given (with a few fully random ones), else any.
    package static func randomBytes(count: Int, alphabet: [UInt8] = [], using random: inout SeededGenerator) -> [UInt8] {
        (0..<max(0, count)).map { _ -> UInt8 in
            if !alphabet.isEmpty, Int.random(in: 0..<8, using: &random) != 0 {
                return alphabet[Int.random(in: 0..<alphabet.count, using: &random)]
            }
            return UInt8.random(in: 0...255, using: &random)
        }
    }

    /// A random element of a non-empty array.
    package static func pick<Element>(_ options: [Element], using random: inout SeededGenerator) -> Element {
        options[Int.random(in: 0..<options.count, using: &random)]
    }

    /// True once in `n` draws.
    package static func oneIn(_ n: Int, using random: inout SeededGenerator) -> Bool {
        Int.random(in: 0..<max(1, n), using: &random) == 0
    }

    /// Whether `bytes` are valid UTF-8.
    package static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { String(validating: $0, as: UTF8.self) } != nil
    }

    // MARK: - Mutations

    private static func mutateOnce(
        _ bytes: inout [UInt8], dictionary: [[UInt8]], using random: inout SeededGenerator, maximumCount: Int
    ) {
        let count = bytes.count
        let anywhere = Int.random(in: 0...count, using: &random)
        let inside = count == 0 ? 0 : Int.random(in: 0..<count, using: &random)
        var token = pick(interestingTokens, using: &random)
        if !dictionary.isEmpty, Bool.random(using: &random) { token = pick(dictionary, using: &random) }
        switch Int.random(in: 0..<12, using: &random) {
        case 0 where count > 0:  // flip a bit
            bytes[inside] ^= 1 << UInt8.random(in: 0...7, using: &random)
        case 1 where count > 0:  // set a byte to a token's first byte or a random one
            bytes[inside] = Bool.random(using: &random) ? (token.first ?? 0) : UInt8.random(in: 0...255, using: &random)
        case 2 where count > 0:  // delete a range
            let length = Int.random(in: 1...min(64, count - inside), using: &random)
            bytes.removeSubrange(inside..<(inside + length))
        case 3, 4:  // insert a token
            bytes.insert(contentsOf: token, at: anywhere)
        case 5 where count > 0:  // write a token over the input
            bytes.replaceSubrange(inside..<min(count, inside + token.count), with: token)
        case 6 where count > 0:  // duplicate a chunk somewhere
            let length = Int.random(in: 1...min(512, count - inside), using: &random)
            let chunk = Array(bytes[inside..<(inside + length)])
            bytes.insert(contentsOf: chunk, at: anywhere)
        case 7 where count > 0:  // cut the end off
            bytes.removeSubrange(inside...)
        case 8:  // a long run of one byte
            let length = oneIn(16, using: &random)
                ? Int.random(in: 4_096...40_000, using: &random) : Int.random(in: 16...2_048, using: &random)
            let run = repeatElement(pick(runBytes, using: &random), count: min(length, max(0, maximumCount - count)))
            bytes.insert(contentsOf: run, at: anywhere)
        case 9:  // random bytes
            let noise = randomBytes(count: Int.random(in: 1...24, using: &random), using: &random)
            bytes.insert(contentsOf: noise, at: anywhere)
        default:  // whole lines
            mutateLines(&bytes, using: &random)
        }
        if bytes.count > maximumCount { bytes.removeLast(bytes.count - maximumCount) }
    }

    /// Duplicates, drops or swaps whole lines (each with its newline).
    private static func mutateLines(_ bytes: inout [UInt8], using random: inout SeededGenerator) {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            lines.append(bytes[start...index])
            start = index + 1
        }
        if start < bytes.count { lines.append(bytes[start...]) }
        guard !lines.isEmpty else { return }
        let first = Int.random(in: 0..<lines.count, using: &random)
        let second = Int.random(in: 0..<lines.count, using: &random)
        switch Int.random(in: 0..<3, using: &random) {
        case 0: lines.insert(lines[first], at: second)
        case 1: lines.remove(at: first)
        default: lines.swapAt(first, second)
        }
        bytes = Array(lines.joined())
    }

    // MARK: - Reporting

    /// Swift statements that rebuild `bytes` as `input` (`var input: [UInt8] = []`, then `input += …`):
    /// valid UTF-8 as string literals, runs of one byte as `repeating:`, other bytes as hex. At most `cap`
    /// bytes are written out; the rest is counted (the seed and iteration replay the whole input).
    package static func swiftStatements(_ bytes: [UInt8], cap: Int = 2_048) -> String {
        var lines = ["var input: [UInt8] = []"]
        var index = 0
        let end = min(bytes.count, cap)
        var text = ""
        var textBytes = 0
        var raw: [UInt8] = []
        func flushText() {
            if !text.isEmpty { lines.append("input += Array(\"\(text)\".utf8)") }
            text = ""
            textBytes = 0
        }
        func flushRaw() {
            if !raw.isEmpty { lines.append("input += [" + raw.map { "0x" + String($0, radix: 16, uppercase: true) }.joined(separator: ", ") + "]") }
            raw = []
        }
        while index < end {
            var run = 1
            while index + run < bytes.count, bytes[index + run] == bytes[index] { run += 1 }
            if run >= 16 {
                flushText()
                flushRaw()
                lines.append("input += [UInt8](repeating: 0x\(String(bytes[index], radix: 16, uppercase: true)), count: \(run))")
                index += run
                continue
            }
            let length = scalarLength(bytes, at: index)
            if length == 0 {
                flushText()
                raw.append(bytes[index])
                if raw.count == 16 { flushRaw() }
                index += 1
                continue
            }
            flushRaw()
            let scalar = String(decoding: bytes[index..<(index + length)], as: UTF8.self).unicodeScalars.first!
            text += escaped(scalar)
            textBytes += length
            index += length
            if textBytes >= 96 || scalar == "\n" { flushText() }
        }
        flushText()
        flushRaw()
        if index < bytes.count {
            lines.append("// … \(bytes.count - index) more bytes: replay the seed and iteration for the whole input")
        }
        return lines.joined(separator: "\n")
    }

    /// The length of the valid UTF-8 scalar at `index`, or 0 when the bytes there are not one.
    private static func scalarLength(_ bytes: [UInt8], at index: Int) -> Int {
        let first = bytes[index]
        func continuation(_ offset: Int) -> UInt8? {
            let at = index + offset
            guard at < bytes.count, bytes[at] & 0xC0 == 0x80 else { return nil }
            return bytes[at]
        }
        switch first {
        case 0x00...0x7F:
            return 1
        case 0xC2...0xDF:
            return continuation(1) != nil ? 2 : 0
        case 0xE0...0xEF:
            guard let second = continuation(1), continuation(2) != nil else { return 0 }
            if first == 0xE0, second < 0xA0 { return 0 }  // overlong
            if first == 0xED, second >= 0xA0 { return 0 }  // surrogate
            return 3
        case 0xF0...0xF4:
            guard let second = continuation(1), continuation(2) != nil, continuation(3) != nil else { return 0 }
            if first == 0xF0, second < 0x90 { return 0 }  // overlong
            if first == 0xF4, second >= 0x90 { return 0 }  // past U+10FFFF
            return 4
        default:
            return 0
        }
    }

    /// A scalar as it goes inside a Swift string literal.
    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\"": return "\\\""
        case "\\": return "\\\\"
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case "\0": return "\\0"
        default:
            if scalar.value >= 0x20 && scalar.value < 0x7F { return String(scalar) }
            return "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        }
    }
}
