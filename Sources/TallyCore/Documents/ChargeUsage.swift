/// One plan charge's usage by one subscription in a period, bucket by bucket, rated as close rates it
/// (`Charge.rate`).
///
/// Unlike an invoice, which leaves empty fees off, current usage lists every filter, zero buckets
/// included (docs/BILLING.md, rating).
public struct ChargeUsage: Sendable {
    /// The billable metric as Lago's usage object names it.
    public struct Metric: Sendable {
        public let lagoId: String
        public let name: String
        public let code: String
        public let aggregationType: String

        public init(lagoId: String, name: String, code: String, aggregationType: String) {
            self.lagoId = lagoId
            self.name = name
            self.code = code
            self.aggregationType = aggregationType
        }
    }

    /// One charge filter and the usage priced by it.
    public struct FilterUsage: Sendable {
        public let filter: ChargeFilter
        public let rated: RatedCharge
    }

    public let externalSubscriptionId: String
    /// Stable per (plan, charge index): Tally stores charges inside their plan, without ids of their own.
    public let chargeLagoId: String
    public let charge: Charge
    public let metric: Metric
    /// The plan's currency, which the charge is priced in.
    public let currency: String
    /// The charge's filters, in plan order.
    public let filters: [FilterUsage]
    /// Usage matching no filter, priced with the charge's own properties (0 when it has none).
    public let defaultBucket: RatedCharge

    /// Every bucket's units, summed.
    public let units: ExactDecimal
    public let eventsCount: Int
    /// The sum of the buckets' rounded amounts, as the invoice's fees for this charge will add up.
    public let amountCents: Int64

    /// Rates `usage` (the subscription's buckets of the period, any metric, and the `events` of
    /// metrics priced per event) for `charge`, aggregated by `aggregation`; throws when a figure has
    /// no exact billable value.
    public init(
        charge: Charge, usage: [UsageBucket], events: [UsageEventValue] = [], aggregation: UsageAggregation, currency: String,
        externalSubscriptionId: String, chargeLagoId: String, metric: Metric
    ) throws(BillingError) {
        let slots = try charge.rate(usage, aggregation: aggregation, events: events, currency: currency).slots
        self.filters = zip(charge.filters, slots).map { FilterUsage(filter: $0, rated: $1) }
        self.defaultBucket = slots[charge.filters.count]
        var units = ExactDecimal.zero
        for slot in slots {
            guard let sum = units.adding(slot.units) else { throw .tooLarge("the units of metric \(charge.billableMetricCode)") }
            units = sum
        }
        self.units = units
        self.eventsCount = slots.reduce(0) { $0 + $1.eventsCount }
        self.amountCents = try Int64.sum(slots.map(\.amountCents), "the amount of metric \(charge.billableMetricCode)")
        self.externalSubscriptionId = externalSubscriptionId
        self.chargeLagoId = chargeLagoId
        self.charge = charge
        self.metric = metric
        self.currency = currency
    }

    /// Every bucket: the filters in plan order, then the default one.
    public var buckets: [RatedCharge] { filters.map(\.rated) + [defaultBucket] }

}
