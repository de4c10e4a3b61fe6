/// The plan a subscription is rated with: one version of a stored plan's definition.
///
/// Close rates with each plan's current version; reprocess with the version the period was first
/// closed with, which its invoice recorded, unless told to reprice (docs/BILLING.md, reprocessing).
public struct RatingPlan: Equatable, Sendable {
    /// The plan's store id.
    public let planId: Int64
    /// 1 for the plan as first applied, one more for each apply that changed it.
    public let version: Int
    /// The definition rating uses: what the invoice records.
    public let definition: Plan
    /// Whether `definition` is exactly the one the plan's `version` keeps (no `plan_overrides`
    /// applied over it): the invoice then records the version alone.
    public let isVersionDefinition: Bool

    public init(planId: Int64, version: Int, definition: Plan, isVersionDefinition: Bool = false) {
        self.planId = planId
        self.version = version
        self.definition = definition
        self.isVersionDefinition = isVersionDefinition
    }
}

extension StoredCatalog.PlanRecord {
    /// The plan as it is now: its current version.
    public var current: RatingPlan {
        RatingPlan(planId: id, version: version, definition: definition, isVersionDefinition: true)
    }
}

extension StoredCatalog.SubscriptionRecord {
    /// What close rates the subscription with: its plan's current version, its `plan_overrides`
    /// applied (`ratedPlan`).
    public var currentRatingPlan: RatingPlan {
        RatingPlan(planId: plan.id, version: plan.version, definition: ratedPlan,
                   isVersionDefinition: definition.planOverrides == nil)
    }
}
