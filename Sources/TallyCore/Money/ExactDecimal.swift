/// An exact decimal number, `significand × 10^-scale`, for money, units and prices.
///
/// No binary floating point is involved anywhere: values are parsed from text by our own strict grammar
/// and every operation is exact or reports that it cannot be. A value has at most 38 digits and at most
/// 38 decimals, so any operand fits `Int128` and any product of two significands fits 256 bits.
/// The stored form is normalized (no trailing zero digit when `scale > 0`; zero has scale 0), which
/// makes the synthesized `==` and `hash(into:)` compare by meaning: `100 == 100.00`.
public struct ExactDecimal: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The most digits a significand may have, and the most decimals a value may have.
    public static let maxDigits = 38

    public static let zero = ExactDecimal(unchecked: 0, scale: 0)

    /// The digits of the value without its decimal point; never has a trailing zero when `scale > 0`.
    public let significand: Int128
    /// How many of the significand's digits are decimals (≥ 0).
    public let scale: Int

    private init(unchecked significand: Int128, scale: Int) {
        self.significand = significand
        self.scale = scale
    }

    public init(_ integer: Int) {
        self.init(unchecked: Int128(integer), scale: 0)
    }

    /// `significand × 10^-scale`, normalized. Traps when the normalized value needs more than 38 digits
    /// or 38 decimals; use it for values known to be small, such as amounts in minor units.
    public init(significand: Int128, scale: Int) {
        precondition(scale >= 0, "ExactDecimal scale must be >= 0 (got \(scale))")
        guard let value = ExactDecimal.normalized(significand, scale: scale) else {
            preconditionFailure("\(significand)e-\(scale) does not fit in 38 digits with at most 38 decimals")
        }
        self = value
    }

    /// Parses `-?[0-9]+(\.[0-9]+)?` exactly and nothing else: no `+`, spaces, exponent, `.5` or `5.`.
    ///
    /// Leading zeros are allowed (`007` is 7). Nil when the value needs more than 38 digits or decimals.
    public init?(decimalString: some StringProtocol) {
        guard let value = ExactDecimal.parse(decimalString, .plainDecimal) else { return nil }
        self = value
    }

    /// The strict grammar of `init?(decimalString:)` on raw UTF-8 bytes, without creating a `String`.
    public init?(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        guard let value = ExactDecimal.parse(bytes, .plainDecimal) else { return nil }
        self = value
    }

    /// Parses a JSON number (RFC 8259: `-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`), applying the exponent exactly.
    ///
    /// Nil when the text is not a JSON number or its value needs more than 38 digits or decimals.
    public init?(jsonNumber: String) {
        guard let value = ExactDecimal.parse(jsonNumber, .jsonNumber) else { return nil }
        self = value
    }

    /// The canonical text: `100`, `100.5`, `-0.25`, `0`; never `-0`, an exponent or a superfluous zero.
    public var description: String {
        let digits = Array(String(significand.magnitude).utf8)
        var text: [UInt8] = []
        text.reserveCapacity(digits.count + 3)
        if significand < 0 { text.append(UInt8(ascii: "-")) }
        if scale == 0 {
            text += digits
        } else if digits.count > scale {
            text += digits[..<(digits.count - scale)]
            text.append(UInt8(ascii: "."))
            text += digits[(digits.count - scale)...]
        } else {
            text += [UInt8(ascii: "0"), UInt8(ascii: ".")]
            text += repeatElement(UInt8(ascii: "0"), count: scale - digits.count)
            text += digits
        }
        return String(decoding: text, as: UTF8.self)
    }

    public var isInteger: Bool { scale == 0 }

    public var isNegative: Bool { significand < 0 }

    /// The value as an `Int64` when it is a whole number in range.
    public var int64Value: Int64? {
        scale == 0 ? Int64(exactly: significand) : nil
    }

    /// `self × 10^scale` when that is a whole number that fits `Int64`, e.g. cents for `scale: 2`.
    /// Nil when the value has more decimals than `scale`: round first.
    public func minorUnits(scale target: Int) -> Int64? {
        precondition(target >= 0, "minor unit scale must be >= 0 (got \(target))")
        guard target >= scale else { return nil }
        if significand == 0 { return 0 }
        guard target - scale <= ExactDecimal.maxDigits else { return nil }
        let shifted = significand.multipliedReportingOverflow(by: Int128(ExactDecimal.powerOfTen(target - scale)))
        return shifted.overflow ? nil : Int64(exactly: shifted.partialValue)
    }
}

// MARK: - Arithmetic

