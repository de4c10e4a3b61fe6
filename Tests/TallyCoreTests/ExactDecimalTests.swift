import Foundation
import Testing
import TallyCore

@Suite struct ExactDecimalTests {
    private static let garbage = [
        "12abc", "1e5", "1E5", "+1", " 1", "1 ", "1.", ".5", "-.5", "", "-", "--1", "1.2.3", "1,5", "0x10",
        "NaN", "Infinity", "1_000", "١٢", "1.-5",
    ]

    // MARK: Parsing

    @Test(arguments: garbage)
    func decimalStringRejectsGarbage(_ text: String) {
        #expect(ExactDecimal(decimalString: text) == nil)
    }

    @Test(arguments: garbage)
    func utf8BytesRejectGarbage(_ text: String) {
        #expect(decimal(utf8: text) == nil)
    }

    @Test(arguments: [
        ("100.0", "100"), ("-0", "0"), ("-0.000", "0"), ("007", "7"), ("-0.250", "-0.25"), ("0.05", "0.05"),
        ("1234.5600", "1234.56"), ("-00012.0", "-12"), ("2000000", "2000000"), ("10.5", "10.5"),
    ])
    func decimalStringIsCanonicalized(_ text: String, _ canonical: String) {
        #expect(ExactDecimal(decimalString: text)?.description == canonical)
        #expect(decimal(utf8: text)?.description == canonical)
    }

    @Test func substringsParseWithoutCopying() {
        let line = "tokens=2000000.50;"
        let cell = line.dropFirst(7).dropLast()
        #expect(ExactDecimal(decimalString: cell) == ExactDecimal(decimalString: "2000000.5"))
    }

    @Test func thirtyEightDigitsIsTheLimit() {
        let nines = String(repeating: "9", count: 38)
        #expect(ExactDecimal(decimalString: nines)?.description == nines)
        #expect(ExactDecimal(decimalString: "-" + nines + ".000")?.description == "-" + nines)
        #expect(ExactDecimal(decimalString: nines + "9") == nil)
        #expect(ExactDecimal(decimalString: "1" + String(repeating: "0", count: 38)) == nil)
        #expect(ExactDecimal(decimalString: String(repeating: "0", count: 60) + "1")?.description == "1")

        let smallest = "0." + String(repeating: "0", count: 37) + "1"
        #expect(ExactDecimal(decimalString: smallest)?.description == smallest)
        #expect(ExactDecimal(decimalString: "0." + String(repeating: "0", count: 38) + "1") == nil)
        #expect(ExactDecimal(decimalString: "1." + String(repeating: "0", count: 60))?.description == "1")
    }

    @Test(arguments: [
        ("2e6", "2000000"), ("1.5E-3", "0.0015"), ("-1.25e+2", "-125"), ("0", "0"), ("-0.0e10", "0"),
        ("100e-2", "1"), ("12.50", "12.5"), ("1E0", "1"), ("0e99999", "0"), ("-0", "0"),
        ("1" + String(repeating: "0", count: 45) + "e-40", "100000"),
    ])
    func jsonNumberAppliesTheExponentExactly(_ literal: String, _ canonical: String) {
        #expect(ExactDecimal(jsonNumber: literal)?.description == canonical)
    }

    @Test(arguments: [
        "01", "-01", "1.", ".5", "+1", "1e", "1e+", "e5", "1e400", "1e-400", "NaN", "", " 1", "1.5e3.2", "0x1",
    ])
    func jsonNumberRejectsWhatJSONDoesNotAllowOrCannotBeHeld(_ literal: String) {
        #expect(ExactDecimal(jsonNumber: literal) == nil)
    }

    // MARK: Equality and order

    @Test func equalityIgnoresScale() throws {
        let plain = try #require(ExactDecimal(decimalString: "100"))
        let padded = try #require(ExactDecimal(decimalString: "100.00"))
        #expect(plain == padded)
        #expect(plain == ExactDecimal(100))
        #expect(plain == ExactDecimal(significand: 10000, scale: 2))
        #expect(plain == ExactDecimal(jsonNumber: "1e2"))
        #expect(Set([plain, padded, ExactDecimal(significand: 1000, scale: 1)]).count == 1)
        #expect(ExactDecimal(significand: 0, scale: 7) == .zero)
        #expect(ExactDecimal(significand: 1500, scale: 3).scale == 1)
    }

