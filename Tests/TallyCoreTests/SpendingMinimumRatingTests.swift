import Testing
import TallyCore

/// A charge's spending minimum (its true-up fee) and a plan's minimum commitment (the commitment
/// fee), rated from values (docs/BILLING.md). September 2026 has 30 days, all in UTC.
@Suite struct SpendingMinimumRatingTests {
    static let tokens = BillableMetric(
        code: "tokens", name: "Tokens", fieldName: "tokens", filters: [MetricFilter(key: "model", values: ["small", "large"])])

    /// $0.02 per small token (filter), $0.01 per other token (default), with `minimum` cents.
    static func charge(minimum: Int64?) throws -> Charge {
        Charge(
            billableMetricCode: "tokens", chargeModel: .standard, invoiceDisplayName: "Token usage",
            properties: .standard(StandardProperties(amount: try HandBuilt.decimal("0.01"))),
            filters: [ChargeFilter(invoiceDisplayName: "small", properties: .standard(StandardProperties(amount: try HandBuilt.decimal("0.02"))),
                                   values: [FilterCondition(key: "model", values: ["small"])])],
            minAmountCents: minimum)
    }

    static func plan(fee: Int64 = 0, minimum: Int64? = nil, commitment: MinimumCommitment? = nil) throws -> Plan {
        Plan(code: "pro", name: "Pro", amountCents: fee, currency: "USD", charges: [try charge(minimum: minimum)],
             minimumCommitment: commitment)
    }

    static func usage(small: String? = nil, large: String? = nil) throws -> [UsageBucket] {
        var buckets: [UsageBucket] = []
        if let small { buckets.append(UsageBucket(code: "tokens", filterValues: ["model": "small"], units: try HandBuilt.decimal(small), eventsCount: 1)) }
        if let large { buckets.append(UsageBucket(code: "tokens", filterValues: ["model": "large"], units: try HandBuilt.decimal(large), eventsCount: 1)) }
        return buckets
    }

