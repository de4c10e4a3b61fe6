import Foundation

extension PostgresConnection {
    /// Creates the database `name` (the cluster's own, the benchmark's, a test's). With `ifMissing`,
    /// an existing database of that name (made meanwhile by another process, say) is no error.
    public func createDatabase(_ name: String, ifMissing: Bool = false) throws(PostgresError) {
        if ifMissing, try databaseExists(name) { return }
        do {
            // CREATE DATABASE takes no parameters: the name goes in as a quoted identifier.
            try execute("CREATE DATABASE " + Self.quotedIdentifier(name))
        } catch where ifMissing && error.code == .duplicateDatabase {
            return
        }
    }

    /// Drops the database `name` if it exists, closing the connections to it.
    public func dropDatabase(_ name: String) throws(PostgresError) {
        try execute("DROP DATABASE IF EXISTS " + Self.quotedIdentifier(name) + " WITH (FORCE)")
    }

    private func databaseExists(_ name: String) throws(PostgresError) -> Bool {
        try execute("SELECT 1 FROM pg_database WHERE datname = $1", [name]) == 1
    }

    /// `name` as a double-quoted SQL identifier, inner quotes doubled.
    static func quotedIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
