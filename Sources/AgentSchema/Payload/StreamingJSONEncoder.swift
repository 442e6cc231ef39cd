import Foundation

/// Encodes an `Encodable` value straight into JSON bytes through ``JSONWriter``, for the snapshot payload.
///
/// Foundation's `JSONEncoder` first builds a tree of every value, then sorts every object's keys and
/// writes the tree: 11.6 M instructions for one snapshot of a small server, a sixth of a whole cycle's
/// CPU (callgrind; BENCHMARKS.md, footprint). This one writes each value as `encode(to:)` hands it over.
/// The JSON is the same document: the same members and values, except that
///
/// - a struct's members come in the order its `encode(to:)` writes them (the synthesised order is the
///   declaration's), not sorted; the members of the dictionaries payloads hold (`[String: Double]`,
///   `[String: Int]`, `[String: Int64]`, `[String: String]`) are sorted by key, so that the bytes do not
///   depend on hashing; any other dictionary keeps its own (hash) order;
/// - a number that is not finite is written `null` (`JSONEncoder` throws, and the whole snapshot was lost);
/// - `/` is not escaped (as `.withoutEscapingSlashes`).
///
/// Written by hand because no library in the mirror streams Codable to JSON; the writer is the one log
/// events already use. A value whose `encode(to:)` uses `superEncoder()` (the agent has none) is handed
/// to `JSONEncoder` instead, whole.
package enum StreamingJSONEncoder {
    /// The JSON of `value`.
    package static func encode<T: Encodable>(_ value: T, capacity: Int = 16 * 1_024) throws -> [UInt8] {
        let encoder = StreamingEncoder(capacity: capacity)
        try encoder.encodeValue(value)
        encoder.closeContainers(downTo: 0)
        guard !encoder.needsFoundation else {
            let fallback = JSONEncoder()
            fallback.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return Array(try fallback.encode(value))
        }
        return encoder.writer.bytes
    }
}

/// The `Encoder` behind ``StreamingJSONEncoder``: a writer and the stack of the objects and arrays it
/// has open. A container writes at its own depth and first closes whatever a value before it left open
/// deeper; a value closes, once its `encode(to:)` returns, every container it opened.
final class StreamingEncoder: Encoder {
    var writer: JSONWriter
    /// The open containers, innermost last; true for an object.
    private(set) var open: [Bool] = []
    /// The depth at which the value being encoded began.
    private var valueDepth = 0
    /// Set when a value asked for something this encoder does not stream (`superEncoder`).
    var needsFoundation = false

    init(capacity: Int) {
        writer = JSONWriter(capacity: capacity)
    }

    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(StreamingKeyedContainer<Key>(encoder: self, depth: openContainer(object: true)))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        StreamingUnkeyedContainer(encoder: self, depth: openContainer(object: false))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        StreamingSingleValueContainer(encoder: self)
    }

    /// The depth of the current value's container: opened now, or the one it opened already (a value may
    /// ask for its container more than once).
    private func openContainer(object: Bool) -> Int {
        if open.count > valueDepth {
            closeContainers(downTo: valueDepth + 1)
            return valueDepth + 1
        }
        if object { writer.beginObject() } else { writer.beginArray() }
        open.append(object)
        return open.count
    }

    /// Opens a container for a nested value (after its key, if any, was written).
    func openNested(object: Bool, at depth: Int) -> Int {
        closeContainers(downTo: depth)
        if object { writer.beginObject() } else { writer.beginArray() }
        open.append(object)
        return open.count
    }

    /// Closes the containers deeper than `depth`.
    func closeContainers(downTo depth: Int) {
        while open.count > depth {
            if open.removeLast() { writer.endObject() } else { writer.endArray() }
        }
    }

    /// Writes one value: numbers, strings, booleans and the payloads' dictionaries directly, anything
    /// else through its `encode(to:)`.
    func encodeValue<T: Encodable>(_ value: T) throws {
        if writePrimitive(value) || writeDictionary(value) { return }
        let outer = valueDepth
        let start = open.count
        let written = writer.bytes.count
        valueDepth = start
        defer { valueDepth = outer }
        try value.encode(to: self)
        closeContainers(downTo: start)
        // A value that wrote nothing at all is an empty object, as JSONEncoder has it.
        if writer.bytes.count == written, !needsFoundation {
            writer.beginObject()
            writer.endObject()
        }
    }

    /// Writes `value` when it is a number, a string or a boolean; false otherwise.
    private func writePrimitive<T>(_ value: T) -> Bool {
        let type: Any.Type = T.self
        if type == String.self { writer.string(unsafeBitCast(value, to: String.self)) }
        else if type == Double.self { writer.number(unsafeBitCast(value, to: Double.self)) }
        else if type == Int.self { writer.integer(unsafeBitCast(value, to: Int.self)) }
        else if type == Int64.self { writer.integer(unsafeBitCast(value, to: Int64.self)) }
        else if type == Bool.self { writer.bool(unsafeBitCast(value, to: Bool.self)) }
        else if type == Int32.self { writer.integer(unsafeBitCast(value, to: Int32.self)) }
        else if type == UInt64.self { writeUnsigned(unsafeBitCast(value, to: UInt64.self)) }
        else if type == Float.self { writer.number(Double(unsafeBitCast(value, to: Float.self))) }
        else if type == Int16.self { writer.integer(unsafeBitCast(value, to: Int16.self)) }
        else if type == Int8.self { writer.integer(unsafeBitCast(value, to: Int8.self)) }
        else if type == UInt.self { writeUnsigned(UInt64(unsafeBitCast(value, to: UInt.self))) }
        else if type == UInt32.self { writer.integer(unsafeBitCast(value, to: UInt32.self)) }
        else if type == UInt16.self { writer.integer(unsafeBitCast(value, to: UInt16.self)) }
        else if type == UInt8.self { writer.integer(unsafeBitCast(value, to: UInt8.self)) }
        else { return false }
        return true
    }

    /// Writes `value` with its keys sorted when it is one of the dictionaries the payloads hold; false
    /// otherwise (another dictionary goes through its own `encode(to:)`, in hash order). Matched by type,
    /// not by a protocol cast: a cast tried on every value cost more than the rest of the encoding.
    private func writeDictionary<T>(_ value: T) -> Bool {
        let type: Any.Type = T.self
        if type == [String: Double].self {
            writeSorted(unsafeBitCast(value, to: [String: Double].self)) { $0.number($1) }
        } else if type == [String: Int].self {
            writeSorted(unsafeBitCast(value, to: [String: Int].self)) { $0.integer($1) }
        } else if type == [String: Int64].self {
            writeSorted(unsafeBitCast(value, to: [String: Int64].self)) { $0.integer($1) }
        } else if type == [String: String].self {
            writeSorted(unsafeBitCast(value, to: [String: String].self)) { $0.string($1) }
        } else {
            return false
        }
        return true
    }

    private func writeSorted<Value>(_ dictionary: [String: Value], _ write: (inout JSONWriter, Value) -> Void) {
        writer.beginObject()
        for key in dictionary.keys.sorted() {
            writer.key(key)
            if let value = dictionary[key] { write(&writer, value) }
        }
        writer.endObject()
    }

    /// An unsigned integer; past `Int64.max` through its digits.
    func writeUnsigned(_ value: UInt64) {
        if value <= UInt64(Int64.max) {
            writer.integer(Int64(value))
        } else {
            writer.raw(String(value).utf8)
        }
    }
}
