import TallyCore
import TallyStore

/// Pay-in-advance plan fees at close (docs/BILLING.md, pay-in-advance plan fees): the start invoices
/// a close issues before its period invoices, and what the period invoices must know of fees billed ahead.
extension CloseStage {
    /// Issues the start invoices `scope` calls for, before any period invoice so that those see them:
    /// each pay-in-advance subscription that started before the scope's instant and now (`--period`:
    /// in that month), and that no live invoice bills yet. In order of start, then customer, so that
    /// numbering is deterministic. Returns the period labels they were filed under and their numbers,
    /// whose files the caller writes with the period's others.
    func issueStartInvoices(_ scope: CloseScope, catalog: StoredCatalog, now: UTCInstant, summary: inout CloseSummary) throws -> (periods: [String], numbers: Set<String>) {
        let (asOf, months): (UTCInstant, Set<String>?) = switch scope {
        case .endedBefore(let asOf): (asOf, nil)
        case .month(let year, let month): (now, [CalendarMonth(year: year, month: month).label])
        }
        let billed = try store.invoices.billedSubscriptionIds()
        var due: [(customer: StoredCatalog.CustomerRecord, subscription: StoredCatalog.SubscriptionRecord)] = []
        for customer in catalog.customers {
            for subscription in catalog.subscriptions(of: customer)
            where StartInvoice.isDue(subscription, customer: customer, asOf: asOf, now: now, months: months, billed: billed) {
                due.append((customer, subscription))
            }
        }
        due.sort { ($0.subscription.startedAt, $0.customer.sequentialId, $0.subscription.id) < ($1.subscription.startedAt, $1.customer.sequentialId, $1.subscription.id) }
        var drafts: [InvoiceDraft] = []
        for (customer, subscription) in due {
            do {
                if let draft = try StartInvoice.draft(subscription, customer: customer) { drafts.append(draft.withTaxes(from: catalog)) }
            } catch {
                summary.notIssued.append(NotIssued(customer: customer.externalId, period: "start of \(subscription.externalId)",
                                                   reason: error.description))
            }
        }
        let issued = try issue(drafts, catalog: catalog, notIssued: &summary.notIssued) { _ in }
        summary.issued += issued
        return (Array(Set(drafts.map(\.period.label))), Set(issued.map(\.number)))
    }

    /// What the stored invoices say of the plan fees of `month` (and of the next one) the
    /// subscriptions `ids` had billed ahead, by subscription id.
    static func advanceBilling(of ids: [Int64], month: CalendarMonth, store: Store) throws -> [Int64: AdvanceBilling] {
        let previous = month.month == 1 ? CalendarMonth(year: month.year - 1, month: 12) : CalendarMonth(year: month.year, month: month.month - 1)
        let next = month.month == 12 ? CalendarMonth(year: month.year + 1, month: 1) : CalendarMonth(year: month.year, month: month.month + 1)
        return try store.invoices.advanceBilling(subscriptionIds: ids, period: month.label, previous: previous.label, next: next.label)
    }
}

/// The advance fees of the drafts one close has rated but not yet stored: a close of several months
/// rates them all before issuing any, and a month's invoice must see the previous month's advance fee.
struct BilledAhead {
    /// Subscription ids whose fee of the month (label) a rated draft bills ahead.
    private var paid: [String: Set<Int64>] = [:]

    /// Keeps the advance fees of `draft`: its plan fees billing after its period.
    mutating func record(_ draft: InvoiceDraft) {
        for line in draft.fees where line.fee.kind == .subscription && line.fee.from > draft.period.to {
            paid[draft.period.next.label, default: []].insert(line.subscriptionId)
        }
    }

    /// `stored` (what the store says of `period`) with the fees of `period` rated drafts bill ahead.
    func adding(to stored: [Int64: AdvanceBilling], period: BillingPeriod) -> [Int64: AdvanceBilling] {
        var billing = stored
        for id in paid[period.label] ?? [] { billing[id, default: .none].periodFeeBilled = true }
        return billing
    }
}
