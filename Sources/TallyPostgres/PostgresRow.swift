import CLibPQ

/// A query result's columns, looked up by name: the column's own (`lago_id`) or its Swift spelling
/// (`lagoId`), so a `Decodable` struct's properties find their columns.
final class PostgresColumns {
    let names: [String]
    /// The statement's first words, for errors.
    let query: String
    private var indexes: [String: Int32] = [:]
    private static let ambiguous: Int32 = -1

    init(result: OpaquePointer, query: String) {
        names = (0..<PQnfields(result)).map { String(cString: PQfname(result, $0)) }
        self.query = query
        for (index, name) in names.enumerated() {
            for spelling in Set([name, Self.camelCased(name)]) {
                indexes[spelling] = indexes[spelling] == nil ? Int32(index) : Self.ambiguous
            }
        }
    }

    /// The index of the column named `name`; throws when there is none, or more than one.
    func index(of name: String) throws(PostgresDecodingError) -> Int32 {
        switch indexes[name] {
        case nil:
            throw PostgresDecodingError(query: query, column: name, message: "the query has no such column (it has \(names.joined(separator: ", ")))")
        case Self.ambiguous?:
            throw PostgresDecodingError(query: query, column: name, message: "the query has more than one column of that name")
        case let index?:
            return index
        }
    }

    /// `sub_total_amount_cents` → `subTotalAmountCents`.
    static func camelCased(_ name: String) -> String {
        var result = ""
        var upperNext = false
        for character in name {
            if character == "_", !result.isEmpty {
                upperNext = true
            } else {
                result += upperNext ? character.uppercased() : String(character)
                upperNext = false
            }
        }
        return result
    }
}

/// One row of a result, valid while the result is: its cells are read in place.
struct PostgresRow {
    let result: OpaquePointer
    let row: Int32
    let columns: PostgresColumns

    func isNull(_ column: Int32) -> Bool { PQgetisnull(result, row, column) == 1 }

    /// The value of `column` as `Value`; NULL only when `Value` is optional.
    func decode<Value: PostgresDecodable>(_ type: Value.Type, column: Int32) throws(PostgresDecodingError) -> Value {
        if isNull(column) {
            if let nullable = Value.self as? any PostgresNullable.Type, let null = nullable.null as? Value { return null }
            throw PostgresDecodingError(query: columns.query, column: columns.names[Int(column)],
                                        message: "is NULL where a value is required")
        }
        let bytes = UnsafeBufferPointer(
            start: UnsafeRawPointer(PQgetvalue(result, row, column)).assumingMemoryBound(to: UInt8.self),
            count: Int(PQgetlength(result, row, column)))
        do {
            return try Value(postgresText: bytes)
        } catch {
            throw PostgresDecodingError(query: columns.query, column: columns.names[Int(column)], message: error.message)
        }
    }

    func decode<Value: PostgresDecodable>(_ type: Value.Type, column name: String) throws(PostgresDecodingError) -> Value {
        try decode(type, column: try columns.index(of: name))
    }

    /// Every cell as text (NULL as nil), in column order: for tests and diagnostics, not for decoding.
    var texts: [String?] {
        (0..<Int32(columns.names.count)).map { column in
            isNull(column) ? nil : String(cString: PQgetvalue(result, row, column))
        }
    }
}

/// A value of a query's result that does not fit where Tally reads it.
public struct PostgresDecodingError: Error, CustomStringConvertible, Sendable {
    /// The statement's first words.
    public let query: String
    public let column: String
    public let message: String

    public init(query: String, column: String, message: String) {
        self.query = query
        self.column = column
        self.message = message
    }

    public var description: String {
        "column \"\(column)\" of query \"\(query)\": \(message)"
    }
}
