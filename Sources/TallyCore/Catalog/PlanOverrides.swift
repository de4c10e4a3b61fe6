/// Lago's `plan_overrides` of one subscription: what it pays differently from its plan (docs/BILLING.md,
/// plan overrides). Lago makes a child plan of them; Tally keeps them on the subscription and rates it
/// with `Plan.overridden(by:)`.
public struct PlanOverrides: Codable, Equatable, Sendable {
    public var amountCents: Int64?
    public var name: String?
    public var description: String?
    /// Days; zero removes the plan's trial.
    public var trialPeriod: ExactDecimal?
    /// Replaces the plan's minimum commitment (or gives it one).
    public var minimumCommitment: MinimumCommitment?
    public var charges: [ChargeOverride]

    public init(
        amountCents: Int64? = nil, name: String? = nil, description: String? = nil, trialPeriod: ExactDecimal? = nil,
        minimumCommitment: MinimumCommitment? = nil, charges: [ChargeOverride] = []
    ) {
        self.amountCents = amountCents
        self.name = name
        self.description = description
        self.trialPeriod = trialPeriod
        self.minimumCommitment = minimumCommitment
        self.charges = charges
    }
}

/// One charge of the plan priced differently, named by its metric's code (a catalog file cannot know
/// the ids Lago would give charges). Each field given replaces the charge's; `filters` replaces the
/// whole list, as Lago's override does.
public struct ChargeOverride: Codable, Equatable, Sendable {
    public var billableMetricCode: String
    public var invoiceDisplayName: String?
    /// Of the charge's model, which an override cannot change.
    public var properties: ChargeProperties?
    public var filters: [ChargeFilter]?
    /// Replaces the charge's `min_amount_cents`; 0 removes it.
    public var minAmountCents: Int64?

    public init(
        billableMetricCode: String, invoiceDisplayName: String? = nil, properties: ChargeProperties? = nil,
        filters: [ChargeFilter]? = nil, minAmountCents: Int64? = nil
    ) {
        self.billableMetricCode = billableMetricCode
        self.invoiceDisplayName = invoiceDisplayName
        self.properties = properties
        self.filters = filters
        self.minAmountCents = minAmountCents
    }
}

extension Plan {
    /// The plan a subscription with `overrides` is rated with: this one with each overridden field replaced.
    public func overridden(by overrides: PlanOverrides?) -> Plan {
        guard let overrides else { return self }
        var plan = self
        if let amountCents = overrides.amountCents { plan.amountCents = amountCents }
        if let name = overrides.name { plan.name = name }
        if let description = overrides.description { plan.description = description }
        if let trialPeriod = overrides.trialPeriod { plan.trialPeriod = trialPeriod == .zero ? nil : trialPeriod }
        if let commitment = overrides.minimumCommitment { plan.minimumCommitment = commitment }
        for override in overrides.charges {
            guard let index = plan.charges.firstIndex(where: { $0.billableMetricCode == override.billableMetricCode }) else { continue }
            if let name = override.invoiceDisplayName { plan.charges[index].invoiceDisplayName = name }
            if let properties = override.properties { plan.charges[index].properties = properties }
            if let filters = override.filters { plan.charges[index].filters = filters }
            if let minimum = override.minAmountCents { plan.charges[index].minAmountCents = minimum == 0 ? nil : minimum }
        }
        return plan
    }
}
