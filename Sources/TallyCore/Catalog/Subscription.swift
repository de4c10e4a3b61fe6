/// A customer on a plan; events name it by `external_id` (their `external_subscription_id`).
public struct Subscription: Codable, Equatable, Sendable {
    public var externalId: String
    public var externalCustomerId: String
    public var planCode: String
    public var name: String?
    /// When billing starts; nil: when the catalog first created the subscription.
    public var subscriptionAt: UTCInstant?
    /// When billing stops; after `subscriptionAt` when both are set.
    public var endingAt: UTCInstant?
    /// Lago's `plan_overrides`: what this subscription pays differently from its plan.
    public var planOverrides: PlanOverrides?
    /// Lago's `billing_time`: `.anniversary` counts the periods from the subscription's start
    /// (`BillingSchedule`); nil is Lago's `calendar`.
    public var billingTime: BillingTime?

    public init(
        externalId: String,
        externalCustomerId: String,
        planCode: String,
        name: String? = nil,
        subscriptionAt: UTCInstant? = nil,
        endingAt: UTCInstant? = nil,
        planOverrides: PlanOverrides? = nil,
        billingTime: BillingTime? = nil
    ) {
        self.externalId = externalId
        self.externalCustomerId = externalCustomerId
        self.planCode = planCode
        self.name = name
        self.subscriptionAt = subscriptionAt
        self.endingAt = endingAt
        self.planOverrides = planOverrides
        self.billingTime = billingTime == .calendar ? nil : billingTime
    }

    /// Whether the periods count from the subscription's start rather than the calendar.
    public var isAnniversary: Bool { billingTime == .anniversary }
}

/// Lago's `billing_time` of a subscription.
public enum BillingTime: String, Codable, Equatable, Sendable, CaseIterable {
    case calendar
    case anniversary
}