extension ExactDecimal {
    /// The exact sum, or nil when it needs more than 38 digits.
    public func adding(_ other: ExactDecimal) -> ExactDecimal? {
        let target = max(scale, other.scale)
        let lhs = significand.multipliedReportingOverflow(by: Int128(ExactDecimal.powerOfTen(target - scale)))
        let rhs = other.significand.multipliedReportingOverflow(
            by: Int128(ExactDecimal.powerOfTen(target - other.scale)))
        if !lhs.overflow, !rhs.overflow {
            let sum = lhs.partialValue.addingReportingOverflow(rhs.partialValue)
            if !sum.overflow { return ExactDecimal.normalized(sum.partialValue, scale: target) }
        }
        // Int128 overflowed, yet the normalized sum may still fit (0.95…01 + 0.85…09): redo it in 256 bits.
        let lhsMagnitude = UInt256(significand.magnitude, timesPowerOfTen: target - scale)
        let rhsMagnitude = UInt256(other.significand.magnitude, timesPowerOfTen: target - other.scale)
        if isNegative == other.isNegative {
            return ExactDecimal.normalized(negative: isNegative, lhsMagnitude + rhsMagnitude, scale: target)
        }
        if lhsMagnitude < rhsMagnitude {
            return ExactDecimal.normalized(negative: other.isNegative, rhsMagnitude - lhsMagnitude, scale: target)
        }
        return ExactDecimal.normalized(negative: isNegative, lhsMagnitude - rhsMagnitude, scale: target)
    }

    /// The exact difference, or nil when it needs more than 38 digits.
    public func subtracting(_ other: ExactDecimal) -> ExactDecimal? {
        adding(-other)
    }

    /// The exact product, or nil when it needs more than 38 digits or 38 decimals.
    public func multiplied(by other: ExactDecimal) -> ExactDecimal? {
        let product = significand.multipliedReportingOverflow(by: other.significand)
        if !product.overflow { return ExactDecimal.normalized(product.partialValue, scale: scale + other.scale) }
        let magnitude = UInt256(significand.magnitude.multipliedFullWidth(by: other.significand.magnitude))
        return ExactDecimal.normalized(
            negative: isNegative != other.isNegative, magnitude, scale: scale + other.scale)
    }

    /// Traps when the sum needs more than 38 digits; `adding(_:)` reports it instead.
    public static func + (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        guard let sum = lhs.adding(rhs) else { preconditionFailure("ExactDecimal overflow: \(lhs) + \(rhs)") }
        return sum
    }

    /// Traps when the difference needs more than 38 digits; `subtracting(_:)` reports it instead.
    public static func - (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        guard let difference = lhs.subtracting(rhs) else {
            preconditionFailure("ExactDecimal overflow: \(lhs) - \(rhs)")
        }
        return difference
    }

    /// Traps when the product needs more than 38 digits or decimals; `multiplied(by:)` reports it instead.
    public static func * (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        guard let product = lhs.multiplied(by: rhs) else {
            preconditionFailure("ExactDecimal overflow: \(lhs) * \(rhs)")
        }
        return product
    }

    public static prefix func - (operand: ExactDecimal) -> ExactDecimal {
        ExactDecimal(unchecked: -operand.significand, scale: operand.scale)
    }

    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        if lhs.scale == rhs.scale { return lhs.significand < rhs.significand }
        if lhs.isNegative != rhs.isNegative { return lhs.isNegative }
        let target = max(lhs.scale, rhs.scale)
        let lhsMagnitude = UInt256(lhs.significand.magnitude, timesPowerOfTen: target - lhs.scale)
        let rhsMagnitude = UInt256(rhs.significand.magnitude, timesPowerOfTen: target - rhs.scale)
        return lhs.isNegative ? rhsMagnitude < lhsMagnitude : lhsMagnitude < rhsMagnitude
    }
}

// MARK: - Rounding and division

extension ExactDecimal {
    public enum RoundingRule: Sendable {
        /// To the nearest; a tie goes toward +∞ (−2.345 → −2.34). The rule for fee amounts.
        case halfUp
        /// To the nearest; a tie goes away from zero (−2.345 → −2.35). The rule for prorations.
        case halfAwayFromZero
        /// Toward +∞ (ceiling).
        case up
        /// Toward −∞ (floor).
        case down
    }

