@testable import SQLRedaction
import Testing

@Suite struct QueryTextTests {
    @Test func shortTextIsReturnedWhole() {
        #expect(QueryText.truncate("SELECT 1", maxBytes: 100) == ("SELECT 1", false))
        #expect(QueryText.truncate("SELECT 1", maxBytes: 8) == ("SELECT 1", false))
        #expect(QueryText.truncate("", maxBytes: 0) == ("", false))
    }

    @Test func longTextIsCutWithoutASuffix() {
        #expect(QueryText.truncate("SELECT 1", maxBytes: 6) == ("SELECT", true))
    }

    @Test func cutNeverSplitsAMultiByteCharacter() {
        #expect(QueryText.truncate("aé", maxBytes: 2) == ("a", true))  // é is 2 bytes
        #expect(QueryText.truncate("日本語", maxBytes: 4) == ("日", true))  // 3 bytes each
        #expect(QueryText.truncate("日本語", maxBytes: 6) == ("日本", true))
        #expect(QueryText.truncate("x🐘y", maxBytes: 4) == ("x", true))  // 4-byte scalar
        #expect(QueryText.truncate("x🐘y", maxBytes: 5) == ("x🐘", true))
    }

    @Test func everyCutIsValidUTF8AndAPrefix() {
        let text = "SELECT 'Grüße, 日本 🐘' FROM café"
        for limit in 0...text.utf8.count {
            let (cut, truncated) = QueryText.truncate(text, maxBytes: limit)
            #expect(cut.utf8.count <= limit)
            #expect(text.utf8.starts(with: cut.utf8))
            #expect(truncated == (limit < text.utf8.count))
            #expect(limit - cut.utf8.count < 4)
        }
    }

    @Test func nonPositiveLimitGivesEmptyText() {
        #expect(QueryText.truncate("abc", maxBytes: 0) == ("", true))
        #expect(QueryText.truncate("abc", maxBytes: -5) == ("", true))
    }
}
