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
    public var charges: [Charge]

    public init(
        code: String,
        name: String,
        description: String? = nil,
        amountCents: Int64,
        currency: String,
        interval: PlanInterval = .monthly,
        payInAdvance: Bool = false,
        charges: [Charge] = []
    ) {
        self.code = code
        self.name = name
        self.description = description
        self.amountCents = amountCents
        self.currency = currency
        self.interval = interval
        self.payInAdvance = payInAdvance
        self.charges = charges
    }
}

/// How often a plan bills. Tally bills calendar months only.
public enum PlanInterval: String, Codable, Equatable, Sendable, CaseIterable {
    case monthly
}
