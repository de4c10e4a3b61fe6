/// What validation needs to know of the catalog: metrics by code and subscriptions by external id.
public struct IngestCatalog: Sendable {
    public struct Metric: Sendable {
        public let code: String
        public let fieldName: String
        /// Filter key → the values allowed for it.
        public let filterValues: [String: Set<String>]

        public init(code: String, fieldName: String, filterValues: [String: Set<String>]) {
            self.code = code
            self.fieldName = fieldName
            self.filterValues = filterValues
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
    public let subscriptions: [String: Subscription]

    public init(metrics: [Metric], subscriptions: [Subscription]) {
        self.metrics = Dictionary(metrics.map { ($0.code, $0) }, uniquingKeysWith: { $1 })
        self.subscriptions = Dictionary(subscriptions.map { ($0.externalId, $0) }, uniquingKeysWith: { $1 })
    }
}
