/// A decimal of any size, held as base-10 digits, against which `ExactDecimal` is checked.
///
/// Deliberately naive and independent of `ExactDecimal`'s 128/256-bit arithmetic: schoolbook
/// addition, multiplication and long division on digit arrays, and rounding written from the
/// rules' definitions (floor, ceiling, nearest with a tie rule) rather than from the code under test.
struct ReferenceDecimal: CustomStringConvertible {
    /// |value| × 10^scale, least significant digit first, without leading zeros (empty for 0).
    private(set) var digits: [UInt8]
    private(set) var negative: Bool
    private(set) var scale: Int

    init(negative: Bool, digits: [UInt8], scale: Int) {
        (self.negative, self.digits, self.scale) = (negative, digits, scale)
        normalize()
    }

    /// Parses `-?[0-9]+(\.[0-9]+)?`; nil for anything else.
    init?(_ text: String) {
        var body = Substring(text)
        let negative = body.first == "-"
        if negative { body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        let all = parts.joined()
        self.init(negative: negative, digits: all.utf8.reversed().map { $0 - 48 }, scale: parts.count == 2 ? parts[1].count : 0)
    }

    var isZero: Bool { digits.isEmpty }

    /// Within `ExactDecimal`'s range: at most 38 significant digits and 38 decimals.
    var fitsExactDecimal: Bool { digits.count <= 38 && scale <= 38 }

    /// The same canonical text `ExactDecimal.description` promises: no `-0`, no superfluous zero.
    var description: String {
        guard !isZero else { return "0" }
        var text = String(digits.reversed().map { Character(String($0)) })
        if scale > 0 {
            if text.count <= scale { text = String(repeating: "0", count: scale - text.count + 1) + text }
            text.insert(".", at: text.index(text.endIndex, offsetBy: -scale))
        }
        return negative ? "-" + text : text
    }

    static prefix func - (value: ReferenceDecimal) -> ReferenceDecimal {
        ReferenceDecimal(negative: !value.negative, digits: value.digits, scale: value.scale)
    }

    static func + (lhs: ReferenceDecimal, rhs: ReferenceDecimal) -> ReferenceDecimal {
        let scale = max(lhs.scale, rhs.scale)
        let a = shifted(lhs.digits, by: scale - lhs.scale)
        let b = shifted(rhs.digits, by: scale - rhs.scale)
        if lhs.negative == rhs.negative { return ReferenceDecimal(negative: lhs.negative, digits: add(a, b), scale: scale) }
        if compare(a, b) >= 0 { return ReferenceDecimal(negative: lhs.negative, digits: subtract(a, b), scale: scale) }
        return ReferenceDecimal(negative: rhs.negative, digits: subtract(b, a), scale: scale)
    }

    static func - (lhs: ReferenceDecimal, rhs: ReferenceDecimal) -> ReferenceDecimal { lhs + -rhs }

    static func * (lhs: ReferenceDecimal, rhs: ReferenceDecimal) -> ReferenceDecimal {
        ReferenceDecimal(
            negative: lhs.negative != rhs.negative, digits: multiply(lhs.digits, rhs.digits), scale: lhs.scale + rhs.scale)
    }

    static func < (lhs: ReferenceDecimal, rhs: ReferenceDecimal) -> Bool { (lhs - rhs).negative }

    enum Rounding { case ceiling, floor, nearestTieUp, nearestTieAwayFromZero }

    /// `self` with at most `target` decimals.
    func rounded(scale target: Int, _ rule: Rounding) -> ReferenceDecimal {
        guard scale > target else { return self }
        return quotient(digits, ReferenceDecimal.shifted([1], by: scale - target), negative: negative, scale: target, rule)
    }

    /// `self ÷ divisor` with `target` decimals; nil for a zero divisor.
    func divided(by divisor: ReferenceDecimal, scale target: Int, _ rule: Rounding) -> ReferenceDecimal? {
        guard !divisor.isZero else { return nil }
        // self ÷ divisor × 10^target = (digits × 10^(divisor.scale + target)) ÷ (divisor.digits × 10^scale).
        let numerator = ReferenceDecimal.shifted(digits, by: divisor.scale + target)
        let denominator = ReferenceDecimal.shifted(divisor.digits, by: scale)
        return quotient(numerator, denominator, negative: negative != divisor.negative, scale: target, rule)
    }

    /// `self × 10^places` as an `Int64`: nil if that is not a whole number or does not fit.
    func minorUnits(scale places: Int) -> Int64? {
        guard places >= scale else { return nil }
        let whole = ReferenceDecimal.shifted(digits, by: places - scale)
        let limit = ReferenceDecimal.digits(of: negative ? "9223372036854775808" : "9223372036854775807")
        guard ReferenceDecimal.compare(whole, limit) <= 0 else { return nil }
        let magnitude = whole.reversed().reduce(UInt64(0)) { $0 * 10 + UInt64($1) }
        return negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude)
    }

