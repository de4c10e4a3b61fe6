import TallyCore
import TallyStore

/// Why `tally subscription terminate` or `change-plan` changed nothing.
public enum SubscriptionCommandError: Error, CustomStringConvertible {
    case unknownSubscription(String)
    case unknownPlan(String)
    case otherCurrency(plan: String, currency: String, subscriptionCurrency: String)
    case samePlan(subscription: String, plan: String)
    case notAfterStart(subscription: String, startedAt: UTCInstant)
    case alreadyEnded(subscription: String, endingAt: UTCInstant)
    case eventsAfter(subscription: String, count: Int, at: UTCInstant)
    case periodClosed(subscription: String, customer: String, period: String)
    case datedPlanChange(subscription: String)

    public var description: String {
        switch self {
        case .unknownSubscription(let id):
            "no subscription has external_id \"\(id)\": check it against the catalog"
        case .unknownPlan(let code):
            "no plan has code \"\(code)\": apply a catalog that defines it first"
        case .otherCurrency(let plan, let currency, let subscriptionCurrency):
            "plan \"\(plan)\" bills in \(currency), the subscription's customer in \(subscriptionCurrency): a customer is invoiced in one currency"
        case .samePlan(let id, let plan):
            "subscription \"\(id)\" is already on plan \"\(plan)\""
        case .notAfterStart(let id, let startedAt):
            "subscription \"\(id)\" starts at \(startedAt) on its current plan: give a later instant"
        case .alreadyEnded(let id, let endingAt):
            "subscription \"\(id)\" already ends at \(endingAt), so it stays as it is"
        case .eventsAfter(let id, let count, let at):
            "\(count) stored event(s) of subscription \"\(id)\" are after \(at) and would be billed otherwise than they were "
                + "stored for: give an instant at or after its last event"
        case .periodClosed(let id, let customer, let period):
            "customer \"\(customer)\" already has an invoice for \(period), which changing subscription \"\(id)\" "
                + "there would change: give an instant in a period not closed yet"
        case .datedPlanChange(let id):
            "subscription \"\(id)\" is billed by weeks or on its anniversary, where changing plan at a date is not supported yet "
                + "(docs/BILLING.md): terminate it and start a new subscription instead"
        }
    }
}

/// What a termination or change of plan did.
public struct SubscriptionCommandReport: Sendable {
    public let externalId: String
    public let at: UTCInstant
    /// False when the subscription was already terminated at exactly that instant.
    public let changed: Bool
    /// The period (`YYYY-MM`) of the instant, in the customer's timezone: the last invoice of a
    /// terminated subscription, the first split by a change of plan.
    public let period: String
}

/// `tally subscription terminate` and `change-plan`: end a subscription at an instant, or move it to
/// another plan there, as Lago's terminate and upgrade calls do (docs/BILLING.md).
///
/// Both are refused when stored events of the subscription lie after the instant (they would be
/// billed otherwise than they were stored for), or when the customer's invoice of that period (or
/// a later one) is already issued.
public enum SubscriptionTermination {
    /// Ends the subscription at `instant`, apart from the catalog's `ending_at`
    /// (`subscriptions.terminated_at`), so that applying the catalog file again does not undo it.
    /// Its last period bills its fee prorated to the termination day and its usage up to the
    /// instant; events after it are rejected as `outside_subscription` from then on.
    public static func terminate(externalId: String, at instant: UTCInstant, database: TallyDatabase) throws -> SubscriptionCommandReport {
        let store = database.store
        return try store.transaction {
            try store.catalog.lockForApply()
            let catalog = try store.catalog.load()
            let (subscription, period) = try current(externalId, at: instant, catalog: catalog)
            // A dated period ended by the termination is billed on the day it ends.
            let last = catalog.chargesSchedule(of: subscription)?.period(containing: instant)
                .map { DatedPeriod.label(ofDay: $0.billingDay(endingAt: instant)) } ?? period.label
            if subscription.terminatedAt == instant {
                return SubscriptionCommandReport(externalId: externalId, at: instant, changed: false, period: last)
            }
            try checkNothingAfter(subscription, at: instant, period: period, catalog: catalog, store: store)
            try store.catalog.terminate(subscriptionId: subscription.id, at: instant)
            return SubscriptionCommandReport(externalId: externalId, at: instant, changed: true, period: last)
        }
    }

