import TallyCore
import TallyStore

/// Why `tally subscription terminate` changed nothing.
public enum TerminationError: Error, CustomStringConvertible {
    case unknownSubscription(String)
    case notAfterStart(subscription: String, startedAt: UTCInstant)
    case alreadyEnded(subscription: String, endingAt: UTCInstant)
    case eventsAfter(subscription: String, count: Int, at: UTCInstant)
    case periodClosed(subscription: String, customer: String, period: String)

    public var description: String {
        switch self {
        case .unknownSubscription(let id):
            "no subscription has external_id \"\(id)\": check it against the catalog"
        case .notAfterStart(let id, let startedAt):
            "subscription \"\(id)\" starts at \(startedAt): terminate it after that"
        case .alreadyEnded(let id, let endingAt):
            "subscription \"\(id)\" already ends at \(endingAt), so it stays as it is"
        case .eventsAfter(let id, let count, let at):
            "\(count) stored event(s) of subscription \"\(id)\" are after \(at) and would no longer be billed: "
                + "terminate it at or after its last event"
        case .periodClosed(let id, let customer, let period):
            "customer \"\(customer)\" already has an invoice for \(period), which terminating subscription \"\(id)\" "
                + "there would change: terminate it in a period not closed yet"
        }
    }
}

/// What a termination did.
public struct TerminationReport: Sendable {
    public let externalId: String
    public let terminatedAt: UTCInstant
    /// False when the subscription was already terminated at exactly that instant.
    public let changed: Bool
    /// The period (`YYYY-MM`) its last invoice bills, in the customer's timezone.
    public let lastPeriod: String
}

/// `tally subscription terminate`: ends a subscription at an instant, as Lago's terminate call does.
///
/// The termination is kept apart from the catalog's `ending_at` (`subscriptions.terminated_at`),
/// so that applying the catalog file again does not undo it. The subscription's last period bills
/// its fee prorated to the termination day and its usage up to the instant; events after it are
/// rejected as `outside_subscription` from then on. Refused when stored events lie after the
/// instant, or when the customer's invoice of that period (or a later one) is already issued.
public enum SubscriptionTermination {
    public static func terminate(externalId: String, at instant: UTCInstant, database: TallyDatabase) throws -> TerminationReport {
        let store = database.store
        return try store.transaction {
            try store.catalog.lockForApply()
            let catalog = try store.catalog.load()
            guard let subscription = catalog.subscriptions.first(where: { $0.externalId == externalId }),
                  let customer = catalog.customer(id: subscription.customerId),
                  let period = BillingPeriod.containing(instant, timezone: customer.billingTimezone)
            else { throw TerminationError.unknownSubscription(externalId) }
            if subscription.terminatedAt == instant {
                return TerminationReport(externalId: externalId, terminatedAt: instant, changed: false, lastPeriod: period.label)
            }
            guard instant > subscription.startedAt else {
                throw TerminationError.notAfterStart(subscription: externalId, startedAt: subscription.startedAt)
            }
            if let endingAt = subscription.endingAt, endingAt <= instant {
                throw TerminationError.alreadyEnded(subscription: externalId, endingAt: endingAt)
            }
            let later = try store.events.countEvents(subscriptionId: subscription.id, after: instant)
            guard later == 0 else { throw TerminationError.eventsAfter(subscription: externalId, count: later, at: instant) }
            // Labels are YYYY-MM, so text order is time order.
            if let closed = (try store.invoices.livePeriods()[customer.id] ?? []).filter({ $0 >= period.label }).min() {
                throw TerminationError.periodClosed(subscription: externalId, customer: customer.externalId, period: closed)
            }
            try store.catalog.terminate(subscriptionId: subscription.id, at: instant)
            return TerminationReport(externalId: externalId, terminatedAt: instant, changed: true, lastPeriod: period.label)
        }
    }
}