    // MARK: - Rounding a quotient by definition

    /// (numerator ÷ denominator) × 10^-scale with sign `negative`, rounded to a whole number of
    /// 10^-scale by `rule`: between the floor and the ceiling of the exact value, choose by the rule.
    private func quotient(_ numerator: [UInt8], _ denominator: [UInt8], negative: Bool, scale: Int, _ rule: Rounding)
        -> ReferenceDecimal
    {
        let (whole, remainder) = ReferenceDecimal.divide(numerator, denominator)
        if remainder.isEmpty { return ReferenceDecimal(negative: negative, digits: whole, scale: scale) }
        let truncated = ReferenceDecimal(negative: negative, digits: whole, scale: scale)
        let step = ReferenceDecimal(negative: negative, digits: [1], scale: scale)
        // The exact value lies strictly between `truncated` and `truncated + step` (away from zero).
        let (floor, ceiling) = negative ? (truncated + step, truncated) : (truncated, truncated + step)
        // How far the exact value is past `truncated`, compared with half a step.
        let half = ReferenceDecimal.compare(ReferenceDecimal.add(remainder, remainder), denominator)
        let awayFromZero = negative ? floor : ceiling
        let towardZero = truncated
        switch rule {
        case .ceiling: return ceiling
        case .floor: return floor
        case .nearestTieAwayFromZero: return half >= 0 ? awayFromZero : towardZero
        case .nearestTieUp: return half > 0 ? awayFromZero : half < 0 ? towardZero : ceiling
        }
    }

    // MARK: - Digit arithmetic

    private mutating func normalize() {
        while digits.last == 0 { digits.removeLast() }
        while scale > 0, digits.first == 0 {
            digits.removeFirst()
            scale -= 1
        }
        if digits.isEmpty { (negative, scale) = (false, 0) }
    }

    private static func digits(of text: String) -> [UInt8] { text.utf8.reversed().map { $0 - 48 } }

    private static func trimmed(_ digits: [UInt8]) -> [UInt8] {
        var digits = digits
        while digits.last == 0 { digits.removeLast() }
        return digits
    }

    static func shifted(_ digits: [UInt8], by places: Int) -> [UInt8] {
        digits.isEmpty ? [] : Array(repeating: 0, count: places) + digits
    }

    private static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        let (a, b) = (trimmed(a), trimmed(b))
        if a.count != b.count { return a.count < b.count ? -1 : 1 }
        for index in stride(from: a.count - 1, through: 0, by: -1) where a[index] != b[index] {
            return a[index] < b[index] ? -1 : 1
        }
        return 0
    }

    private static func add(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var carry = 0
        for index in 0..<max(a.count, b.count) {
            let sum = Int(index < a.count ? a[index] : 0) + Int(index < b.count ? b[index] : 0) + carry
            result.append(UInt8(sum % 10))
            carry = sum / 10
        }
        if carry > 0 { result.append(UInt8(carry)) }
        return trimmed(result)
    }

    /// a − b for a ≥ b.
    private static func subtract(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var borrow = 0
        for index in 0..<a.count {
            var difference = Int(a[index]) - Int(index < b.count ? b[index] : 0) - borrow
            borrow = difference < 0 ? 1 : 0
            if difference < 0 { difference += 10 }
            result.append(UInt8(difference))
        }
        precondition(borrow == 0, "subtract needs a ≥ b")
        return trimmed(result)
    }

    private static func multiply(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        guard !a.isEmpty, !b.isEmpty else { return [] }
        var result = [Int](repeating: 0, count: a.count + b.count)
        for (i, x) in a.enumerated() {
            for (j, y) in b.enumerated() { result[i + j] += Int(x) * Int(y) }
        }
        for index in 0..<(result.count - 1) {
            result[index + 1] += result[index] / 10
            result[index] %= 10
        }
        return trimmed(result.map { UInt8($0) })
    }

    /// Long division: (quotient, remainder) of a ÷ b for b ≠ 0.
    private static func divide(_ a: [UInt8], _ b: [UInt8]) -> (quotient: [UInt8], remainder: [UInt8]) {
        var quotient: [UInt8] = []
        var remainder: [UInt8] = []
        for digit in a.reversed() {
            remainder = trimmed([digit] + remainder)
            var count: UInt8 = 0
            while compare(remainder, b) >= 0 {
                remainder = subtract(remainder, b)
                count += 1
            }
            quotient.insert(count, at: 0)
        }
        return (trimmed(quotient), remainder)
    }
}
