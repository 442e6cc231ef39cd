/// A JSON object kept as members sorted by key: a log event's `details`.
///
/// A `[String: JSONValue]` hashed every key on insert and was sorted again on every write (the contract
/// writes keys in sorted order); for the 5–30 short keys of a detail object that was 13 % of `logs parse`.
/// Here a key is placed by binary search on insert and the members are written as they lie. Keys compare
/// as `String`s do (byte order for the ASCII keys the classifier writes), so the output is the one the
/// dictionary gave.
package struct JSONObject: Sendable, Equatable {
    /// The members, sorted by key, each key once.
    package private(set) var members: [(key: String, value: JSONValue)]

    /// An empty object.
    package init() { members = [] }

    /// The object with `dictionary`'s members.
    package init(_ dictionary: [String: JSONValue]) {
        members = dictionary.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
    }

    /// True when the object has no member.
    package var isEmpty: Bool { members.isEmpty }

    /// The number of members.
    package var count: Int { members.count }

    /// The keys, sorted.
    package var keys: [String] { members.map(\.key) }

    /// Reserves room for `capacity` members.
    package mutating func reserveCapacity(_ capacity: Int) { members.reserveCapacity(capacity) }

    /// The member named `key`; setting `nil` removes it.
    package subscript(key: String) -> JSONValue? {
        get {
            let (index, found) = position(of: key)
            return found ? members[index].value : nil
        }
        set {
            let (index, found) = position(of: key)
            switch (found, newValue) {
            case let (true, value?): members[index].value = value
            case (true, nil): members.remove(at: index)
            case let (false, value?): members.insert((key: key, value: value), at: index)
            case (false, nil): break
            }
        }
    }

    /// The members as a dictionary.
    package var dictionary: [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: members.map { ($0.key, $0.value) })
    }

    /// Where `key` is, or where it would go. Members are appended in the classifier's reading order,
    /// which is rarely sorted, so the last member is tried first only as a cheap common case.
    private func position(of key: String) -> (index: Int, found: Bool) {
        if let last = members.last {
            if last.key < key { return (members.count, false) }
            if last.key == key { return (members.count - 1, true) }
        }
        var low = 0
        var high = members.count
        while low < high {
            let middle = (low + high) / 2
            let probe = members[middle].key
            if probe < key { low = middle + 1 } else if probe == key { return (middle, true) } else { high = middle }
        }
        return (low, false)
    }

    package static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.elementsEqual(rhs.members) { $0.key == $1.key && $0.value == $1.value }
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// The object with these members; a later duplicate key wins.
    package init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init()
        members.reserveCapacity(elements.count)
        for (key, value) in elements { self[key] = value }
    }
}

extension JSONObject: Codable {
    package init(from decoder: any Decoder) throws {
        self.init(try [String: JSONValue](from: decoder))
    }

    package func encode(to encoder: any Encoder) throws {
        try dictionary.encode(to: encoder)
    }
}

extension JSONObject: CustomStringConvertible {
    /// The members in key order, as a dictionary literal would print them.
    package var description: String {
        members.isEmpty ? "[:]" : "[" + members.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "]"
    }
}

extension JSONObject: Sequence {
    /// The members in key order.
    package func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> {
        members.makeIterator()
    }
}
