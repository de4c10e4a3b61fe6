/// The catalog as the store holds it: every object's definition with the ids the store gave it.
///
/// One loader reads it (`CatalogStore.load`); catalog apply, ingest, close, reprocess and usage all
/// take their views of the catalog from it (`ingestCatalog`, `names`, `activeSubscriptions`).
public struct StoredCatalog: Sendable {
    public struct Metric: Sendable {
        public let lagoId: String
        public let definition: BillableMetric

        public init(lagoId: String, definition: BillableMetric) {
            self.lagoId = lagoId
            self.definition = definition
        }
    }

    public struct PlanRecord: Sendable {
        public let id: Int64
        public let lagoId: String
        public let definition: Plan
        /// One per charge, in plan order: charges have no ids of their own, so these are derived
        /// from the plan's `lagoId` and the charge's index, and stay the same from run to run.
        public let chargeLagoIds: [String]
        /// The version `definition` is: 1 as first applied, one more for each apply that changed it.
        public let version: Int

        public init(id: Int64, lagoId: String, definition: Plan, chargeLagoIds: [String], version: Int = 1) {
            self.id = id
            self.lagoId = lagoId
            self.definition = definition
            self.chargeLagoIds = chargeLagoIds
            self.version = version
        }
    }

    public struct CustomerRecord: Sendable {
        public let id: Int64
        public let lagoId: String
        /// The customer's place in creation order, 1 first: the middle part of its invoice numbers.
        public let sequentialId: Int
        public let definition: Customer
        /// The timezone its billing periods are counted in (`StoredCatalog.billingTimezone`).
        public let billingTimezone: String
        public let createdAt: UTCInstant
        public let updatedAt: UTCInstant

        public init(id: Int64, lagoId: String, sequentialId: Int, definition: Customer, billingTimezone: String,
                    createdAt: UTCInstant, updatedAt: UTCInstant) {
            self.id = id
            self.lagoId = lagoId
            self.sequentialId = sequentialId
            self.definition = definition
            self.billingTimezone = billingTimezone
            self.createdAt = createdAt
            self.updatedAt = updatedAt
        }

        public var externalId: String { definition.externalId }
    }

    public struct SubscriptionRecord: Sendable {
        public let id: Int64
        public let lagoId: String
        public let customerId: Int64
        public let definition: Subscription
        public let plan: PlanRecord
        /// `subscription_at`, or when the catalog created the subscription.
        public let startedAt: UTCInstant
        /// When billing stops: the earlier of the catalog's `ending_at` and `terminatedAt`.
        public let endingAt: UTCInstant?
        /// When `tally subscription terminate` ended it, if it did.
        public let terminatedAt: UTCInstant?
        public let createdAt: UTCInstant
        /// The row it continues when `tally subscription change-plan` moved it to this plan.
        public let previousId: Int64?
        /// Whether a change of plan ended it (a newer row continues it).
        public let superseded: Bool
        /// When its first row started: where a trial counts from, whatever plan it is on now.
        public let initialStartedAt: UTCInstant

        public var externalId: String { definition.externalId }

        /// The plan the subscription is rated with: its plan with its `plan_overrides` applied.
        public var ratedPlan: Plan { plan.definition.overridden(by: definition.planOverrides) }

        /// Whether the subscription is live at some instant of `period`.
        public func isActive(in period: BillingPeriod) -> Bool {
            startedAt <= period.to && (endingAt.map { $0 >= period.from } ?? true)
        }

        /// Whether the subscription has started and not yet ended at `instant` (both ends inclusive).
        public func isLive(at instant: UTCInstant) -> Bool {
            startedAt <= instant && (endingAt.map { instant <= $0 } ?? true)
        }

        /// "from … until …", for messages.
        public var lifetime: String {
            "from \(startedAt)" + (endingAt.map { " until \($0)" } ?? "")
        }
    }

    public struct WalletRecord: Sendable {
        public let id: Int64
        public let customerId: Int64
        public let definition: Wallet

        public init(id: Int64, customerId: Int64, definition: Wallet) {
            self.id = id
            self.customerId = customerId
            self.definition = definition
        }
    }

    /// A subscription as the store holds it, before its plan is looked up.
    public struct SubscriptionRow: Sendable {
        public let id: Int64
        public let lagoId: String
        public let customerId: Int64
        public let planId: Int64
        public let definition: Subscription
        public let startedAt: UTCInstant
        /// The earlier of the catalog's `ending_at` and `terminatedAt`.
        public let endingAt: UTCInstant?
        public let terminatedAt: UTCInstant?
        public let createdAt: UTCInstant
        public let previousId: Int64?
        public let superseded: Bool

        public init(id: Int64, lagoId: String, customerId: Int64, planId: Int64, definition: Subscription,
                    startedAt: UTCInstant, endingAt: UTCInstant?, terminatedAt: UTCInstant? = nil, createdAt: UTCInstant,
                    previousId: Int64? = nil, superseded: Bool = false) {
            self.id = id
            self.lagoId = lagoId
            self.customerId = customerId
            self.planId = planId
            self.definition = definition
            self.startedAt = startedAt
            self.endingAt = endingAt
            self.terminatedAt = terminatedAt
            self.createdAt = createdAt
            self.previousId = previousId
            self.superseded = superseded
        }
    }

