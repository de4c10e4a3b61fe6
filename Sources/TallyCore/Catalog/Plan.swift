/// What a subscription pays: a fixed monthly fee in arrears plus usage charges.
public struct Plan: Codable, Equatable, Sendable {
    public var code: String
    public var name: String
    public var description: String?
    /// The fixed fee per period, in the currency's minor unit.
    public var amountCents: Int64
    /// ISO 4217 code, one of `Currency.supportedCodes` (Lago's `amount_currency`).
    public var currency: String
    public var interval: PlanInterval
    /// Always false for now: fees in advance are refused by the decoder.
    public var payInAdvance: Bool
    /// Lago's `trial_period`: days, possibly fractional (to the microsecond), from the subscription's
    /// start during which its fixed fee is not billed; nil for none (docs/BILLING.md, trials).
    public var trialPeriod: ExactDecimal?
    public var charges: [Charge]

    public init(
        code: String,
        name: String,
        description: String? = nil,
        amountCents: Int64,
        currency: String,
        interval: PlanInterval = .monthly,
        payInAdvance: Bool = false,
        trialPeriod: ExactDecimal? = nil,
        charges: [Charge] = []
    ) {
        self.code = code
        self.name = name
        self.description = description
        self.amountCents = amountCents
        self.currency = currency
        self.interval = interval
        self.payInAdvance = payInAdvance
        self.trialPeriod = trialPeriod
        self.charges = charges
    }
}

/// How often a plan bills. Tally bills calendar months only.
public enum PlanInterval: String, Codable, Equatable, Sendable, CaseIterable {
    case monthly
}

extension Plan {
    /// When the trial of a subscription started at `startedAt` ends: `trial_period` days later, to the
    /// microsecond. Nil without a trial, or when the end lies beyond what an instant holds.
    public func trialEnd(startedAt: UTCInstant) -> UTCInstant? {
        guard let days = trialPeriod, days > .zero,
              let micros = days.multiplied(by: ExactDecimal(86_400_000_000))?.rounded(scale: 0, .up).int64Value,
              case (let end, false) = startedAt.microsecondsSinceEpoch.addingReportingOverflow(micros)
        else { return nil }
        return UTCInstant(microsecondsSinceEpoch: end)
    }
}