    /// Moves the subscription to plan `planCode` at `instant`, as Lago's upgrade does: its current
    /// row ends there and a new one, with the same external id, continues on the other plan. Each
    /// part is billed with its own plan; the day of the change is billed by the new one.
    public static func changePlan(
        externalId: String, to planCode: String, at instant: UTCInstant, database: TallyDatabase
    ) throws -> SubscriptionCommandReport {
        let store = database.store
        return try store.transaction {
            try store.catalog.lockForApply()
            let catalog = try store.catalog.load()
            let (subscription, period) = try current(externalId, at: instant, catalog: catalog)
            guard let plan = catalog.plans.values.first(where: { $0.definition.code == planCode }) else {
                throw SubscriptionCommandError.unknownPlan(planCode)
            }
            guard plan.id != subscription.plan.id else { throw SubscriptionCommandError.samePlan(subscription: externalId, plan: planCode) }
            guard catalog.schedule(of: subscription) == nil, plan.definition.interval != .weekly else {
                throw SubscriptionCommandError.datedPlanChange(subscription: externalId)
            }
            let currency = subscription.plan.definition.currency
            guard plan.definition.currency == currency else {
                throw SubscriptionCommandError.otherCurrency(plan: planCode, currency: plan.definition.currency, subscriptionCurrency: currency)
            }
            // An event at the very instant belongs to the new plan's part.
            try checkNothingAfter(subscription, at: instant, orAt: true, period: period, catalog: catalog, store: store)
            // Overrides were of the old plan; the new part starts on the new plan as it is (Lago's
            // upgrade takes the new plan's own overrides, which a later catalog apply may give).
            var definition = subscription.definition
            definition.planCode = planCode
            definition.planOverrides = nil
            _ = try store.catalog.changePlan(subscriptionId: subscription.id, to: plan.id, at: instant, definition: definition)
            return SubscriptionCommandReport(externalId: externalId, at: instant, changed: true, period: period.label)
        }
    }

    /// The current row of `externalId` and the period of `instant` in its customer's timezone.
    private static func current(
        _ externalId: String, at instant: UTCInstant, catalog: StoredCatalog
    ) throws -> (StoredCatalog.SubscriptionRecord, BillingPeriod) {
        guard let subscription = catalog.subscriptions.first(where: { $0.externalId == externalId && !$0.superseded }),
              let customer = catalog.customer(id: subscription.customerId),
              let period = BillingPeriod.containing(instant, timezone: customer.billingTimezone)
        else { throw SubscriptionCommandError.unknownSubscription(externalId) }
        return (subscription, period)
    }

    /// The checks both commands share: the instant lies within the current row, no stored event
    /// comes after it, and no invoice of its period or a later one is issued.
    private static func checkNothingAfter(
        _ subscription: StoredCatalog.SubscriptionRecord, at instant: UTCInstant, orAt: Bool = false, period: BillingPeriod,
        catalog: StoredCatalog, store: Store
    ) throws {
        let externalId = subscription.externalId
        guard instant > subscription.startedAt else {
            throw SubscriptionCommandError.notAfterStart(subscription: externalId, startedAt: subscription.startedAt)
        }
        if let endingAt = subscription.endingAt, endingAt <= instant {
            throw SubscriptionCommandError.alreadyEnded(subscription: externalId, endingAt: endingAt)
        }
        let later = try store.events.countEvents(subscriptionId: subscription.id, after: instant, orAt: orAt)
        guard later == 0 else { throw SubscriptionCommandError.eventsAfter(subscription: externalId, count: later, at: instant) }
        // Labels are YYYY-MM for calendar months, YYYY-MM-DD for billing days of dated periods: text
        // order is time order within each kind. A dated period is closed by the invoice of its billing
        // day, which is after its first day.
        let live = try store.invoices.livePeriods()[subscription.customerId] ?? []
        var closed = live.filter { $0.utf8.count == 7 && $0 >= period.label }.min()
        if let schedule = catalog.chargesSchedule(of: subscription), let dated = schedule.period(containing: instant) {
            let first = DatedPeriod.label(ofDay: dated.firstDay)
            closed = live.filter { $0.utf8.count == 10 && $0 > first }.min()
        }
        if let closed {
            let customer = catalog.customer(id: subscription.customerId)?.externalId ?? String(subscription.customerId)
            throw SubscriptionCommandError.periodClosed(subscription: externalId, customer: customer, period: closed)
        }
    }
}