    @Test func comparisonIsExactAcrossScales() {
        #expect(d("1.5") < d("2"))
        #expect(d("-2") < d("-1.5"))
        #expect(d("0.09") < d("0.1"))
        #expect(d("-0.1") < d("0"))
        #expect(!(d("2.50") < d("2.5")))
        let huge = d(String(repeating: "9", count: 38))
        let tiny = d("0." + String(repeating: "0", count: 37) + "1")
        #expect(tiny < huge)
        #expect(-huge < -tiny)
        #expect(d("9999999999999999.5") < d("9999999999999999.50000000000000000001"))
        #expect([d("3"), d("-1.25"), d("0.5"), d("-1.3")].sorted() == [d("-1.3"), d("-1.25"), d("0.5"), d("3")])
    }

    // MARK: Arithmetic

    @Test func arithmeticIsExact() {
        #expect(d("0.1") + d("0.2") == d("0.3"))
        #expect(d("1.5") - d("2.25") == d("-0.75"))
        #expect(d("1.5") * d("1.5") == d("2.25"))
        #expect((d("0.5") + d("0.5")).scale == 0)
        #expect(-d("0.25") == d("-0.25"))
        #expect(d("100") * d("0") == .zero)
    }

    @Test func sumThatOverflowsInt128ButNormalizesIsKept() {
        let lhs = d("0.95" + String(repeating: "0", count: 35) + "1")
        let rhs = d("0.85" + String(repeating: "0", count: 35) + "9")
        #expect(lhs.adding(rhs)?.description == "1.8" + String(repeating: "0", count: 35) + "1")
        #expect(lhs.subtracting(-rhs) == lhs.adding(rhs))
    }

    @Test func productThatOverflowsInt128ButNormalizesIsKept() {
        let product = d("1234567890123456789.5").multiplied(by: d("20000000000000000000"))
        #expect(product?.description == "2469135780246913579" + String(repeating: "0", count: 19))
    }

    @Test func overflowIsReportedAsNil() {
        let huge = d(String(repeating: "9", count: 38))
        #expect(huge.adding(d("1")) == nil)
        #expect(huge.adding(huge) == nil)
        #expect((-huge).subtracting(d("1")) == nil)
        #expect(huge.multiplied(by: d("10")) == nil)
        #expect(d("0.0000000000000000000001").multiplied(by: d("0.0000000000000000000001")) == nil)
        #expect(huge.adding(d("-1"))?.description == String(repeating: "9", count: 37) + "8")
    }

    // MARK: Rounding

    @Test(arguments: [
        ("2.345", ExactDecimal.RoundingRule.halfUp, "2.35"), ("-2.345", .halfUp, "-2.34"),
        ("2.344", .halfUp, "2.34"), ("-2.346", .halfUp, "-2.35"), ("-2.3451", .halfUp, "-2.35"),
        ("2.345", .halfAwayFromZero, "2.35"), ("-2.345", .halfAwayFromZero, "-2.35"),
        ("-2.344", .halfAwayFromZero, "-2.34"), ("2.3449", .halfAwayFromZero, "2.34"),
        ("2.341", .up, "2.35"), ("-2.349", .up, "-2.34"), ("2.340", .up, "2.34"),
        ("2.349", .down, "2.34"), ("-2.341", .down, "-2.35"),
        ("2.3", .halfUp, "2.3"), ("-7", .down, "-7"), ("1299.995", .halfUp, "1300"),
    ])
    func roundsToTwoDecimals(_ value: String, _ rule: ExactDecimal.RoundingRule, _ expected: String) {
        #expect(d(value).rounded(scale: 2, rule).description == expected)
    }

