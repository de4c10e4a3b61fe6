import TallyCore

/// A value sent as a statement parameter, in PostgreSQL's text form (the statement casts it where
/// the column type needs it: `$1::numeric`, `$2::bigint[]`). `nil` text is SQL NULL.
public protocol PostgresEncodable {
    var postgresText: String? { get }
}

extension String: PostgresEncodable {
    public var postgresText: String? { self }
}

extension Int: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Int64: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Int32: PostgresEncodable {
    public var postgresText: String? { String(self) }
}

extension Bool: PostgresEncodable {
    public var postgresText: String? { self ? "t" : "f" }
}

extension ExactDecimal: PostgresEncodable {
    /// The plain decimal (`12.50`), which `numeric` takes as it is.
    public var postgresText: String? { description }
}

extension UTCInstant: PostgresEncodable {
    /// RFC 3339 in UTC (`2026-10-01T04:00:00.25Z`), which `timestamptz` reads exactly.
    public var postgresText: String? { description }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresText: String? { self?.postgresText }
}

/// An element of an array parameter (`= ANY ($1::bigint[])`, `unnest($1::text[])`).
public protocol PostgresArrayElement {
    /// The element as it is written inside an array literal.
    var postgresArrayElement: String { get }
}

extension Int64: PostgresArrayElement {
    public var postgresArrayElement: String { String(self) }
}

extension Int: PostgresArrayElement {
    public var postgresArrayElement: String { String(self) }
}

extension String: PostgresArrayElement {
    /// Always quoted, so that commas, braces, spaces and the word NULL stay text; quotes and
    /// backslashes escaped.
    public var postgresArrayElement: String {
        var quoted = "\""
        for character in unicodeScalars {
            if character == "\"" || character == "\\" { quoted.unicodeScalars.append("\\") }
            quoted.unicodeScalars.append(character)
        }
        return quoted + "\""
    }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    /// `{1,2,3}`, `{"a","b \"c\""}`.
    public var postgresText: String? {
        "{" + map(\.postgresArrayElement).joined(separator: ",") + "}"
    }
}
