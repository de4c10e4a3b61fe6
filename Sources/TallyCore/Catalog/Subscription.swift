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

    public init(
        externalId: String,
        externalCustomerId: String,
        planCode: String,
        name: String? = nil,
        subscriptionAt: UTCInstant? = nil,
        endingAt: UTCInstant? = nil,
        planOverrides: PlanOverrides? = nil
    ) {
        self.externalId = externalId
        self.externalCustomerId = externalCustomerId
        self.planCode = planCode
        self.name = name
        self.subscriptionAt = subscriptionAt
        self.endingAt = endingAt
        self.planOverrides = planOverrides
    }
}
