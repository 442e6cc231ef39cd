@testable import LogPipeline
import Testing

/// csvlog fields: a quoted field's `""` becomes `"`, copied run by run.
@Suite struct FieldDecoderTests {
    /// The rule byte by byte: every quote keeps itself and drops the byte after it.
    static func undoubled(_ body: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var skipNext = false
        for byte in body {
            if skipNext {
                skipNext = false
                continue
            }
            result.append(byte)
            if byte == 0x22 { skipNext = true }
        }
        return result
    }

    @Test(arguments: [
        #"automatic vacuum of table ""app.public.t"": index scans: 0"#, #""""#, #""""""#, #"a""b""c"#,
        #"""leading"#, #"trailing"""#, #"é""😀""ß"#, "no quotes at all", #"odd" end"#, #"a"""#,
    ])
    func doubledQuotesBecomeOne(inner: String) {
        let field = Array(("\"" + inner + "\"").utf8)
        var decoder = FieldDecoder()
        let text = field.withUnsafeBufferPointer { decoder.string($0) }
        let expected = Self.undoubled(Array(inner.utf8))
        #expect(text.map { Array($0.utf8) } == (expected.isEmpty ? nil : expected), "\(inner)")
    }
}
