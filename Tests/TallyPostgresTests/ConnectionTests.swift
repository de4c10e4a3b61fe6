import Testing
import TallyPostgres
import TallyTestSupport

/// Statements, transactions and savepoints on one connection.
@Suite struct ConnectionTests {
    let scratch: ScratchDatabase
    let connection: PostgresConnection

    init() throws {
        scratch = try ScratchDatabase()
        connection = try scratch.connect()
    }

    func count(_ table: String) throws -> Int {
        try connection.queryValue("SELECT count(*) AS n FROM \(table)", column: "n")
    }

    @Test func aStatementErrorKeepsItsNamedSQLState() throws {
        let error = try #require(throws: PostgresError.self) {
            try connection.execute("SELECT 1 / $1::int", [0])
        }
        #expect(error.code == .divisionByZero)
        #expect(!error.isConnectionFailure)
        #expect(error.description.contains("SELECT 1 / $1::int"), "the error names the statement: \(error)")
        // The connection is still usable afterwards.
        #expect(try connection.queryValue("SELECT 2 + 2 AS sum", column: "sum", as: Int.self) == 4)
    }

    @Test func executeReturnsTheRowsAStatementAffected() throws {
        try connection.execute("CREATE TABLE scratch (n int)")
        #expect(try connection.execute("INSERT INTO scratch SELECT generate_series(1, 5)") == 5)
        #expect(try connection.execute("DELETE FROM scratch WHERE n > $1", [3]) == 2)
    }

    @Test func aFailedTransactionIsRolledBack() throws {
        try connection.execute("CREATE TABLE scratch (n int)")
        #expect(throws: PostgresError.self) {
            try connection.transaction {
                try connection.execute("INSERT INTO scratch VALUES (1)")
                try connection.execute("INSERT INTO scratch VALUES ('not a number')")
            }
        }
        #expect(try count("scratch") == 0)
    }

    @Test func aFailedSavepointUndoesOnlyItsOwnWork() throws {
        try connection.execute("CREATE TABLE scratch (n int UNIQUE)")
        try connection.transaction {
            try connection.execute("INSERT INTO scratch VALUES (1)")
            let error = try #require(throws: PostgresError.self) {
                try connection.savepoint {
                    try connection.execute("INSERT INTO scratch VALUES (2)")
                    try connection.execute("INSERT INTO scratch VALUES (1)")
                }
            }
            #expect(error.code == .uniqueViolation)
            try connection.execute("INSERT INTO scratch VALUES (3)")
        }
        struct Row: Decodable { let n: Int }
        #expect(try connection.query("SELECT n FROM scratch ORDER BY n", as: Row.self).map(\.n) == [1, 3])
    }

    @Test func sessionSettingsAreApplied() throws {
        let tuned = try PostgresConnection(connectionString: scratch.connectionString, settings: [("work_mem", "7MB")])
        #expect(try tuned.queryValue("SELECT current_setting('work_mem') AS v", column: "v", as: String.self) == "7MB")
        #expect(try tuned.queryValue("SELECT current_setting('TimeZone') AS v", column: "v", as: String.self) == "UTC")
    }
}
