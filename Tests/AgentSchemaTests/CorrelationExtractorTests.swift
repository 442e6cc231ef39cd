@testable import AgentSchema
import Testing

/// Custom `[correlation] pattern`s: the pre-filter must never reject a name the pattern matches.
@Suite struct CorrelationExtractorTests {
    @Test func theDefaultPatternTakesTheIDAfterTheBrand() throws {
        let extractor = try CorrelationExtractor()
        #expect(extractor.extract(from: "bitville-3f2a9c1e-7d44") == "3f2a9c1e-7d44")
        #expect(extractor.extract(from: "psql") == nil)
        #expect(extractor.extract(from: nil) == nil)
    }

    @Test func anOptionalCharacterIsNotRequiredByThePreFilter() throws {
        // The pre-filter once required `bitvilles`, so `bitville-abc` never matched.
        let extractor = try CorrelationExtractor(pattern: "bitvilles?-([a-f0-9-]+)")
        #expect(extractor.extract(from: "bitville-abc") == "abc")
        #expect(extractor.extract(from: "bitvilles-def") == "def")
        #expect(try CorrelationExtractor(pattern: "req_*id=([0-9]+)").extract(from: "reqid=42") == "42")
    }

    @Test func alternationKeepsEveryBranch() throws {
        let extractor = try CorrelationExtractor(pattern: "(?:bitville|acme)-([a-f0-9]+)")
        #expect(extractor.extract(from: "acme-beef") == "beef")
        #expect(extractor.extract(from: "bitville-cafe") == "cafe")
        let bare = try CorrelationExtractor(pattern: "web|api-([0-9]+)")
        #expect(bare.extract(from: "api-7") == "7")
    }

    @Test func caseInsensitiveAndAnchoredPatterns() throws {
        let insensitive = try CorrelationExtractor(pattern: "(?i)BITVILLE-([a-f0-9]+)")
        #expect(insensitive.extract(from: "bitville-abc") == "abc")
        let anchored = try CorrelationExtractor(pattern: "^bitville-([a-f0-9]+)$")
        #expect(anchored.extract(from: "bitville-abc") == "abc")
        #expect(anchored.extract(from: "job bitville-abc") == nil)
    }

    @Test func theRememberedAnswerBelongsToItsName() throws {
        let extractor = try CorrelationExtractor()
        #expect(extractor.extract(from: "bitville-aaa") == "aaa")
        #expect(extractor.extract(from: "bitville-aaa") == "aaa")
        #expect(extractor.extract(from: "bitville-bbb") == "bbb")
        #expect(extractor.extract(from: "bitville-") == nil)
        #expect(extractor.extract(from: "bitville-aaa") == "aaa")
    }

    /// Answers are kept for many names at once (interleaved sessions), and past the cache's capacity every
    /// name still gets its own id.
    @Test func manyInterleavedNamesEachKeepTheirOwnID() throws {
        let extractor = try CorrelationExtractor()
        for round in 0..<3 {
            for index in 0..<1_500 {
                #expect(extractor.extract(from: "bitville-\(String(index, radix: 16))-0") == "\(String(index, radix: 16))-0",
                        "round \(round)")
                #expect(extractor.extract(from: "other-\(index)") == nil)
            }
        }
    }

    @Test func requiredPrefixes() {
        #expect(CorrelationExtractor.requiredPrefix(of: "bitville-([a-f0-9-]+)") == Array("bitville-".utf8))
        #expect(CorrelationExtractor.requiredPrefix(of: "bitvilles?-(.+)") == Array("bitville".utf8))
        #expect(CorrelationExtractor.requiredPrefix(of: "ab{2}c(.)") == Array("a".utf8))
        #expect(CorrelationExtractor.requiredPrefix(of: "a|b(.)").isEmpty)
        #expect(CorrelationExtractor.requiredPrefix(of: "(?i)x(.)").isEmpty)
    }
}