    /// The fees of `sub` on `plan` for September 2026, started at `start` (default: before the month).
    static func fees(_ plan: Plan, usage: [UsageBucket], start: UTCInstant? = nil) throws -> [DraftFee] {
        let startedAt = try start ?? HandBuilt.instant(2026, 8, 1)
        return try #require(try SubscriptionRating.fees(
            subscription: Subscription(externalId: "sub", externalCustomerId: "acme", planCode: plan.code, subscriptionAt: startedAt),
            plan: plan, startedAt: startedAt, endingAt: nil, period: try HandBuilt.period(2026, 9), usage: usage,
            metrics: ["tokens": tokens])).fees
    }

    // MARK: Spending minimum per charge

    @Test func aChargeShortOfItsMinimumGetsATrueUpOfTheShortfallSummedOverItsSlots() throws {
        // small 100 × 0.02 = 2.00 (200), default 150 × 0.01 = 1.50 (150): used 350 of 1000 × 30 ÷ 30 = 1000.
        let fees = try Self.fees(try Self.plan(minimum: 1000), usage: try Self.usage(small: "100", large: "150"))
        #expect(fees.map(\.kind) == [.charge, .charge, .chargeTrueUp])
        #expect(fees.map(\.amountCents) == [200, 150, 650])
        let trueUp = try #require(fees.last)
        #expect(trueUp.preciseAmount == ExactDecimal(significand: 65, scale: 1)) // (1000 − 350) ÷ 100 = 6.5
        #expect(trueUp.units == ExactDecimal(1))
        #expect(trueUp.eventsCount == 0)
        #expect(trueUp.filters == nil)
        #expect(trueUp.itemCode == "tokens")
        #expect(trueUp.invoiceDisplayName == "Token usage")
        #expect(trueUp.preciseUnitAmount == trueUp.preciseAmount)
    }

    @Test func aChargeThatReachesItsMinimumHasNoTrueUp() throws {
        // small 600 × 0.02 = 12.00 (1200) ≥ 1000; the empty default slot is left off as usual.
        let fees = try Self.fees(try Self.plan(minimum: 1000), usage: try Self.usage(small: "600"))
        #expect(fees.map(\.kind) == [.charge])
        #expect(fees.map(\.amountCents) == [1200])
        // Exactly at the minimum: 500 × 0.02 = 10.00 (1000), no true-up either.
        let exact = try Self.fees(try Self.plan(minimum: 1000), usage: try Self.usage(small: "500"))
        #expect(exact.map(\.amountCents) == [1000])
    }

    @Test func theMinimumIsProratedOverTheDaysOfAPartialFirstMonth() throws {
        // Started 15 September: 16 days, prorated 1000 × 16 ÷ 30 = 533.33… (not rounded).
        // default 33.3 × 0.01 = 0.333 → 33; true-up round(533.33… − 33) = round(500.33…) = 500;
        // precise (533.33… − 33.3) ÷ 100 = 5.000333… → 5.000333333333 (12 decimals, half-up).
        let fees = try Self.fees(try Self.plan(minimum: 1000), usage: try Self.usage(large: "33.3"),
                                 start: try HandBuilt.instant(2026, 9, 15))
        #expect(fees.map(\.kind) == [.charge, .chargeTrueUp])
        #expect(fees.map(\.amountCents) == [33, 500])
        #expect(fees.last?.preciseAmount == (try HandBuilt.decimal("5.000333333333")))
        #expect(fees.last?.from == (try HandBuilt.instant(2026, 9, 15)))
    }

    @Test func anUnusedDefaultSlotStaysAsTheTrueUpsParent() throws {
        // Only small usage: 100 × 0.02 = 2.00 (200); the default slot bills 0 units, 0 events, 0 cents
        // but stays, followed by the true-up 1000 − 200 = 800.
        let fees = try Self.fees(try Self.plan(minimum: 1000), usage: try Self.usage(small: "100"))
        #expect(fees.map(\.kind) == [.charge, .charge, .chargeTrueUp])
        #expect(fees.map(\.amountCents) == [200, 0, 800])
        #expect(fees[1].filters == nil)
        #expect(fees[1].units == .zero)
        #expect(fees[1].eventsCount == 0)
        // No usage at all: the parent alone, then the whole minimum.
        let idle = try Self.fees(try Self.plan(minimum: 1000), usage: [])
        #expect(idle.map(\.kind) == [.charge, .chargeTrueUp])
        #expect(idle.map(\.amountCents) == [0, 1000])
    }

    @Test func theTrueUpIsALineOfItsOwnForReprocessing() throws {
        let fees = try Self.fees(try Self.plan(minimum: 1000), usage: [])
        let lines = fees.map { FeeLine(subscriptionId: 1, fee: $0) }
        #expect(lines[0].key != lines[1].key)
        #expect(lines[1].key == FeeLine.Key(subscriptionId: 1, feeType: "charge_true_up", itemCode: "tokens", filters: nil))
        #expect(FeeChange.between(old: lines, new: lines).isEmpty)
    }

    // MARK: Minimum commitment

    @Test func aSubscriptionShortOfItsCommitmentGetsTheShortfall() throws {
        // Plan fee 10000 + default 1000 × 0.01 = 10.00 (1000) = 11000 < 15000 × 30 ÷ 30 = 15000: 4000.
        let fees = try Self.fees(try Self.plan(fee: 10_000, commitment: MinimumCommitment(amountCents: 15_000)),
                                 usage: try Self.usage(large: "1000"))
        #expect(fees.map(\.kind) == [.charge, .subscription, .commitment])
        let commitment = try #require(fees.last)
        #expect(commitment.amountCents == 4000)
        #expect(commitment.preciseAmount == ExactDecimal(40)) // 150.00 − 100.00 − 10.00
        #expect(commitment.units == ExactDecimal(1))
        #expect(commitment.eventsCount == 0)
        #expect(commitment.itemCode == "pro")
        #expect(commitment.itemName == "Pro")
        #expect(commitment.invoiceDisplayName == "Minimum commitment")
    }

    @Test func aCommitmentMetExactlyOrExceededAddsNoFee() throws {
        let plan = try Self.plan(fee: 10_000, commitment: MinimumCommitment(amountCents: 15_000))
        // 10000 + 5000 × 0.01 = 50.00 (5000) = 15000: met, and Lago creates no commitment fee of 0.
        let met = try Self.fees(plan, usage: try Self.usage(large: "5000"))
        #expect(met.map(\.kind) == [.charge, .subscription])
        // 10000 + 6000 = 16000 > 15000.
        let exceeded = try Self.fees(plan, usage: try Self.usage(large: "6000"))
        #expect(exceeded.map(\.kind) == [.charge, .subscription])
        #expect(exceeded.map(\.amountCents) == [6000, 10_000])
    }

    @Test func theCommitmentIsProratedInAPartialFirstMonth() throws {
        // Started 15 September: 16 days. Plan fee 10000 × 16 ÷ 30 = 5333.33 → 5333 (53.33);
        // default 33.3 × 0.01 = 0.333 → 33; commitment 15000 × 16 ÷ 30 = 8000;
        // fee 8000 − (5333 + 33) = 2634; precise 80.00 − 53.33 − 0.333 = 26.337.
        let plan = try Self.plan(fee: 10_000, commitment: MinimumCommitment(amountCents: 15_000, invoiceDisplayName: "Committed spend"))
        let fees = try Self.fees(plan, usage: try Self.usage(large: "33.3"), start: try HandBuilt.instant(2026, 9, 15, 13, 30))
        #expect(fees.map(\.kind) == [.charge, .subscription, .commitment])
        #expect(fees.map(\.amountCents) == [33, 5333, 2634])
        #expect(fees.last?.preciseAmount == (try HandBuilt.decimal("26.337")))
        #expect(fees.last?.invoiceDisplayName == "Committed spend")
    }

    @Test func theProratedCommitmentIsRoundedHalfUp() throws {
        // 16 days: 10001 × 16 ÷ 30 = 5333.866… → 5334; no other fee, so the whole of it.
        let fees = try Self.fees(try Self.plan(commitment: MinimumCommitment(amountCents: 10_001)), usage: [],
                                 start: try HandBuilt.instant(2026, 9, 15))
        #expect(fees.map(\.kind) == [.commitment])
        #expect(fees.map(\.amountCents) == [5334])
        #expect(fees.last?.preciseAmount == (try HandBuilt.decimal("53.34")))
    }

    @Test func trueUpsCountTowardTheCommitment() throws {
        // No usage: parent 0 + true-up 1000 = 1000 < 2500, so a commitment fee of 1500.
        let fees = try Self.fees(try Self.plan(minimum: 1000, commitment: MinimumCommitment(amountCents: 2500)), usage: [])
        #expect(fees.map(\.kind) == [.charge, .chargeTrueUp, .commitment])
        #expect(fees.map(\.amountCents) == [0, 1000, 1500])
    }

    @Test func aPartEndedByAChangeOfPlanLeavesItsLastDayToTheNewPlan() throws {
        // Ended by a change of plan at September 11th 00:00: fee and minimum count September 1st–10th
        // (11 − 1 = 10 days), the commitment September 1st–11th (11 days), as Lago counts them.
        let plan = try Self.plan(fee: 3_000, minimum: 3_000, commitment: MinimumCommitment(amountCents: 6_000))
        let startedAt = try HandBuilt.instant(2026, 8, 1)
        let rated = try #require(try SubscriptionRating.fees(
            subscription: Subscription(externalId: "sub", externalCustomerId: "acme", planCode: plan.code, subscriptionAt: startedAt),
            plan: plan, startedAt: startedAt, endingAt: try HandBuilt.instant(2026, 9, 11), period: try HandBuilt.period(2026, 9),
            usage: [], metrics: ["tokens": Self.tokens], superseded: true)).fees
        // Fee 10 × 3000 ÷ 30 = 1000; true-up 10 × 3000 ÷ 30 = 1000; commitment 11 × 6000 ÷ 30 = 2200 − 2000 = 200.
        #expect(rated.map(\.kind) == [.charge, .chargeTrueUp, .subscription, .commitment])
        #expect(rated.map(\.amountCents) == [0, 1_000, 1_000, 200])
    }
}
