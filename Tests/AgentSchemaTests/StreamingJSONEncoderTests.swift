@testable import AgentSchema
import Foundation
import Testing

/// The streaming encoder writes the document `JSONEncoder` writes, for the shapes Codable produces.
@Suite struct StreamingJSONEncoderTests {
    struct Inner: Codable, Equatable {
        var name: String
        var values: [Double?]
        var flags: [String: Bool]
    }

    struct Outer: Codable, Equatable {
        var id: Int64
        var big: UInt64
        var small: Int8
        var ratio: Float
        var text: String
        var missing: String?
        var inner: Inner
        var inners: [Inner]
        var nested: [[Int]]
        var counters: [String: Double]
        var empty: [String: Int]
        var uuid: UUID
    }

    /// Writes its members through nested containers, never closing them, the way hand-written
    /// `encode(to:)` implementations may.
    struct Nesting: Encodable {
        enum Keys: String, CodingKey { case a, b, c }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            var a = container.nestedContainer(keyedBy: Keys.self, forKey: .a)
            try a.encode(1, forKey: .b)
            var list = a.nestedUnkeyedContainer(forKey: .c)
            try list.encode("x")
            var inList = list.nestedContainer(keyedBy: Keys.self)
            try inList.encode(true, forKey: .a)
            try list.encode("y")
            try container.encode([1, 2], forKey: .b)
            var again = encoder.container(keyedBy: Keys.self)
            try again.encodeNil(forKey: .c)
        }
    }

    /// Uses `superEncoder`, which the encoder hands to `JSONEncoder`.
    struct Super: Encodable {
        enum Keys: String, CodingKey { case own }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode("value", forKey: .own)
            try ["parent": 1].encode(to: container.superEncoder())
        }
    }

    struct Nothing: Encodable {
        func encode(to encoder: any Encoder) throws {}
    }

    static func foundation(_ value: some Encodable) throws -> NSObject? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try JSONSerialization.jsonObject(with: encoder.encode(value), options: [.fragmentsAllowed]) as? NSObject
    }

    static func streamed(_ value: some Encodable) throws -> NSObject? {
        try JSONSerialization.jsonObject(with: Data(StreamingJSONEncoder.encode(value)), options: [.fragmentsAllowed]) as? NSObject
    }

    static let sample = Outer(
        id: -42, big: UInt64.max, small: -8, ratio: 0.5, text: "quote \" backslash \\ newline \n slash / tab \t \u{1} é 😀",
        missing: nil,
        inner: Inner(name: "one", values: [1, nil, 2.5, -0.0, 1e300], flags: ["b": true, "a": false]),
        inners: [Inner(name: "", values: [], flags: [:]), Inner(name: "two", values: [nil], flags: ["z": true])],
        nested: [[], [1], [2, 3]], counters: ["xact_commit": 12, "blks_hit": 0.25, "a": 1e-7], empty: [:],
        uuid: UUID(uuidString: "3F2504E0-4F89-11D3-9A0C-0305E82C3301")!)

    @Test func theSameDocumentAsJSONEncoder() throws {
        #expect(try Self.streamed(Self.sample) == Self.foundation(Self.sample))
        #expect(try JSONDecoder().decode(Outer.self, from: Data(StreamingJSONEncoder.encode(Self.sample))) == Self.sample)
    }

    @Test func dictionaryMembersAreSortedSoTheBytesDoNotDependOnHashing() throws {
        let text = String(decoding: try StreamingJSONEncoder.encode(["b": 2, "c": 3, "a": 1, "aa": 0]), as: UTF8.self)
        #expect(text == #"{"a":1,"aa":0,"b":2,"c":3}"#)
    }

    @Test func nestedContainersLeftOpenAreClosedInPlace() throws {
        let text = String(decoding: try StreamingJSONEncoder.encode(Nesting()), as: UTF8.self)
        #expect(text == #"{"a":{"b":1,"c":["x",{"a":true},"y"]},"b":[1,2],"c":null}"#)
        #expect(try Self.streamed([Nesting(), Nesting()]) == Self.foundation([Nesting(), Nesting()]))
    }

    @Test func superEncoderFallsBackToJSONEncoder() throws {
        #expect(try Self.streamed(Super()) == Self.foundation(Super()))
    }

    @Test func aValueThatWritesNothingIsAnEmptyObject() throws {
        #expect(String(decoding: try StreamingJSONEncoder.encode([Nothing()]), as: UTF8.self) == "[{}]")
    }

    @Test func aNumberThatIsNotFiniteIsNullInsteadOfLosingTheDocument() throws {
        #expect(throws: EncodingError.self) { try JSONEncoder().encode([Double.nan]) }
        let text = String(decoding: try StreamingJSONEncoder.encode(["a": Double.nan, "b": -Double.infinity, "c": 1.5]), as: UTF8.self)
        #expect(text == #"{"a":null,"b":null,"c":1.5}"#)
    }
}
