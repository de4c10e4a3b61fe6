import Testing
import TallyCore

/// `ExactDecimal` against `ReferenceDecimal` (digit arrays, no fixed width) on thousands of
/// generated values: every result it gives is the exact one, and it gives nil exactly when the
/// exact result does not fit 38 digits and 38 decimals.
///
/// The values come from a seeded generator, so a failure names its operands and repeats on every
/// run. They favour the edges: 1–3 digits (where ties are common), 36–38 digits, scales up to 38.
@Suite struct ExactDecimalPropertyTests {
    private static let cases = 4_000

    @Test func textReadsBackAsTheSameValue() {
        var random = SeededRandom(seed: 1)
        for _ in 0..<Self.cases {
            let text = random.decimalText(maxDigits: 42)
            let reference = ReferenceDecimal(text)
            let parsed = ExactDecimal(decimalString: text)
            guard let reference, reference.fitsExactDecimal else {
                #expect(parsed == nil, "\(text) is beyond 38 digits or decimals, yet parsed")
                continue
            }
            #expect(parsed?.description == reference.description, "\(text)")
            #expect(parsed.flatMap { ExactDecimal(decimalString: $0.description) } == parsed, "\(text)")
        }
    }

    @Test func sumsDifferencesAndProductsAreExactOrNil() {
        var random = SeededRandom(seed: 2)
        for _ in 0..<Self.cases {
            let (a, x) = random.pair()
            let (b, y) = random.pair()
            expect(a.adding(b), equals: x + y, "\(a) + \(b)")
            expect(a.subtracting(b), equals: x - y, "\(a) - \(b)")
            expect(a.multiplied(by: b), equals: x * y, "\(a) × \(b)")
        }
    }

    @Test func comparisonAgreesWithTheExactValues() {
        var random = SeededRandom(seed: 3)
        for _ in 0..<Self.cases {
            let (a, x) = random.pair()
            // Half the time compare with a near neighbour: the same value at another scale, or one unit off.
            let (b, y) = random.next() % 2 == 0 ? random.pair() : random.neighbour(of: x)
            #expect((a < b) == (x < y), "\(a) < \(b)")
            #expect((a == b) == (x - y).isZero, "\(a) == \(b)")
        }
    }

    @Test(arguments: [
        (ExactDecimal.RoundingRule.halfUp, ReferenceDecimal.Rounding.nearestTieUp),
        (.halfAwayFromZero, .nearestTieAwayFromZero), (.up, .ceiling), (.down, .floor),
    ])
    func roundingFollowsItsRule(_ rule: ExactDecimal.RoundingRule, _ definition: ReferenceDecimal.Rounding) {
        var random = SeededRandom(seed: 4)
        for _ in 0..<Self.cases {
            let (a, x) = random.pair()
            let places = Int(random.next() % 7)
            let rounded = a.rounded(scale: places, rule)
            #expect(rounded.description == x.rounded(scale: places, definition).description, "\(a) to \(places) places")
            #expect(rounded.scale <= places)
        }
    }

    @Test(arguments: [
        (ExactDecimal.RoundingRule.halfUp, ReferenceDecimal.Rounding.nearestTieUp),
        (.halfAwayFromZero, .nearestTieAwayFromZero), (.up, .ceiling), (.down, .floor),
    ])
    func divisionIsExactlyRoundedOrNil(_ rule: ExactDecimal.RoundingRule, _ definition: ReferenceDecimal.Rounding) {
        var random = SeededRandom(seed: 5)
        var computed = 0
        for _ in 0..<Self.cases {
            let (a, x) = random.pair()
            let (b, y) = random.pair()
            let places = Int(random.next() % 13)
            let quotient = a.divided(by: b, scale: places, rule)
            guard let exact = x.divided(by: y, scale: places, definition) else {
                #expect(quotient == nil, "\(a) ÷ \(b) by zero")
                continue
            }
            // A nil may also come from an intermediate value beyond 38 digits; a value must be exact.
            if let quotient {
                computed += 1
                #expect(quotient.description == exact.description, "\(a) ÷ \(b) to \(places) places")
            } else {
                #expect(!(exact.fitsExactDecimal && a.digitCount <= 18 && b.digitCount <= 18 && b.scale + places <= 18),
                        "\(a) ÷ \(b) to \(places) places is \(exact), yet nil")
            }
        }
        #expect(computed > Self.cases / 3, "only \(computed) quotients were computed")
    }

    @Test func ceilingDivisionIsExactOrNil() {
        var random = SeededRandom(seed: 6)
        for _ in 0..<Self.cases {
            let (a, x) = random.pair()
            let (b, y) = random.pair()
            guard let exact = x.divided(by: y, scale: 0, .ceiling) else {
                #expect(a.dividedRoundingUp(by: b) == nil, "\(a) ÷ \(b) by zero")
                continue
            }
            expect(a.dividedRoundingUp(by: b), equals: exact, "⌈\(a) ÷ \(b)⌉")
        }
    }

    @Test func minorUnitsAreExactOrNil() {
        var random = SeededRandom(seed: 7)
        for _ in 0..<Self.cases {
            let (a, x) = random.pair(maxDigits: 20)
            let places = Int(random.next() % 8)
            #expect(a.minorUnits(scale: places) == x.minorUnits(scale: places), "\(a) in units of 10^-\(places)")
        }
    }

    private func expect(
        _ value: ExactDecimal?, equals exact: ReferenceDecimal, _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        if exact.fitsExactDecimal {
            #expect(value?.description == exact.description, "\(what) = \(exact)", sourceLocation: sourceLocation)
        } else {
            #expect(value == nil, "\(what) = \(exact) needs more than 38 digits or decimals", sourceLocation: sourceLocation)
        }
    }
}

extension SeededRandom {
    /// `-?[0-9]+(\.[0-9]+)?` with up to `maxDigits` digits, leading and trailing zeros included.
    mutating func decimalText(maxDigits: Int) -> String {
        let count: Int
        switch next() % 4 {
        case 0: count = Int.random(in: 1...3, using: &self)
        case 1: count = Int.random(in: max(1, maxDigits - 6)...maxDigits, using: &self)
        default: count = Int.random(in: 1...maxDigits, using: &self)
        }
        var digits = String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &self))) })
        let scale = next() % 3 == 0 ? 0 : Int.random(in: 0...min(38, count + 2), using: &self)
        if scale > 0 {
            if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return (next() % 2 == 0 ? "-" : "") + digits
    }

    /// A value within `ExactDecimal`'s range, with its reference twin.
    mutating func pair(maxDigits: Int = 38) -> (ExactDecimal, ReferenceDecimal) {
        while true {
            let text = decimalText(maxDigits: maxDigits)
            if let value = ExactDecimal(decimalString: text), let reference = ReferenceDecimal(text) {
                return (value, reference)
            }
        }
    }

    /// `value` written with extra trailing zeros, or one unit of its last place away.
    mutating func neighbour(of value: ReferenceDecimal) -> (ExactDecimal, ReferenceDecimal) {
        let unit = ReferenceDecimal(negative: next() % 2 == 0, digits: [1], scale: value.scale)
        for candidate in [value + unit, value] {
            let text = next() % 2 == 0 && candidate.description.contains(".") ? candidate.description + "00" : candidate.description
            if let exact = ExactDecimal(decimalString: text), let reference = ReferenceDecimal(text) { return (exact, reference) }
        }
        return pair()
    }
}

extension ExactDecimal {
    /// Significant digits of the significand.
    fileprivate var digitCount: Int { String(significand.magnitude).count }
}
