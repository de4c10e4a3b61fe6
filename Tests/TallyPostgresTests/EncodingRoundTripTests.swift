import Testing
import TallyCore
import TallyPostgres
import TallyTestSupport

/// What Tally sends reaches the server with the same value, and comes back the same: numerics,
/// timestamps, dates, texts and arrays, as statement parameters and in binary COPY.
@Suite struct EncodingRoundTripTests {
    let scratch: ScratchDatabase
    let connection: PostgresConnection

    init() throws {
        scratch = try ScratchDatabase()
        connection = try scratch.connect()
    }

    static let decimals = [
        "0", "1", "-1", "12.5", "-0.25", "0.0001", "10000", "9999.9999", "100000000", "0.00000001",
        "1234567890123456789012345678.9012345678", "-99999999999999999999999999999999999999",
        "0.00000000000000000000000000000000000001", "5000000.000", "2.70",
    ]

    @Test func numericsSurviveBinaryCopyAndTextParametersExactly() throws {
        try connection.execute("CREATE TABLE numbers (position bigint, binary_value numeric, text_value numeric)")
        let values = try Self.decimals.map { try #require(ExactDecimal(decimalString: $0), "\($0)") }
        try connection.copyIn("COPY numbers (position, binary_value) FROM STDIN (FORMAT binary)") { copy in
            copy.beginBinary()
            for (position, value) in values.enumerated() {
                try copy.beginRow(columns: 2)
                copy.appendBigint(Int64(position))
                copy.appendNumeric(value)
            }
            try copy.endBinary()
        }
        for (position, value) in values.enumerated() {
            try connection.execute("UPDATE numbers SET text_value = $2::numeric WHERE position = $1", [position, value])
        }
        struct Row: Decodable { let position: Int; let binaryValue: ExactDecimal; let textValue: ExactDecimal; let same: Bool; let text: String }
        let rows = try connection.query("""
            SELECT position, binary_value, text_value, binary_value = text_value AS same, binary_value::text AS text
            FROM numbers ORDER BY position
            """, as: Row.self)
        #expect(rows.count == values.count)
        for (row, value) in zip(rows, values) {
            #expect(row.same, "binary and text forms of \(value) are equal")
            #expect(row.binaryValue == value, "\(value) came back as \(row.binaryValue)")
            #expect(row.textValue == value)
            #expect(row.binaryValue.description == value.description)
        }
        // The server prints what Tally wrote, digit for digit.
        #expect(rows.map(\.text) == values.map(\.description))
    }

    static let instants: [UTCInstant] = [
        UTCInstant(microsecondsSinceEpoch: 0),
        UTCInstant(microsecondsSinceEpoch: -1),
        UTCInstant(year: 2000, month: 1, day: 1)!,
        UTCInstant(year: 2026, month: 11, day: 1, hour: 3, minute: 59, second: 59, microsecond: 999_999)!,
        UTCInstant(year: 2026, month: 3, day: 8, hour: 7, minute: 0, second: 0, microsecond: 1)!,
        UTCInstant(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59, microsecond: 500_000)!,
        UTCInstant(year: 2099, month: 12, day: 31, hour: 23, minute: 59, second: 59)!,
    ]

    @Test func timestampsSurviveBinaryCopyAndParametersToTheMicrosecond() throws {
        try connection.execute("CREATE TABLE instants (position bigint, binary_value timestamptz, text_value timestamptz)")
        try connection.copyIn("COPY instants (position, binary_value) FROM STDIN (FORMAT binary)") { copy in
            copy.beginBinary()
            for (position, instant) in Self.instants.enumerated() {
                try copy.beginRow(columns: 2)
                copy.appendBigint(Int64(position))
                copy.appendTimestamp(microsecondsSinceUnixEpoch: instant.microsecondsSinceEpoch)
            }
            try copy.endBinary()
        }
        for (position, instant) in Self.instants.enumerated() {
            try connection.execute("UPDATE instants SET text_value = $2::timestamptz WHERE position = $1", [position, instant])
        }
        struct Row: Decodable { let binaryValue: UTCInstant; let textValue: UTCInstant; let micros: Int64 }
        let rows = try connection.query("""
            SELECT binary_value, text_value, (extract(epoch FROM binary_value) * 1000000)::bigint AS micros
            FROM instants ORDER BY position
            """, as: Row.self)
        #expect(rows.map(\.binaryValue) == Self.instants)
        #expect(rows.map(\.textValue) == Self.instants)
        #expect(rows.map(\.micros) == Self.instants.map(\.microsecondsSinceEpoch), "the server counts the same microseconds")
    }

    @Test func timestampsPrintedInAnotherZoneDecodeToTheSameInstant() throws {
        try connection.execute("SET TIME ZONE 'Asia/Kolkata'")
        struct Row: Decodable { let at: UTCInstant; let shown: String }
        let row = try #require(try connection.queryFirst(
            "SELECT '2026-10-01T04:00:00.25Z'::timestamptz AS at, '2026-10-01T04:00:00.25Z'::timestamptz::text AS shown", as: Row.self))
        #expect(row.shown == "2026-10-01 09:30:00.25+05:30")
        #expect(row.at == UTCInstant(year: 2026, month: 10, day: 1, hour: 4, minute: 0, second: 0, microsecond: 250_000))
    }

    @Test func datesAndJSONAndTextSurviveBinaryCopy() throws {
        try connection.execute("CREATE TABLE mixed (day date, document jsonb, note text)")
        let note = "naïve \"quoted\" \\ tab\tend 🚀"
        try connection.copyIn("COPY mixed FROM STDIN (FORMAT binary)") { copy in
            copy.beginBinary()
            for (year, month, day) in [(2026, 10, 1), (2000, 1, 1), (1999, 12, 31), (2028, 2, 29)] {
                try copy.beginRow(columns: 3)
                copy.appendDate(year: year, month: month, day: day)
                copy.appendJSONB(#"{"model": "mistral-small", "n": "1"}"#)
                copy.appendText(note)
            }
            try copy.endBinary()
        }
        struct Row: Decodable { let day: String; let model: String; let note: String }
        let rows = try connection.query("SELECT day, document ->> 'model' AS model, note FROM mixed ORDER BY day", as: Row.self)
        #expect(rows.map(\.day) == ["1999-12-31", "2000-01-01", "2026-10-01", "2028-02-29"])
        #expect(rows.allSatisfy { $0.model == "mistral-small" && $0.note == note })
    }

    @Test func textRowsEscapeWhatCopyTextWouldMisread() throws {
        try connection.execute("CREATE TABLE lines (reason text, amount numeric, invoice bigint)")
        let reasons = ["tab\there", "line\nbreak", "back\\slash", "carriage\rreturn", #"\N"#]
        try connection.copyIn("COPY lines FROM STDIN") { copy in
            for reason in reasons {
                try copy.writeRow([reason, ExactDecimal(decimalString: "0.1"), Int64?.none])
            }
        }
        struct Row: Decodable { let reason: String; let amount: ExactDecimal; let invoice: Int64? }
        let rows = try connection.query("SELECT reason, amount, invoice FROM lines", as: Row.self)
        #expect(rows.map(\.reason) == reasons)
        #expect(rows.allSatisfy { $0.invoice == nil && $0.amount.description == "0.1" })
    }

    @Test func arrayParametersKeepEveryElementAsItIs() throws {
        let texts = [#"a"b"#, #"c\d"#, "e,f", "{g}", " h ", "NULL", "", "ünï"]
        struct Text: Decodable { let value: String }
        let back = try connection.query("SELECT unnest($1::text[]) AS value", [texts], as: Text.self)
        #expect(back.map(\.value) == texts)
        let numbers: [Int64] = [Int64.min, -1, 0, 1, Int64.max]
        struct Number: Decodable { let value: Int64 }
        #expect(try connection.query("SELECT unnest($1::bigint[]) AS value", [numbers], as: Number.self).map(\.value) == numbers)
        #expect(try connection.query("SELECT unnest($1::bigint[]) AS value", [[Int64]()], as: Number.self).isEmpty)
    }

    @Test func nilParametersAreNull() throws {
        let none: String? = nil
        #expect(try connection.queryValue("SELECT $1::text IS NULL AS null", [none], column: "null", as: Bool.self))
        #expect(try connection.queryValue("SELECT $1::text AS value", [Optional("x")], column: "value", as: String.self) == "x")
    }
}
