import Testing
import TallyCore
import TallyPostgres
import TallyTestSupport

/// Rows decode by column name into typed values; anything that does not fit is an error naming
/// the column and the query, never a crash.
@Suite struct RowDecodingTests {
    let scratch: ScratchDatabase
    let connection: PostgresConnection

    init() throws {
        scratch = try ScratchDatabase()
        connection = try scratch.connect()
    }

    enum Direction: String, Decodable { case inbound, outbound }

    struct Invoice: Decodable, Equatable {
        let id: Int64
        let number: String
        let totalAmountCents: Int
        let paid: Bool
        let units: ExactDecimal
        let voidedAt: UTCInstant?
        let direction: Direction
    }

    @Test func columnsAreFoundByNameWhateverTheirOrder() throws {
        let rows = try connection.query("""
            SELECT 'outbound' AS direction, NULL::timestamptz AS voided_at, 12.50::numeric AS units, true AS paid,
                   1483 AS total_amount_cents, 'MIS-001-001' AS number, 7::bigint AS id
            UNION ALL
            SELECT 'inbound', '2026-11-01T03:59:59.999999Z', -0.25, false, 0, 'MIS-001-002', 8
            """, as: Invoice.self)
        #expect(rows == [
            Invoice(id: 7, number: "MIS-001-001", totalAmountCents: 1483, paid: true, units: ExactDecimal(decimalString: "12.5")!,
                    voidedAt: nil, direction: .outbound),
            Invoice(id: 8, number: "MIS-001-002", totalAmountCents: 0, paid: false, units: ExactDecimal(decimalString: "-0.25")!,
                    voidedAt: UTCInstant(year: 2026, month: 11, day: 1, hour: 3, minute: 59, second: 59, microsecond: 999_999),
                    direction: .inbound),
        ])
    }

    @Test func aNullWhereAValueIsRequiredNamesTheColumnAndTheQuery() throws {
        struct Row: Decodable { let number: String }
        let error = try #require(throws: PostgresDecodingError.self) {
            try connection.query("SELECT NULL::text AS number FROM generate_series(1, 2)", as: Row.self)
        }
        #expect(error.column == "number")
        #expect(error.query.hasPrefix("SELECT NULL::text AS number"))
        #expect(error.description.contains("NULL"))
    }

    @Test func aMissingOrMisspeltColumnIsAnErrorNotANil() throws {
        struct Row: Decodable { let voidedAt: UTCInstant? }
        let error = try #require(throws: PostgresDecodingError.self) {
            try connection.query("SELECT now() AS voided", as: Row.self)
        }
        #expect(error.column == "voidedAt")
        #expect(error.message.contains("voided"), "the message lists the columns there are: \(error.message)")
    }

    @Test func twoColumnsOfOneNameAreRefused() throws {
        struct Row: Decodable { let id: Int }
        #expect(throws: PostgresDecodingError.self) { try connection.query("SELECT 1 AS id, 2 AS id", as: Row.self) }
    }

    @Test(arguments: [
        ("SELECT 'abc' AS value", "an integer"),
        ("SELECT 9223372036854775808::numeric AS value", "64 bits"),
        ("SELECT 1.5 AS value", "an integer"),
    ])
    func aValueThatDoesNotFitItsTypeIsAnError(sql: String, expected: String) throws {
        struct Row: Decodable { let value: Int64 }
        let error = try #require(throws: PostgresDecodingError.self) { try connection.query(sql, as: Row.self) }
        #expect(error.column == "value")
        #expect(error.message.contains(expected), "\(error)")
    }

    @Test func aNumericBeyond38DigitsIsAnErrorNotATrap() throws {
        struct Row: Decodable { let units: ExactDecimal }
        let error = try #require(throws: PostgresDecodingError.self) {
            try connection.query("SELECT (10::numeric ^ 40) AS units", as: Row.self)
        }
        #expect(error.message.contains("38 digits"))
    }

    @Test func anEnumValueItDoesNotKnowIsAnError() throws {
        struct Row: Decodable { let direction: Direction }
        #expect(throws: (any Error).self) { try connection.query("SELECT 'sideways' AS direction", as: Row.self) }
    }

    @Test func queryValueWantsExactlyOneRow() throws {
        #expect(try connection.queryValue("SELECT 42 AS answer", column: "answer", as: Int.self) == 42)
        #expect(try connection.queryValue("SELECT NULL::int AS answer", column: "answer", as: Int?.self) == nil)
        #expect(throws: PostgresDecodingError.self) {
            try connection.queryValue("SELECT 1 AS answer WHERE false", column: "answer", as: Int.self)
        }
        #expect(throws: PostgresDecodingError.self) {
            try connection.queryValue("SELECT generate_series(1, 2) AS answer", column: "answer", as: Int.self)
        }
    }

    @Test func rowsStreamOneAtATimeAndABodyThatThrowsStopsTheQuery() throws {
        struct Row: Decodable { let n: Int }
        var total = 0
        try connection.forEachRow("SELECT generate_series(1, $1::int) AS n", [10_000], as: Row.self) { total += $0.n }
        #expect(total == 50_005_000)

        struct Enough: Error {}
        var seen = 0
        #expect(throws: Enough.self) {
            try connection.forEachRow("SELECT generate_series(1, 1000000) AS n", as: Row.self) { _ in
                seen += 1
                if seen == 3 { throw Enough() }
            }
        }
        #expect(seen == 3)
        // The connection is ready for the next statement.
        #expect(try connection.queryValue("SELECT 1 AS one", column: "one", as: Int.self) == 1)
    }

    @Test func aStreamedQueryThatFailsThrowsItsError() throws {
        struct Row: Decodable { let n: Int }
        let error = try #require(throws: PostgresError.self) {
            try connection.forEachRow("SELECT 1 / (n - 3) AS n FROM generate_series(1, 5) n", as: Row.self) { _ in }
        }
        #expect(error.code == .divisionByZero)
        #expect(try connection.queryValue("SELECT 1 AS one", column: "one", as: Int.self) == 1)
    }
}
