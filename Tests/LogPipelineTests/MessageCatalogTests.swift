@testable import LogPipeline
import Testing

/// The catalog of PostgreSQL's messages in every language: every generated row compiles, every English
/// template recognises a message made from it, and translations give their arguments in the English order.
@Suite struct MessageCatalogTests {
    @Test func everyGeneratedRowCompiles() {
        #expect(MessageCatalog.standard.rejectedRows.isEmpty)
        let ids = Set(MessageCatalog.generatedTemplates.map(\.id))
        #expect(ids.allSatisfy { MessageID(rawValue: $0) != nil }, "\(ids.filter { MessageID(rawValue: $0) == nil })")
    }

    @Test func everyEnglishMessageIsRecognisedFromItsOwnTemplate() throws {
        var unrecognised: [String] = []
        for row in MessageCatalog.generatedTemplates where row.language == "en" {
            let id = try #require(MessageID(rawValue: row.id))
            guard id.role != .fragment else { continue }
            // Fill each conversion with a value of its shape.
            let message = Self.instantiate(row.text)
            guard let match = MessageCatalog.standard.match(message, role: id.role) else {
                unrecognised.append(row.text)
                continue
            }
            // Another id may say the same words (a longer template wins); it must at least be recognised.
            _ = match
        }
        #expect(unrecognised.isEmpty, "\(unrecognised)")
    }

    @Test func translationsGiveArgumentsInTheEnglishOrder() throws {
        let english = try #require(MessageCatalog.standard.match(
            "process 42 still waiting for ShareLock on transaction 7 after 1000.123 ms", role: .message))
        #expect(english.id == .lockStillWaiting && english.arguments == ["42", "ShareLock", "transaction 7", "1000", "123"])
        // zh_CN writes the duration before the lock: `进程%1$d在%4$ld.%5$03d ms仍然等待在%3$s上的%2$s`.
        let chinese = try #require(MessageCatalog.standard.match("进程42在1000.123 ms仍然等待在transaction 7上的ShareLock", role: .message))
        #expect(chinese.id == .lockStillWaiting && chinese.language == "zh_CN")
        #expect(chinese.arguments == ["42", "ShareLock", "transaction 7", "1000", "123"])
        let german = try #require(MessageCatalog.standard.match("Dauer: 1,5 ms  Anweisung: SELECT 1", role: .message))
        #expect(german.id == .durationStatement && german.arguments == ["1,5", "SELECT 1"])
    }

    @Test func aStatementThatLooksLikeAMessageIsReadAsTheLongerTemplate() throws {
        // `duration: %s ms` alone would take the whole text as its number.
        let match = try #require(MessageCatalog.standard.match("duration: 1.5 ms  statement: SELECT 'x ms'", role: .message))
        #expect(match.id == .durationStatement && match.arguments == ["1.5", "SELECT 'x ms'"])
    }

    @Test func hostileMessagesCostBoundedWork() {
        // Many candidate places for a free-text argument: the matcher's step budget ends the search.
        let message = "duration: " + String(repeating: " ms  statement: ", count: 5_000)
        _ = MessageCatalog.standard.match(message, role: .message)
        let garbage = String(repeating: "%s \"", count: 10_000)
        #expect(MessageCatalog.standard.match(garbage, role: .message) == nil)
    }

    /// A message made from a template: `%s` becomes `x`, numbers `12`, hex `AB`.
    static func instantiate(_ template: String) -> String {
        var output = ""
        var index = template.startIndex
        while index < template.endIndex {
            let character = template[index]
            guard character == "%" else {
                output.append(character)
                index = template.index(after: index)
                continue
            }
            var end = template.index(after: index)
            while end < template.endIndex, "0123456789$.-+ #lzhjtq".contains(template[end]) { end = template.index(after: end) }
            guard end < template.endIndex else { break }
            switch template[end] {
            case "%": output.append("%")
            case "d", "i", "u": output.append("12")
            case "X", "x": output.append("AB")
            case "f": output.append("1.5")
            case "c": output.append("c")
            default: output.append("x")
            }
            index = template.index(after: end)
        }
        return output
    }
}
