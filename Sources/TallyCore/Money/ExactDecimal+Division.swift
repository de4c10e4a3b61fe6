extension ExactDecimal {
    /// `self ÷ divisor` with at most `scale` decimals, rounded by `rule`, computed exactly.
    ///
    /// Nil when `divisor` is 0, or when a value on the way needs more than 38 digits or 38 decimals
    /// (`divisor × 10^-scale`, the quotient). Used where money or credits are divided: prorations,
    /// credits consumed by a wallet debit.
    public func divided(by divisor: ExactDecimal, scale target: Int, _ rule: RoundingRule) -> ExactDecimal? {
        precondition(target >= 0, "division scale must be >= 0 (got \(target))")
        guard divisor != .zero, target <= ExactDecimal.maxDigits else { return nil }
        // The result is q × 10^-target for a whole q = |self| ÷ (|divisor| × 10^-target) rounded; work on
        // magnitudes and put the sign back at the end, so every rule reduces to "step away from zero or not".
        let step = ExactDecimal(significand: 1, scale: target)
        let numerator = isNegative ? -self : self
        guard let denominator = (divisor.isNegative ? -divisor : divisor).multiplied(by: step),
              let ceiling = numerator.dividedRoundingUp(by: denominator),
              let ceilingProduct = ceiling.multiplied(by: denominator)
        else { return nil }
        let negative = isNegative != divisor.isNegative
        var magnitude = ceiling
        if ceilingProduct != numerator {
            // The quotient lies strictly between floor = ceiling − 1 and ceiling, at floor + remainder ÷ denominator.
            let floor = ceiling - ExactDecimal(1)
            guard let floorProduct = floor.multiplied(by: denominator),
                  let remainder = numerator.subtracting(floorProduct),
                  let twiceRemainder = remainder.adding(remainder)
            else { return nil }
            let awayFromZero: Bool
            switch rule {
            case .up: awayFromZero = !negative
            case .down: awayFromZero = negative
            case .halfAwayFromZero: awayFromZero = twiceRemainder >= denominator
            case .halfUp: awayFromZero = negative ? twiceRemainder > denominator : twiceRemainder >= denominator
            }
            if !awayFromZero { magnitude = floor }
        }
        return (negative ? -magnitude : magnitude).multiplied(by: step)
    }
}
