/// A failure reported by libpq or the server, with the SQLSTATE kept for callers that branch on it.
///
/// `description` never includes the connection string, so passwords in a URL do not leak into logs.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// What Tally was doing ("connecting", "running migration 2", "COPY into staging").
    public let operation: String
    public let message: String
    /// The five-character SQLSTATE, when the server sent one.
    public let sqlState: String?
    public let detail: String?

    public init(operation: String, message: String, sqlState: String? = nil, detail: String? = nil) {
        self.operation = operation
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
    }

    public var description: String {
        var text = "PostgreSQL error while \(operation): \(message)"
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail { text += "; \(detail)" }
        return text
    }

    /// The connection itself failed (server gone, socket closed), as opposed to a statement error.
    public var isConnectionFailure: Bool { sqlState == nil || sqlState!.hasPrefix("08") }
}
