import AgentSchema
import TestSupport
import Foundation
import Testing

@Suite struct GzipTests {
    @Test func roundTripsAndWritesARealGzipHeader() throws {
        let text = Array(String(repeating: "{\"pid\":123,\"message\":\"duration: 1.5 ms\"}\n", count: 500).utf8)
        let compressed = try Gzip.compress(text)
        #expect(compressed.prefix(2) == [0x1F, 0x8B], "gzip magic")
        #expect(compressed.count < text.count / 10)
        #expect(try Gzip.decompress(compressed) == text)
    }

    /// The output is sized by zlib's `deflateBound` and filled in one call: random bytes (which grow when
    /// compressed), an empty input and text all round-trip at every level, the spool's 3 included.
    @Test(arguments: [1, 3, 6, 9] as [Int32])
    func everyLevelRoundTripsIncompressibleEmptyAndText(level: Int32) throws {
        var generator = SeededGenerator(seed: UInt64(level))
        let random = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = Array(String(repeating: "{\"event\":\"slow_query\",\"duration_ms\":1.5}\n", count: 2_000).utf8)
        for input in [random, [], text] {
            let compressed = try Gzip.compress(input, level: level)
            #expect(try Gzip.decompress(compressed, limit: 1 << 20) == input)
        }
    }

    @Test func systemGunzipReadsOurOutput() throws {
        let scratch = try ScratchDirectory()
        let text = Array("hello from the spool\n".utf8)
        try Data(try Gzip.compress(text)).write(to: URL(fileURLWithPath: scratch.file("a.gz")))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-t", scratch.file("a.gz")]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test func garbageAndTruncatedInputAreErrors() throws {
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(Array("not gzip".utf8)) }
        let compressed = try Gzip.compress(Array(repeating: 7, count: 10_000))
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(Array(compressed.prefix(compressed.count / 2))) }
    }

    @Test func theOutputLimitStopsABomb() throws {
        let bomb = try Gzip.compress([UInt8](repeating: 0, count: 2 << 20))
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(bomb, limit: 1 << 20) }
    }
}
