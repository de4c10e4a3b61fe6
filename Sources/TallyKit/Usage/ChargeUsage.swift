import TallyCore

/// One plan charge's usage by one subscription in a period, bucket by bucket, rated as close rates it:
/// usage sorted into the charge's filters by `FilterMatcher`, each bucket priced by `PackageRating`.
///
/// Unlike an invoice, which leaves empty fees off, current usage lists every filter, zero buckets
/// included (SPEC §5).
public struct ChargeUsage: Sendable {
    /// The billable metric as Lago's usage object names it.
    public struct Metric: Sendable {
        public let lagoId: String
        public let name: String
        public let code: String
        public let aggregationType: String
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

    /// Rates `usage` (the subscription's buckets of the period, any metric) for `charge`.
    public init(
        charge: Charge, usage: [UsageBucket], currency: String,
        externalSubscriptionId: String, chargeLagoId: String, metric: Metric
    ) {
        // Slots 0..<filters.count: the charge's filters; slot filters.count: the default bucket.
        let defaultSlot = charge.filters.count
        var units = Array(repeating: ExactDecimal.zero, count: defaultSlot + 1)
        var counts = Array(repeating: 0, count: defaultSlot + 1)
        for bucket in usage where bucket.code == charge.billableMetricCode {
            let slot = FilterMatcher.match(bucket.filterValues, filters: charge.filters) ?? defaultSlot
            units[slot] = units[slot] + bucket.units
            counts[slot] += bucket.eventsCount
        }
        self.filters = charge.filters.enumerated().map { slot, filter in
            FilterUsage(filter: filter, rated: PackageRating.rate(
                units: units[slot], eventsCount: counts[slot], properties: filter.properties, currency: currency))
        }
        self.defaultBucket = PackageRating.rate(
            units: units[defaultSlot], eventsCount: counts[defaultSlot], properties: charge.properties, currency: currency)
        self.externalSubscriptionId = externalSubscriptionId
        self.chargeLagoId = chargeLagoId
        self.charge = charge
        self.metric = metric
        self.currency = currency
    }

    /// Every bucket: the filters in plan order, then the default one.
    public var buckets: [RatedCharge] { filters.map(\.rated) + [defaultBucket] }

    public var units: ExactDecimal { buckets.reduce(.zero) { $0 + $1.units } }

    public var eventsCount: Int { buckets.reduce(0) { $0 + $1.eventsCount } }

    /// The sum of the buckets' rounded amounts, as the invoice's fees for this charge will add up.
    public var amountCents: Int64 { buckets.reduce(0) { $0 + $1.amountCents } }
}