    /// The value with at most `scale` decimals, rounded by `rule`; unchanged if it already has no more.
    public func rounded(scale target: Int, _ rule: RoundingRule) -> ExactDecimal {
        precondition(target >= 0, "rounding scale must be >= 0 (got \(target))")
        guard scale > target else { return self }
        let divisor = ExactDecimal.powerOfTen(scale - target)
        var (quotient, remainder) = significand.quotientAndRemainder(dividingBy: Int128(divisor))
        if remainder != 0 {
            // `quotient` is truncated toward zero; decide whether to step one unit up or down from it.
            let positive = remainder > 0
            let twiceRemainder = remainder.magnitude * 2  // < 2·10^38 < 2^128
            let step: Int128
            switch rule {
            case .up: step = positive ? 1 : 0
            case .down: step = positive ? 0 : -1
            case .halfUp: step = positive ? (twiceRemainder >= divisor ? 1 : 0) : (twiceRemainder > divisor ? -1 : 0)
            case .halfAwayFromZero: step = twiceRemainder >= divisor ? (positive ? 1 : -1) : 0
            }
            quotient += step
        }
        return ExactDecimal(significand: quotient, scale: target)
    }

    /// ⌈self ÷ divisor⌉ as a whole number, computed exactly; nil if `divisor` is 0 or the result
    /// needs more than 38 digits. Used for package counts: ⌈paid units ÷ package size⌉.
    public func dividedRoundingUp(by divisor: ExactDecimal) -> ExactDecimal? {
        guard divisor.significand != 0 else { return nil }
        guard significand != 0 else { return .zero }
        let target = max(scale, divisor.scale)
        let numerator = UInt256(significand.magnitude, timesPowerOfTen: target - scale)
        let denominator = UInt256(divisor.significand.magnitude, timesPowerOfTen: target - divisor.scale)
        let quotient: UInt256
        let isExact: Bool
        if denominator.high != 0 {
            // Only the divisor was scaled up, so it exceeds 2^128 > numerator: |self ÷ divisor| < 1.
            (quotient, isExact) = (UInt256(0), false)
        } else {
            let division = numerator.quotientAndRemainder(dividingBy: denominator.low)
            (quotient, isExact) = (division.quotient, division.remainder == 0)
        }
        let negative = isNegative != divisor.isNegative
        // Truncation toward zero is already the ceiling for a negative quotient.
        let magnitude = negative || isExact ? quotient : quotient + UInt256(1)
        return ExactDecimal.normalized(negative: negative, magnitude, scale: 0)
    }
}

// MARK: - Codable

extension ExactDecimal {
    /// Decodes the canonical string form (`"12.50"`); a JSON number or any other text is an error.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = ExactDecimal(decimalString: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "expected a decimal number such as \"12.50\" (got \"\(text)\")")
        }
        self = value
    }

    /// Encodes as a string holding `description`, so no JSON reader turns it into a float.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

// MARK: - Parsing and normalization

extension ExactDecimal {
    private enum Grammar {
        /// `-?[0-9]+(\.[0-9]+)?`: CSV cells, string properties, catalog amounts.
        case plainDecimal
        /// RFC 8259 numbers: no leading zeros, optional exponent.
        case jsonNumber
    }

    private static func parse(_ text: some StringProtocol, _ grammar: Grammar) -> ExactDecimal? {
        if let value = text.utf8.withContiguousStorageIfAvailable({ parse($0, grammar) }) { return value }
        var copy = String(text)
        return copy.withUTF8 { parse($0, grammar) }
    }

