/// Why an input event was not stored (docs/BILLING.md, validation and reject reasons). Each rejected
/// event has exactly one reason.
public enum RejectReason: String, CaseIterable, Codable, Sendable, Comparable {
    case malformed
    case missingField = "missing_field"
    case invalidTimestamp = "invalid_timestamp"
    case unknownMetric = "unknown_metric"
    case unknownSubscription = "unknown_subscription"
    case missingAggregationProperty = "missing_aggregation_property"
    case invalidAggregationProperty = "invalid_aggregation_property"
    case invalidFilterValue = "invalid_filter_value"
    case outsideSubscription = "outside_subscription"
    case duplicateConflict = "duplicate_conflict"

    public static func < (lhs: RejectReason, rhs: RejectReason) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A rejected event's reason and a message saying what was wrong and how to fix it.
public struct EventRejection: Error, Equatable, Sendable {
    public let reason: RejectReason
    public let message: String

    public init(_ reason: RejectReason, _ message: String) {
        self.reason = reason
        self.message = message
    }
}
