/// The largest figures Tally takes in, checked where they enter (an event at ingest, a catalog
/// value at apply), so that what follows is exact: a month's sum of an event figure stays within
/// the 38 digits of `ExactDecimal` (and of what `numeric` hands back), and a realistic invoice's
/// amounts within 64-bit minor units. Rating and settlement still check every step, so that a
/// figure beyond them (an event stored before these limits, an extreme price) stops only the
/// invoice it belongs to, with a message, never a close.
public enum BillingLimits {
    /// A digit budget: at most `integerDigits` digits before the decimal point and
    /// `fractionDigits` after it (trailing zeros not counted).
    public struct Digits: Sendable, CustomStringConvertible {
        public let integerDigits: Int
        public let fractionDigits: Int

        public func admits(_ value: ExactDecimal) -> Bool {
            let digits = value.digitCounts
            return digits.integer <= integerDigits && digits.fraction <= fractionDigits
        }

        /// "at most 15 digits before the decimal point and 12 after it".
        public var description: String {
            fractionDigits == 0
                ? "at most \(integerDigits) digits"
                : "at most \(integerDigits) digits before the decimal point and \(fractionDigits) after it"
        }
    }

    /// An event's aggregated value (`properties[field_name]`). A month of up to 10^11 such events
    /// in one bucket still sums within 38 digits.
    public static let eventUnits = Digits(integerDigits: 15, fractionDigits: 12)

    /// A package charge's price per package (`amount`).
    public static let price = Digits(integerDigits: 9, fractionDigits: 12)

    /// `free_units` and `package_size`: whole numbers.
    public static let unitCount = Digits(integerDigits: 15, fractionDigits: 0)

    /// A plan's `trial_period`, in days: six decimals keep its end on a whole microsecond.
    public static let trialDays = Digits(integerDigits: 5, fractionDigits: 6)

    /// A plan's `amount_cents`.
    public static let planAmountCents: ClosedRange<Int64> = 0...999_999_999_999_999

    /// A charge's `min_amount_cents` and a plan's `minimum_commitment.amount_cents`: bounded like the
    /// plan's fee, so that their prorations and shortfalls stay within 64-bit minor units.
    public static let minimumAmountCents: ClosedRange<Int64> = planAmountCents

    /// A wallet's `paid_credits` and `granted_credits`.
    public static let credits = Digits(integerDigits: 15, fractionDigits: 12)

    /// A wallet's `rate_amount`, the value of one credit.
    public static let rate = Digits(integerDigits: 9, fractionDigits: 12)

    /// A tax's `rate`, a percentage.
    public static let taxRate = Digits(integerDigits: 3, fractionDigits: 6)
}

extension ExactDecimal {
    /// How many digits the value has before the decimal point (0 when |value| < 1) and after it,
    /// trailing zeros not counted.
    public var digitCounts: (integer: Int, fraction: Int) {
        var magnitude = significand.magnitude
        var scale = self.scale
        while scale > 0, magnitude % 10 == 0 {
            magnitude /= 10
            scale -= 1
        }
        var digits = 0
        var rest = magnitude
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return (max(0, digits - scale), scale)
    }
}
