import AgentSchema
import Foundation
import TestSupport
import Testing

@Suite struct JSONObjectTests {
    static func written(_ object: JSONObject) -> String {
        var json = JSONWriter()
        object.write(to: &json)
        return String(decoding: json.bytes, as: UTF8.self)
    }

    /// What `JSONEncoder` with sorted keys makes of the same members as a dictionary: the document the
    /// `[String: JSONValue]` details wrote before.
    static func sortedByEncoder(_ dictionary: [String: JSONValue]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(dictionary), as: UTF8.self)
    }

    @Test func membersStaySortedWhateverTheInsertionOrder() throws {
        var generator = SeededGenerator(seed: 5)
        let keys = ["wal_bytes", "buffer_hits", "pages_removed", "a", "tuples_dead", "elapsed_s", "index_scans",
                    "Z_upper", "wal_fpi", "table", "cpu_user_s", "io_read_ms", "aggressive", "buffer_misses"]
        for _ in 0..<50 {
            var object = JSONObject()
            var dictionary: [String: JSONValue] = [:]
            for (index, key) in keys.shuffled(using: &generator).enumerated() {
                object[key] = .integer(Int64(index))
                dictionary[key] = .integer(Int64(index))
            }
            #expect(object.keys == keys.sorted())
            #expect(object == JSONObject(dictionary))
            #expect(Self.written(object) == (try Self.sortedByEncoder(dictionary)))
        }
    }

    @Test func settingReplacesAndNilRemoves() {
        var object: JSONObject = ["b": .integer(1), "a": .string("x")]
        object["b"] = .integer(2)
        object["c"] = .bool(true)
        object["a"] = nil
        object["missing"] = nil
        #expect(object.keys == ["b", "c"])
        #expect(object["b"] == .integer(2))
        #expect(object["a"] == nil)
        #expect(object.count == 2)
        #expect(Self.written(object) == #"{"b":2,"c":true}"#)
    }

    @Test func nestedObjectsAreWrittenSortedToo() {
        let object: JSONObject = ["z": .object(["y": .null, "x": .array([.number(1.5)])]), "m": .string("é\n")]
        #expect(Self.written(object) == #"{"m":"é\n","z":{"x":[1.5],"y":null}}"#)
    }

    @Test func decodesAndEncodesAsAJSONObject() throws {
        let text = #"{"phase":"execute","duration_ms":12.5,"plan":{"Node Type":"Seq Scan"},"flags":["force"]}"#
        let object = try JSONDecoder().decode(JSONObject.self, from: Data(text.utf8))
        #expect(object.keys == ["duration_ms", "flags", "phase", "plan"])
        let again = try JSONDecoder().decode(JSONObject.self, from: try JSONEncoder().encode(object))
        #expect(again == object)
    }
}
