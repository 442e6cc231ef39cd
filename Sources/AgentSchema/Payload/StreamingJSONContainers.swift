/// The containers of ``StreamingEncoder``. Each writes at the depth it was opened at, closing first what
/// a value before it left open deeper (a nested container that was not closed explicitly).
struct StreamingKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: StreamingEncoder
    let depth: Int

    var codingPath: [any CodingKey] { [] }

    private func key(_ key: Key) {
        encoder.closeContainers(downTo: depth)
        encoder.writer.key(key.stringValue)
    }

    mutating func encodeNil(forKey key: Key) throws { self.key(key); encoder.writer.null() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { self.key(key); encoder.writer.bool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { self.key(key); encoder.writer.string(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { self.key(key); encoder.writer.number(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { self.key(key); encoder.writer.number(Double(value)) }
    mutating func encode(_ value: Int, forKey key: Key) throws { self.key(key); encoder.writer.integer(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { self.key(key); encoder.writer.integer(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { self.key(key); encoder.writer.integer(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { self.key(key); encoder.writer.integer(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { self.key(key); encoder.writer.integer(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { self.key(key); encoder.writeUnsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { self.key(key); encoder.writer.integer(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { self.key(key); encoder.writer.integer(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { self.key(key); encoder.writer.integer(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { self.key(key); encoder.writeUnsigned(value) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        self.key(key)
        try encoder.encodeValue(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                        forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        self.key(key)
        return KeyedEncodingContainer(StreamingKeyedContainer<NestedKey>(encoder: encoder, depth: encoder.openNested(object: true, at: depth)))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        self.key(key)
        return StreamingUnkeyedContainer(encoder: encoder, depth: encoder.openNested(object: false, at: depth))
    }

    mutating func superEncoder() -> any Encoder {
        encoder.needsFoundation = true
        return encoder
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        encoder.needsFoundation = true
        return encoder
    }
}

struct StreamingUnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: StreamingEncoder
    let depth: Int
    private(set) var count = 0

    init(encoder: StreamingEncoder, depth: Int) {
        self.encoder = encoder
        self.depth = depth
    }

    var codingPath: [any CodingKey] { [] }

    private mutating func next() {
        encoder.closeContainers(downTo: depth)
        count += 1
    }

    mutating func encodeNil() throws { next(); encoder.writer.null() }
    mutating func encode(_ value: Bool) throws { next(); encoder.writer.bool(value) }
    mutating func encode(_ value: String) throws { next(); encoder.writer.string(value) }
    mutating func encode(_ value: Double) throws { next(); encoder.writer.number(value) }
    mutating func encode(_ value: Float) throws { next(); encoder.writer.number(Double(value)) }
    mutating func encode(_ value: Int) throws { next(); encoder.writer.integer(value) }
    mutating func encode(_ value: Int8) throws { next(); encoder.writer.integer(value) }
    mutating func encode(_ value: Int16) throws { next(); encoder.writer.integer(value) }
    mutating func encode(_ value: Int32) throws { next(); encoder.writer.integer(value) }
    mutating func encode(_ value: Int64) throws { next(); encoder.writer.integer(value) }
    mutating func encode(_ value: UInt) throws { next(); encoder.writeUnsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { next(); encoder.writer.integer(value) }
    mutating func encode(_ value: UInt16) throws { next(); encoder.writer.integer(value) }
    mutating func encode(_ value: UInt32) throws { next(); encoder.writer.integer(value) }
    mutating func encode(_ value: UInt64) throws { next(); encoder.writeUnsigned(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        next()
        try encoder.encodeValue(value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        next()
        return KeyedEncodingContainer(StreamingKeyedContainer<NestedKey>(encoder: encoder, depth: encoder.openNested(object: true, at: depth)))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        next()
        return StreamingUnkeyedContainer(encoder: encoder, depth: encoder.openNested(object: false, at: depth))
    }

    mutating func superEncoder() -> any Encoder {
        encoder.needsFoundation = true
        return encoder
    }
}

struct StreamingSingleValueContainer: SingleValueEncodingContainer {
    let encoder: StreamingEncoder

    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { encoder.writer.null() }
    mutating func encode(_ value: Bool) throws { encoder.writer.bool(value) }
    mutating func encode(_ value: String) throws { encoder.writer.string(value) }
    mutating func encode(_ value: Double) throws { encoder.writer.number(value) }
    mutating func encode(_ value: Float) throws { encoder.writer.number(Double(value)) }
    mutating func encode(_ value: Int) throws { encoder.writer.integer(value) }
    mutating func encode(_ value: Int8) throws { encoder.writer.integer(value) }
    mutating func encode(_ value: Int16) throws { encoder.writer.integer(value) }
    mutating func encode(_ value: Int32) throws { encoder.writer.integer(value) }
    mutating func encode(_ value: Int64) throws { encoder.writer.integer(value) }
    mutating func encode(_ value: UInt) throws { encoder.writeUnsigned(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { encoder.writer.integer(value) }
    mutating func encode(_ value: UInt16) throws { encoder.writer.integer(value) }
    mutating func encode(_ value: UInt32) throws { encoder.writer.integer(value) }
    mutating func encode(_ value: UInt64) throws { encoder.writeUnsigned(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try encoder.encodeValue(value)
    }
}
