/// What a subscription pays: a fixed fee per period, in arrears or in advance, plus usage charges in arrears.
public struct Plan: Codable, Equatable, Sendable {
    public var code: String
    public var name: String
    public var description: String?
    /// The fixed fee per period, in the currency's minor unit.
    public var amountCents: Int64
    /// ISO 4217 code, one of `Currency.supportedCodes` (Lago's `amount_currency`).
    public var currency: String
    public var interval: PlanInterval
    /// Lago's `bill_charges_monthly` (yearly and semiannual plans only): the charges are billed every
    /// month, the fixed fee once a period. Nil is false.
    public var billChargesMonthly: Bool?
    /// Lago's `pay_in_advance`: the fixed fee is billed at the subscription's start and then each
    /// period for the next one (docs/BILLING.md, pay-in-advance plan fees). Charges stay in arrears.
    public var payInAdvance: Bool
    /// Lago's `trial_period`: days, possibly fractional (to the microsecond), from the subscription's
    /// start during which its fixed fee is not billed; nil for none (docs/BILLING.md, trials).
    public var trialPeriod: ExactDecimal?
    public var charges: [Charge]
    /// Lago's `minimum_commitment`: what the subscription pays at least per period (docs/BILLING.md,
    /// minimum commitment); nil for none.
    public var minimumCommitment: MinimumCommitment?
    /// Lago's `tax_codes`: the taxes of its fees whose charge (or commitment) names none.
    public var taxCodes: [String]?

    public init(
        code: String,
        name: String,
        description: String? = nil,
        amountCents: Int64,
        currency: String,
        interval: PlanInterval = .monthly,
        billChargesMonthly: Bool? = nil,
        payInAdvance: Bool = false,
        trialPeriod: ExactDecimal? = nil,
        charges: [Charge] = [],
        minimumCommitment: MinimumCommitment? = nil,
        taxCodes: [String]? = nil
    ) {
        self.code = code
        self.name = name
        self.description = description
        self.amountCents = amountCents
        self.currency = currency
        self.interval = interval
        self.billChargesMonthly = billChargesMonthly == true ? true : nil
        self.payInAdvance = payInAdvance
        self.trialPeriod = trialPeriod
        self.charges = charges
        self.minimumCommitment = minimumCommitment
        self.taxCodes = taxCodes
    }
}

/// A plan's minimum commitment per period, billed in arrears as the shortfall of the subscription's
/// fees (Lago's `Commitment` of type `minimum_commitment`).
public struct MinimumCommitment: Codable, Equatable, Sendable {
    /// The commitment of a full period, in the currency's minor unit.
    public var amountCents: Int64
    public var invoiceDisplayName: String?
    /// Lago's `tax_codes` of the commitment fee.
    public var taxCodes: [String]?

    public init(amountCents: Int64, invoiceDisplayName: String? = nil, taxCodes: [String]? = nil) {
        self.amountCents = amountCents
        self.invoiceDisplayName = invoiceDisplayName
        self.taxCodes = taxCodes
    }

    /// Lago's `Commitment#invoice_name`: the display name, else "Minimum commitment".
    public var invoiceName: String { invoiceDisplayName ?? "Minimum commitment" }
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

extension Plan {
    /// The period of the fixed fee that `month` falls in.
    public func feePeriod(containing month: BillingPeriod) -> PlanPeriod {
        PlanPeriod(interval, containing: month)
    }

    /// The period of the charges that `month` falls in: the month itself when they are billed monthly.
    public func chargesPeriod(containing month: BillingPeriod) -> PlanPeriod {
        billChargesMonthly == true ? PlanPeriod(month: month) : PlanPeriod(interval, containing: month)
    }
}
