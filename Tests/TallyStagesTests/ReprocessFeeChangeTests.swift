import Testing
import TallyCore
@testable import TallyStages

/// How reprocessing tells two versions of an invoice's fee lines apart (docs/BILLING.md, reprocessing):
/// a line is the same bucket of the same charge of the same subscription; it changed when its units,
/// events count or amount did. No database: the lines are built by hand.
@Suite struct ReprocessFeeChangeTests {
    static func line(_ filters: String?, units: Int, events: Int, cents: Int64, subscription: Int64 = 1,
                     type: String = "charge", name: String? = nil) -> FeeLine {
        FeeLine(
            key: FeeLine.Key(subscriptionId: subscription, feeType: type, itemCode: "ai_tokens", filters: filters),
            externalSubscriptionId: "sub-\(subscription)", filterInvoiceDisplayName: name, filterValues: nil,
            figures: FeeFigures(units: ExactDecimal(units), eventsCount: events, amountCents: cents))
    }

    static let small = #"{"model":["small"]}"#
    static let large = #"{"model":["large"]}"#

    @Test func theSameLinesInAnotherOrderAreNoChange() {
        let old = [Self.line(Self.small, units: 10, events: 1, cents: 100), Self.line(Self.large, units: 5, events: 2, cents: 300)]
        #expect(FeeChange.between(old: old, new: old.reversed()).isEmpty)
    }

    @Test func addedChangedAndRemovedLinesAreReportedWithTheirFigures() {
        let old = [
            Self.line(Self.small, units: 10, events: 1, cents: 100),
            Self.line(Self.large, units: 5, events: 2, cents: 300),
            Self.line(nil, units: 1, events: 0, cents: 1000, type: "subscription"),
        ]
        let new = [
            Self.line(Self.small, units: 10, events: 2, cents: 100),   // one more event of 0 units
            Self.line(nil, units: 1, events: 0, cents: 1000, type: "subscription"),
            Self.line(nil, units: 7, events: 1, cents: 0),             // the default bucket, new
        ]
        let changes = FeeChange.between(old: old, new: new)
        #expect(changes.map(\.kind) == [.changed, .added, .removed])
        #expect(changes.map(\.feeType) == ["charge", "charge", "charge"])
        #expect(changes[0].before == FeeFigures(units: ExactDecimal(10), eventsCount: 1, amountCents: 100))
        #expect(changes[0].after == FeeFigures(units: ExactDecimal(10), eventsCount: 2, amountCents: 100))
        #expect(changes[1].before == nil)
        #expect(changes[1].after == FeeFigures(units: ExactDecimal(7), eventsCount: 1, amountCents: 0))
        #expect(changes[2].before == FeeFigures(units: ExactDecimal(5), eventsCount: 2, amountCents: 300))
        #expect(changes[2].after == nil)
    }

    @Test func linesOfTwoSubscriptionsAreNotConfused() {
        let old = [Self.line(Self.small, units: 10, events: 1, cents: 100, subscription: 1)]
        let new = [Self.line(Self.small, units: 10, events: 1, cents: 100, subscription: 2)]
        #expect(FeeChange.between(old: old, new: new).map(\.kind) == [.added, .removed])
        #expect(FeeChange.between(old: old, new: new).map(\.externalSubscriptionId) == ["sub-2", "sub-1"])
    }

    @Test func twoLinesOfOneKeyPairUpInOrder() {
        // Two charges on one metric, both default buckets: the first old pairs with the first new.
        let old = [Self.line(nil, units: 1, events: 1, cents: 10), Self.line(nil, units: 2, events: 1, cents: 20)]
        let new = [Self.line(nil, units: 1, events: 1, cents: 10), Self.line(nil, units: 3, events: 2, cents: 30)]
        let changes = FeeChange.between(old: old, new: new)
        #expect(changes.map(\.kind) == [.changed])
        #expect(changes.first?.before?.units == ExactDecimal(2))
        #expect(changes.first?.after?.units == ExactDecimal(3))
        #expect(FeeChange.between(old: old, new: Array(new.prefix(1))).map(\.kind) == [.removed])
    }
}
