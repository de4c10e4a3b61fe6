/// Decodes one row into a `Decodable` struct, property by property, each from the column of the
/// same name (`lagoId` from `lago_id`). A property whose type is `PostgresDecodable` reads the
/// column's text; any other single-value `Decodable` (an enum with a raw value) reads it through
/// its own `init(from:)`. Nested objects and arrays are not rows' business and are refused.
struct PostgresRowDecoder: Decoder {
    let row: PostgresRow
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Columns(row: row))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw unsupported("an array")
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw unsupported("a single value")
    }

    private func unsupported(_ what: String) -> PostgresDecodingError {
        PostgresDecodingError(query: row.columns.query, column: "*", message: "a row decodes into a struct, not \(what)")
    }

    /// The row's columns as a keyed container. Every key "exists": `decodeIfPresent` then reads
    /// the column, so a misspelt property fails instead of silently becoming nil.
    private struct Columns<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let row: PostgresRow
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { row.columns.names.compactMap { Key(stringValue: PostgresColumns.camelCased($0)) } }

        func contains(_ key: Key) -> Bool { true }

        func decodeNil(forKey key: Key) throws -> Bool {
            row.isNull(try row.columns.index(of: key.stringValue))
        }

        // The common types, without a dynamic cast each (rows of thousands of invoices go through here).
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try value(type, key) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try value(type, key) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try value(type, key) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try value(type, key) }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try value(type, key) }
        func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try value(String?.self, key) }
        func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try value(Int64?.self, key) }
        func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try value(Int?.self, key) }

        private func value<Value: PostgresDecodable>(_ type: Value.Type, _ key: Key) throws -> Value {
            try row.decode(type, column: try row.columns.index(of: key.stringValue))
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            let column = try row.columns.index(of: key.stringValue)
            if let decodable = T.self as? any PostgresDecodable.Type {
                return try decodeValue(decodable, column: column)
            }
            return try T(from: Cell(row: row, column: column))
        }

        private func decodeValue<T, Value: PostgresDecodable>(_ type: Value.Type, column: Int32) throws -> T {
            guard let value = try row.decode(Value.self, column: column) as? T else {
                preconditionFailure("\(Value.self) was chosen as \(T.self)")
            }
            return value
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            throw nested(key)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { throw nested(key) }
        func superDecoder() throws -> any Decoder { throw nested(nil) }
        func superDecoder(forKey key: Key) throws -> any Decoder { throw nested(key) }

        private func nested(_ key: Key?) -> PostgresDecodingError {
            PostgresDecodingError(query: row.columns.query, column: key?.stringValue ?? "*",
                                  message: "a column holds one value, not a nested object or array")
        }
    }

    /// One cell, for a property type that decodes itself from a single value (an enum with a raw value).
    private struct Cell: Decoder, SingleValueDecodingContainer {
        let row: PostgresRow
        let column: Int32
        var codingPath: [any CodingKey] { [] }
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> { throw notSingle() }
        func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw notSingle() }
        func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

        func decodeNil() -> Bool { row.isNull(column) }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            guard let decodable = T.self as? any PostgresDecodable.Type else {
                throw PostgresDecodingError(query: row.columns.query, column: row.columns.names[Int(column)],
                                            message: "Tally cannot read a column as \(T.self)")
            }
            return try decodeValue(decodable)
        }

        private func decodeValue<T, Value: PostgresDecodable>(_ type: Value.Type) throws -> T {
            guard let value = try row.decode(Value.self, column: column) as? T else {
                preconditionFailure("\(Value.self) was chosen as \(T.self)")
            }
            return value
        }

        private func notSingle() -> PostgresDecodingError {
            PostgresDecodingError(query: row.columns.query, column: row.columns.names[Int(column)],
                                  message: "a column holds one value, not a nested object or array")
        }
    }
}