    /// A subscription names a plan or customer the store does not hold.
    public struct Inconsistency: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public let organization: Organization?
    /// By code.
    public let metrics: [String: Metric]
    /// The metrics' definitions by code, as rating takes them.
    public let metricDefinitions: [String: BillableMetric]
    /// By store id.
    public let plans: [Int64: PlanRecord]
    /// In creation order.
    public let customers: [CustomerRecord]
    /// In creation order.
    public let subscriptions: [SubscriptionRecord]
    public let wallets: [WalletRecord]
    /// By code.
    public let taxes: [String: TaxRecord]
    /// By code.
    public let coupons: [String: CouponRecord]
    /// In the order they were applied.
    public let appliedCoupons: [AppliedCouponRecord]

    private let customerIndex: [Int64: Int]
    private let subscriptionIndex: [Int64: Int]
    private let subscriptionsOfCustomer: [Int64: [Int]]

    /// Resolves each subscription's plan; customers' timezones are resolved by `billingTimezone`.
    public init(
        organization: Organization?, metrics: [Metric], plans: [PlanRecord],
        customers: [(id: Int64, lagoId: String, sequentialId: Int, definition: Customer, createdAt: UTCInstant, updatedAt: UTCInstant)],
        subscriptions: [SubscriptionRow], wallets: [WalletRecord], taxes: [TaxRecord] = [], coupons: [CouponRecord] = [],
        appliedCoupons: [AppliedCouponRecord] = []
    ) throws(Inconsistency) {
        self.organization = organization
        self.coupons = Dictionary(coupons.map { ($0.definition.code, $0) }, uniquingKeysWith: { $1 })
        self.appliedCoupons = appliedCoupons.sorted { $0.id < $1.id }
        self.taxes = Dictionary(taxes.map { ($0.definition.code, $0) }, uniquingKeysWith: { $1 })
        self.metrics = Dictionary(metrics.map { ($0.definition.code, $0) }, uniquingKeysWith: { $1 })
        metricDefinitions = self.metrics.mapValues(\.definition)
        self.plans = Dictionary(plans.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        self.customers = customers.sorted { $0.sequentialId < $1.sequentialId }.map { customer in
            CustomerRecord(id: customer.id, lagoId: customer.lagoId, sequentialId: customer.sequentialId,
                           definition: customer.definition,
                           billingTimezone: Self.billingTimezone(of: customer.definition, organization: organization),
                           createdAt: customer.createdAt, updatedAt: customer.updatedAt)
        }
        customerIndex = Dictionary(self.customers.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { $1 })
        var records: [SubscriptionRecord] = []
        let rows = Dictionary(subscriptions.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        for row in subscriptions.sorted(by: { $0.id < $1.id }) {
            // The first row of a chain of plan changes (bounded, should a chain ever loop).
            var first = row
            for _ in 0..<rows.count {
                guard let previous = first.previousId.flatMap({ rows[$0] }) else { break }
                first = previous
            }
            guard let plan = self.plans[row.planId] else {
                throw Inconsistency(description: "subscription \(row.definition.externalId) names plan id \(row.planId), which is not stored")
            }
            guard customerIndex[row.customerId] != nil else {
                throw Inconsistency(description: "subscription \(row.definition.externalId) names customer id \(row.customerId), which is not stored")
            }
            records.append(SubscriptionRecord(
                id: row.id, lagoId: row.lagoId, customerId: row.customerId, definition: row.definition, plan: plan,
                startedAt: row.startedAt, endingAt: row.endingAt, terminatedAt: row.terminatedAt, createdAt: row.createdAt,
                previousId: row.previousId, superseded: row.superseded, initialStartedAt: first.startedAt))
        }
        self.subscriptions = records
        subscriptionIndex = Dictionary(records.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { $1 })
        subscriptionsOfCustomer = Dictionary(grouping: records.indices, by: { records[$0].customerId })
        self.wallets = wallets
    }

    /// A stored coupon and its Lago id.
    public struct CouponRecord: Sendable {
        public let id: Int64
        public let lagoId: String
        public let definition: Coupon

        public init(id: Int64, lagoId: String, definition: Coupon) {
            self.id = id
            self.lagoId = lagoId
            self.definition = definition
        }
    }

    /// A coupon applied to a customer.
    public struct AppliedCouponRecord: Sendable {
        public let id: Int64
        public let lagoId: String
        public let customerId: Int64
        public let definition: AppliedCoupon
        public let createdAt: UTCInstant

        public init(id: Int64, lagoId: String, customerId: Int64, definition: AppliedCoupon, createdAt: UTCInstant) {
            self.id = id
            self.lagoId = lagoId
            self.customerId = customerId
            self.definition = definition
            self.createdAt = createdAt
        }
    }

    /// The balances of `customerId`'s applied coupons after `credits` (by applied coupon id, the
    /// amounts each took from live invoices).
    public func couponBalances(of customerId: Int64, credits: [Int64: [Int64]]) -> [CouponBalance] {
        appliedCoupons.filter { $0.customerId == customerId }.compactMap { applied in
            coupons[applied.definition.couponCode].map {
                CouponBalance(id: applied.id, coupon: $0.definition, applied: applied.definition, credits: credits[applied.id] ?? [])
            }
        }
    }

    /// A stored tax and its Lago id.
    public struct TaxRecord: Sendable {
        public let lagoId: String
        public let definition: Tax

        public init(lagoId: String, definition: Tax) {
            self.lagoId = lagoId
            self.definition = definition
        }
    }

    /// The timezone a customer's billing periods are counted in: its own, else the organization's,
    /// else UTC. The one place this rule is written.
    public static func billingTimezone(of customer: Customer, organization: Organization?) -> String {
        customer.timezone ?? organization?.timezone ?? "UTC"
    }

    /// The first part of every invoice number: the organization's prefix, else `INV`.
    public var documentNumberPrefix: String { organization?.documentNumberPrefix ?? "INV" }

    public func customer(id: Int64) -> CustomerRecord? {
        customerIndex[id].map { customers[$0] }
    }

    public func customer(externalId: String) -> CustomerRecord? {
        customers.first { $0.externalId == externalId }
    }

    public func subscription(id: Int64) -> SubscriptionRecord? {
        subscriptionIndex[id].map { subscriptions[$0] }
    }

    /// The customer's subscriptions, in creation order.
    public func subscriptions(of customer: CustomerRecord) -> [SubscriptionRecord] {
        (subscriptionsOfCustomer[customer.id] ?? []).map { subscriptions[$0] }
    }

    /// The customer's subscriptions billed by calendar month and live at some instant of `period`:
    /// the ones its invoice for that period bills.
    public func activeSubscriptions(of customer: CustomerRecord, in period: BillingPeriod) -> [SubscriptionRecord] {
        subscriptions(of: customer).filter { $0.isActive(in: period) && schedule(of: $0) == nil }
    }

    /// The dated periods of `subscription`'s fixed fee (a weekly plan, or billed on its
    /// anniversary); nil when they are calendar months. Counted from its first start, in its
    /// customer's billing timezone.
    public func schedule(of subscription: SubscriptionRecord) -> BillingSchedule? {
        schedule(of: subscription, interval: subscription.plan.definition.interval)
    }

    /// The dated periods of `subscription`'s charges: its fee's, or anniversary months when its
    /// plan bills the charges monthly (`bill_charges_monthly`). Nil when they are calendar months.
    public func chargesSchedule(of subscription: SubscriptionRecord) -> BillingSchedule? {
        schedule(of: subscription, interval: subscription.plan.definition.billChargesMonthly == true ? .monthly : subscription.plan.definition.interval)
    }

    private func schedule(of subscription: SubscriptionRecord, interval: PlanInterval) -> BillingSchedule? {
        guard subscription.plan.definition.interval == .weekly || subscription.definition.isAnniversary else { return nil }
        return BillingSchedule(interval: interval, anniversary: subscription.definition.isAnniversary,
                               startedAt: subscription.initialStartedAt,
                               timezone: customer(id: subscription.customerId)?.billingTimezone ?? "UTC")
    }

    /// The codes of the recurring metrics, whose usage carries over from period to period.
    public var recurringMetricCodes: Set<String> {
        Set(metrics.values.filter(\.definition.recurring).map(\.definition.code))
    }

    /// What event validation needs: metrics by code, subscriptions by external id.
    public var ingestCatalog: IngestCatalog {
        IngestCatalog(
            metrics: metrics.values.map { metric in
                IngestCatalog.Metric(
                    code: metric.definition.code, aggregation: metric.definition.aggregationType, fieldName: metric.definition.fieldName,
                    filterValues: Dictionary(metric.definition.filters.map { ($0.key, Set($0.values)) }, uniquingKeysWith: { $0.union($1) }))
            },
            subscriptions: subscriptions.map { subscription in
                IngestCatalog.Subscription(
                    id: subscription.id, externalId: subscription.externalId, startedAt: subscription.startedAt,
                    endingAt: subscription.endingAt,
                    billingTimezone: customer(id: subscription.customerId)?.billingTimezone ?? "UTC")
            })
    }

    /// What a catalog file may refer to without defining it again.
    public var names: StoredCatalogNames {
        StoredCatalogNames(
            metrics: metricDefinitions,
            planCodes: Set(plans.values.map(\.definition.code)),
            taxCodes: Set(taxes.keys),
            couponCodes: Set(coupons.keys),
            customerCurrencies: Dictionary(customers.map { ($0.externalId, $0.definition.currency) }, uniquingKeysWith: { $1 }))
    }
}
