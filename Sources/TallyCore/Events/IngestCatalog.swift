/// What validation needs to know of the catalog: metrics by code and subscriptions by external id
/// (with each of its phases when it changed plan).
public struct IngestCatalog: Sendable {
    public struct Metric: Sendable {
        public let code: String
        public let aggregation: AggregationType
        /// The property aggregated; nil for `count_agg`.
        public let fieldName: String?
        /// Filter key → the values allowed for it.
        public let filterValues: [String: Set<String>]

        public init(code: String, aggregation: AggregationType = .sumAgg, fieldName: String?, filterValues: [String: Set<String>]) {
            self.code = code
            self.aggregation = aggregation
            self.fieldName = fieldName
            self.filterValues = filterValues
        }

        /// The property that makes a unique-count event remove its value instead of adding it.
        public static let operationTypeKey = "operation_type"

        /// For a unique-count metric, the value `event` counts (canonical, as its properties hold
        /// it) and whether it adds it (false for `operation_type` "remove"); nil otherwise.
        public func uniqueValue(of event: ValidatedEvent) -> (value: String, adds: Bool)? {
            guard aggregation == .uniqueCountAgg, let fieldName else { return nil }
            var value: String?
            var adds = true
            for property in event.properties {
                if property.key == fieldName { value = property.value }
                if property.key == Self.operationTypeKey { adds = property.value != "remove" }
            }
            return value.map { ($0, adds) }
        }
    }

    public struct Subscription: Sendable {
        /// The subscription's row id in the store.
        public let id: Int64
        public let externalId: String
        public let startedAt: UTCInstant
        public let endingAt: UTCInstant?
        /// The IANA timezone its usage is bucketed in: the customer's, else the organization's.
        public let billingTimezone: String

        public init(id: Int64, externalId: String, startedAt: UTCInstant, endingAt: UTCInstant?, billingTimezone: String = "UTC") {
            self.id = id
            self.externalId = externalId
            self.startedAt = startedAt
            self.endingAt = endingAt
            self.billingTimezone = billingTimezone
        }
    }

    public let metrics: [String: Metric]
    /// By external id: its phases, the latest start first (one unless `tally subscription
    /// change-plan` moved it to another plan).
    public let subscriptions: [String: [Subscription]]

    public init(metrics: [Metric], subscriptions: [Subscription]) {
        self.metrics = Dictionary(metrics.map { ($0.code, $0) }, uniquingKeysWith: { $1 })
        self.subscriptions = Dictionary(grouping: subscriptions, by: \.externalId)
            .mapValues { $0.sorted { ($0.startedAt, $0.id) > ($1.startedAt, $1.id) } }
    }

    /// Every subscription and phase.
    public var allSubscriptions: [Subscription] { subscriptions.values.flatMap { $0 } }
}
