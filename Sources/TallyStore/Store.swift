import TallyPostgres

/// Tally's database: one connection, migrated, with a store for each kind of record on it. Every
/// SQL statement of the product lives in these stores (and the schema's migrations); callers pass
/// and receive typed values.
///
/// Not thread-safe: one owner at a time, like the connection.
public final class Store {
    let connection: PostgresConnection

    /// Connects (session `settings`: name, value) without touching the schema; throws
    /// `Unreachable` when no connection can be made.
    public init(connectionString: String, settings: [(name: String, value: String)] = []) throws {
        do {
            connection = try PostgresConnection(connectionString: connectionString, settings: settings)
        } catch where error.operation == "connecting" {
            throw Unreachable(reason: error.description)
        }
    }

    /// The server could not be reached, or refused the connection.
    public struct Unreachable: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// Whether `error` is a statement the server refused (a constraint, bad data), as opposed to a
    /// lost connection or a failure outside the database: the work it was part of failed alone.
    public static func isRefusedStatement(_ error: any Error) -> Bool {
        if let error = error as? PostgresError { return !error.isConnectionFailure && !error.isCancellation }
        return error is PostgresDecodingError
    }

    /// Makes ready what `interruptRunningStatements` needs, before a signal handler may call it.
    public static func prepareInterrupts() { PostgresInterrupt.prepare() }

    /// Cancels the statements every open store is running; safe in a signal handler.
    public static func interruptRunningStatements() { PostgresInterrupt.cancelRunningStatements() }

    /// Applies the schema migrations the database lacks; returns their versions.
    @discardableResult
    public func migrate() throws -> [Int] { try Schema.migrate(connection) }

    /// The database's schema version (0: never migrated).
    public func schemaVersion() throws -> Int { try Schema.version(connection) }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T { try connection.transaction(body) }

    /// Runs `body` in a savepoint of the open transaction: undone alone when it throws.
    public func savepoint<T>(_ body: () throws -> T) throws -> T { try connection.savepoint(body) }

    public var catalog: CatalogStore { CatalogStore(connection: connection) }
    public var events: EventStore { EventStore(connection: connection) }
    public var usage: UsageStore { UsageStore(connection: connection) }
    public var invoices: InvoiceStore { InvoiceStore(connection: connection) }
    public var wallets: WalletStore { WalletStore(connection: connection) }
    public var runs: RunStore { RunStore(connection: connection) }
}