    @Test func roundsToWholeNumbers() {
        #expect(d("0.5").rounded(scale: 0, .halfUp) == d("1"))
        #expect(d("-0.5").rounded(scale: 0, .halfUp).description == "0")
        #expect(d("-0.5").rounded(scale: 0, .halfAwayFromZero) == d("-1"))
        #expect(d("-0.4").rounded(scale: 0, .down) == d("-1"))
        #expect(d("-0.4").rounded(scale: 0, .up).description == "0")
        let almostOne = d("0." + String(repeating: "9", count: 38))
        #expect(almostOne.rounded(scale: 0, .up) == d("1"))
        #expect(almostOne.rounded(scale: 0, .down) == .zero)
        #expect((-almostOne).rounded(scale: 0, .halfUp) == d("-1"))
    }

    // MARK: Division and minor units

    @Test(arguments: [
        ("2000001", "1000000", "3"), ("2000000", "1000000", "2"), ("111", "10", "12"), ("0", "10", "0"),
        ("110", "10", "11"), ("12.1", "10", "2"), ("-121", "10", "-12"), ("121", "-10", "-12"),
        ("-121", "-10", "13"), ("0.5", "0.25", "2"), ("1", "0.3", "4"), ("0.000001", "1000000", "1"),
        ("1", "0." + String(repeating: "0", count: 37) + "3", "3" + String(repeating: "3", count: 36) + "4"),
        ("0." + String(repeating: "0", count: 37) + "1", String(repeating: "9", count: 38), "1"),
        ("-0." + String(repeating: "0", count: 37) + "1", String(repeating: "9", count: 38), "0"),
    ])
    func dividesRoundingUp(_ dividend: String, _ divisor: String, _ quotient: String) {
        #expect(d(dividend).dividedRoundingUp(by: d(divisor))?.description == quotient)
    }

    @Test func divisionByZeroOrIntoTooManyDigitsIsNil() {
        #expect(d("5").dividedRoundingUp(by: .zero) == nil)
        #expect(d("1" + String(repeating: "0", count: 37)).dividedRoundingUp(by: d("0.01")) == nil)
    }

    @Test func minorUnits() {
        #expect(d("12.34").minorUnits(scale: 2) == 1234)
        #expect(d("12").minorUnits(scale: 2) == 1200)
        #expect(d("-0.5").minorUnits(scale: 2) == -50)
        #expect(d("12.345").minorUnits(scale: 2) == nil)
        #expect(d("12.345").rounded(scale: 2, .halfUp).minorUnits(scale: 2) == 1235)
        #expect(d("1" + String(repeating: "0", count: 30)).minorUnits(scale: 2) == nil)
        #expect(ExactDecimal.zero.minorUnits(scale: 100) == 0)
        #expect(d("3").minorUnits(scale: 0) == 3)
    }

    @Test func properties() {
        #expect(d("12").isInteger)
        #expect(d("12.000").isInteger)
        #expect(!d("12.5").isInteger)
        #expect(d("-0.1").isNegative)
        #expect(!d("-0").isNegative)
        #expect(d("-42.0").int64Value == -42)
        #expect(d("42.5").int64Value == nil)
        #expect(d("9223372036854775808").int64Value == nil)
        #expect(d("9223372036854775807").int64Value == Int64.max)
    }

    // MARK: Codable

    @Test func codableRoundTripsThroughTheCanonicalString() throws {
        let values = [d("100.50"), d("-0.25"), .zero, d(String(repeating: "9", count: 38))]
        let json = try JSONEncoder().encode(values)
        #expect(String(decoding: json, as: UTF8.self)
            == #"["100.5","-0.25","0","\#(String(repeating: "9", count: 38))"]"#)
        #expect(try JSONDecoder().decode([ExactDecimal].self, from: json) == values)
    }

    @Test(arguments: [#"["12abc"]"#, #"[12]"#, #"["1e5"]"#, #"[""]"#])
    func decodingRejectsAnythingButACanonicalDecimalString(_ json: String) {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([ExactDecimal].self, from: Data(json.utf8))
        }
    }

    // MARK: Helpers

    private func d(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> ExactDecimal {
        guard let value = ExactDecimal(decimalString: text) else {
            Issue.record("\"\(text)\" should parse", sourceLocation: sourceLocation)
            return .zero
        }
        return value
    }

    private func decimal(utf8 text: String) -> ExactDecimal? {
        Array(text.utf8).withUnsafeBufferPointer { ExactDecimal(utf8: $0) }
    }
}
