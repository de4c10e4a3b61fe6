/// A failure reported by libpq or the server, with the SQLSTATE kept for callers that branch on it.
///
/// `description` never includes the connection string, so passwords in a URL do not leak into logs.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// What Tally was doing ("connecting", "running migration 2", "running \"COPY events …\"").
    public let operation: String
    public let message: String
    /// The SQLSTATE, when the server (or libpq) gave one.
    public let code: Code?
    public let detail: String?

    public init(operation: String, message: String, code: Code? = nil, detail: String? = nil) {
        self.operation = operation
        self.message = message
        self.code = code
        self.detail = detail
    }

    public var description: String {
        var text = "PostgreSQL error while \(operation): \(message)"
        if let code { text += " (SQLSTATE \(code.rawValue))" }
        if let detail { text += "; \(detail)" }
        return text
    }

    /// The statement was cancelled (`PostgresInterrupt`), not refused.
    public var isCancellation: Bool { code == .queryCanceled }

    /// The connection itself failed (server gone, socket closed), as opposed to a statement error.
    public var isConnectionFailure: Bool { code.map { $0.isConnectionException } ?? true }
}
