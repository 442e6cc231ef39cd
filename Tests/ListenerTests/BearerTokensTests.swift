@testable import Listener
import TestSupport
import Testing
import Foundation

@Suite struct BearerTokensTests {
    @Test func acceptsEveryListedKeyAndNothingElse() throws {
        let tokens = try BearerTokens(keys: ["alpha-key", "beta-key-longer"])
        #expect(tokens.accepts(authorization: "Bearer alpha-key"))
        #expect(tokens.accepts(authorization: "bearer beta-key-longer"), "the scheme is case-insensitive")
        #expect(!tokens.accepts(authorization: nil))
        #expect(!tokens.accepts(authorization: "Bearer "))
        #expect(!tokens.accepts(authorization: "Bearer alpha-ke"), "a prefix is not the key")
        #expect(!tokens.accepts(authorization: "Bearer alpha-key2"), "nor is a longer string")
        #expect(!tokens.accepts(authorization: "Bearer Alpha-key"))
        #expect(!tokens.accepts(authorization: "Basic alpha-key"))
        #expect(!tokens.accepts(authorization: "alpha-key"))
    }

    @Test func comparisonIsExactForEveryLengthAndPosition() {
        let key = Array("0123456789abcdef".utf8)
        #expect(BearerTokens.constantTimeEqual(key, key))
        for index in key.indices {
            var changed = key
            changed[index] ^= 1
            #expect(!BearerTokens.constantTimeEqual(changed, key), "a difference at byte \(index)")
        }
        #expect(!BearerTokens.constantTimeEqual([], key))
        #expect(!BearerTokens.constantTimeEqual(key + [0], key))
        // A shorter input padded with the complement of the key cannot compare equal by accident.
        #expect(!BearerTokens.constantTimeEqual(Array(key.prefix(8)), key))
    }

    @Test func theFileSkipsCommentsAndBlankLinesAndNamesItselfInErrors() throws {
        let scratch = try ScratchDirectory()
        let file = scratch.file("tokens")
        try "# rotated 2026-11\n\n  old-key  \nnew-key\n".write(toFile: file, atomically: true, encoding: .utf8)
        let tokens = try BearerTokens(file: file)
        #expect(tokens.count == 2)
        #expect(tokens.accepts(authorization: "Bearer old-key"))
        #expect(tokens.accepts(authorization: "Bearer new-key"))
        #expect(!tokens.accepts(authorization: "Bearer # rotated 2026-11"))

        try "# only a comment\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect { try BearerTokens(file: file) } throws: { ($0 as? ListenerError)?.description.contains(file) == true }
        #expect { try BearerTokens(file: scratch.file("missing")) } throws: {
            ($0 as? ListenerError)?.code == .setup && "\($0)".contains("missing")
        }
    }

    @Test func aKeyNeverAppearsInTheErrorOfAFileItCouldNotParse() throws {
        let scratch = try ScratchDirectory()
        let file = scratch.file("tokens")
        // Not UTF-8: the error says the file cannot be read, and shows none of its bytes.
        try Data([0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0xFF, 0xFE]).write(to: URL(fileURLWithPath: file))
        #expect { try BearerTokens(file: file) } throws: { !"\($0)".contains("secret") }
    }
}
