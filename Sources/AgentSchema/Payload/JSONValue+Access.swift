/// Typed access to a parsed document's values (``JSONBytesReader``), for readers of JSON the server
/// builds: nil when the value is of another kind.
extension JSONValue {
    /// The object, for `.object`.
    package var objectValue: JSONObject? {
        if case .object(let value) = self { value } else { nil }
    }

    /// The elements, for `.array`.
    package var arrayValue: [JSONValue]? {
        if case .array(let value) = self { value } else { nil }
    }

    /// The text, for `.string`.
    package var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// The number, for `.number` and `.integer`.
    package var doubleValue: Double? {
        switch self {
        case .number(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }

    /// The truth value, for `.bool`.
    package var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }
}