    /// One pass over the bytes. Zero digits are counted rather than accumulated until a non-zero digit
    /// follows, so leading zeros and trailing zeros (`1.50`, `1000e-3`) never count against 38 digits.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ grammar: Grammar) -> ExactDecimal? {
        let count = bytes.count
        var index = 0
        let negative = index < count && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }

        var magnitude: UInt128 = 0
        var digits = 0  // digits in `magnitude`
        var pendingZeros = 0  // zeros read after the last non-zero digit, not yet in `magnitude`
        var fractionDigits = 0

        func readDigits() -> Int {
            let start = index
            while index < count {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                if digit == 0 {
                    pendingZeros += 1
                } else if magnitude == 0 {
                    magnitude = UInt128(digit)
                    digits = 1
                    pendingZeros = 0
                } else {
                    digits += pendingZeros + 1
                    guard digits <= maxDigits else { return -1 }
                    magnitude = magnitude * powerOfTen(pendingZeros + 1) + UInt128(digit)
                    pendingZeros = 0
                }
                index += 1
            }
            return index - start
        }

        let integerStart = index
        let integerDigits = readDigits()
        guard integerDigits > 0 else { return nil }
        if grammar == .jsonNumber, integerDigits > 1, bytes[integerStart] == UInt8(ascii: "0") { return nil }
        if index < count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            fractionDigits = readDigits()
            guard fractionDigits > 0 else { return nil }
        }

        var exponent = 0
        if grammar == .jsonNumber, index < count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            let exponentNegative = index < count && bytes[index] == UInt8(ascii: "-")
            if index < count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
            let start = index
            while index < count {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                // Far beyond any representable value, and small enough that nothing below overflows.
                exponent = min(exponent * 10 + Int(digit), 1 << 40)
                index += 1
            }
            guard index > start else { return nil }
            if exponentNegative { exponent = -exponent }
        }
        guard index == count else { return nil }
        if magnitude == 0 { return .zero }

        // value = magnitude × 10^pendingZeros × 10^-fractionDigits × 10^exponent
        var scale = fractionDigits - pendingZeros - exponent
        if scale < 0 {
            guard digits - scale <= maxDigits else { return nil }
            magnitude *= powerOfTen(-scale)
            scale = 0
        }
        guard scale <= maxDigits else { return nil }
        let significand = Int128(magnitude)
        return ExactDecimal(unchecked: negative ? -significand : significand, scale: scale)
    }

    /// Strips trailing zero digits while `scale > 0`; nil when the result exceeds 38 digits or decimals.
    private static func normalized(_ significand: Int128, scale: Int) -> ExactDecimal? {
        guard significand != 0 else { return .zero }
        var significand = significand
        var scale = scale
        while scale > 0 {
            let (quotient, remainder) = significand.quotientAndRemainder(dividingBy: 10)
            guard remainder == 0 else { break }
            significand = quotient
            scale -= 1
        }
        guard scale <= maxDigits, significand.magnitude < powerOfTen(maxDigits) else { return nil }
        return ExactDecimal(unchecked: significand, scale: scale)
    }

    private static func normalized(negative: Bool, _ magnitude: UInt256, scale: Int) -> ExactDecimal? {
        var magnitude = magnitude
        var scale = scale
        while scale > 0 {
            let (quotient, remainder) = magnitude.quotientAndRemainder(dividingBy: 10)
            guard remainder == 0 else { break }
            magnitude = quotient
            scale -= 1
        }
        guard scale <= maxDigits, magnitude.high == 0, magnitude.low < powerOfTen(maxDigits) else { return nil }
        let significand = Int128(magnitude.low)
        return ExactDecimal(unchecked: negative ? -significand : significand, scale: scale)
    }

    private static let powersOfTen: [UInt128] = {
        var powers: [UInt128] = [1]
        for _ in 0..<maxDigits { powers.append(powers[powers.count - 1] * 10) }
        return powers
    }()

    /// 10^exponent for 0 ≤ exponent ≤ 38 (10^38 < 2^127, so it also fits `Int128`).
    fileprivate static func powerOfTen(_ exponent: Int) -> UInt128 {
        powersOfTen[exponent]
    }
}

/// An unsigned 256-bit integer: room for any product of two 38-digit significands, or one scaled by 10^38.
private struct UInt256: Comparable {
    var high: UInt128
    var low: UInt128

    init(_ value: UInt128) {
        (high, low) = (0, value)
    }

    init(_ parts: (high: UInt128, low: UInt128)) {
        (high, low) = parts
    }

    init(_ value: UInt128, timesPowerOfTen exponent: Int) {
        self.init(value.multipliedFullWidth(by: ExactDecimal.powerOfTen(exponent)))
    }

    static func < (lhs: UInt256, rhs: UInt256) -> Bool {
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }

    /// Callers add values below 2^255, so the high word cannot overflow.
    static func + (lhs: UInt256, rhs: UInt256) -> UInt256 {
        let low = lhs.low.addingReportingOverflow(rhs.low)
        return UInt256((lhs.high + rhs.high + (low.overflow ? 1 : 0), low.partialValue))
    }

    /// Requires `lhs >= rhs`.
    static func - (lhs: UInt256, rhs: UInt256) -> UInt256 {
        let low = lhs.low.subtractingReportingOverflow(rhs.low)
        return UInt256((lhs.high - rhs.high - (low.overflow ? 1 : 0), low.partialValue))
    }

    func quotientAndRemainder(dividingBy divisor: UInt128) -> (quotient: UInt256, remainder: UInt128) {
        let high = self.high.quotientAndRemainder(dividingBy: divisor)
        let low = divisor.dividingFullWidth((high.remainder, self.low))
        return (UInt256((high.quotient, low.quotient)), low.remainder)
    }
}
