/// A parsed JSON value that keeps numbers as their literal text, so money and units stay exact.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number exactly as written in the source (already checked against JSON's number grammar).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The name of the value's kind, for error messages ("expected a string (got an array)").
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    public var objectValue: JSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }

    public var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }
}

/// A JSON object that keeps its keys in source order (a repeated key keeps its last value).
public struct JSONObject: Equatable, Sendable {
    public private(set) var entries: [(key: String, value: JSONValue)]

    /// The entries in order; a key given twice keeps its first place and its last value.
    public init(_ entries: [(key: String, value: JSONValue)] = []) {
        self.entries = []
        self.entries.reserveCapacity(entries.count)
        guard entries.count > 16 else {
            for entry in entries { self[entry.key] = entry.value }
            return
        }
        // Many keys: find repeats by hashing, not by scanning, so an object of n keys takes O(n).
        var positions: [String: Int] = [:]
        positions.reserveCapacity(entries.count)
        for entry in entries {
            if let position = positions[entry.key] {
                self.entries[position].value = entry.value
            } else {
                positions[entry.key] = self.entries.count
                self.entries.append(entry)
            }
        }
    }

    public var keys: [String] { entries.map(\.key) }
    public var count: Int { entries.count }

    public subscript(key: String) -> JSONValue? {
        get { entries.first(where: { $0.key == key })?.value }
        set {
            if let index = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}
