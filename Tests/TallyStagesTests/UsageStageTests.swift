import Foundation
import Testing
import TallyCore
import TallyStages

/// `tally usage` (docs/BILLING.md, invoices): a customer's usage in the period containing an instant, as
/// Lago's customer_usage object, rated exactly as close will rate it. Expected amounts are computed
/// here.
@Suite struct UsageStageTests {
    /// Cents of `tokens` priced `dollars` per started million (the per-filter charge's package size).
    static func cents(_ tokens: Int, dollars: Int) -> Int64 {
        Int64(packages(tokens, size: 1_000_000) * dollars * 100)
    }

    /// Customer `ny` (America/New_York) with `ny-a` and `ny-b` on the per-filter plan (fee 10.00 USD),
    /// and customer `other` with `other-a`.
    static func newYorkDatabase(planFeeCents: Int = 0) throws -> TestDatabase {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", amountCents: planFeeCents, charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("ny", timezone: "America/New_York"), CloseCatalog.customer("other")],
            subscriptions: [
                CloseCatalog.subscription("ny-a", customer: "ny", plan: "tokens", at: "2026-09-01T04:00:00Z"),
                CloseCatalog.subscription("ny-b", customer: "ny", plan: "tokens", at: "2026-09-01T04:00:00Z"),
                CloseCatalog.subscription("other-a", customer: "other", plan: "tokens", at: "2026-09-01T00:00:00Z"),
            ]))
        return db
    }

    @Test func usageMidPeriodIsWhatCloseBillsForTheCharges() throws {
        let db = try Self.newYorkDatabase(planFeeCents: 1000)
        try db.ingestAccepted([
            tokenEvent("1", subscription: "ny-a", at: "2026-10-05T12:00:00Z", tokens: 1_500_000),
            tokenEvent("2", subscription: "ny-a", at: "2026-10-06T12:00:00Z", tokens: 250_000, type: "output"),
            // 03:00Z on November 1 is still October in New York.
            tokenEvent("3", subscription: "ny-a", at: "2026-11-01T03:00:00Z", tokens: 500_000),
            tokenEvent("4", subscription: "ny-b", at: "2026-10-07T12:00:00Z", tokens: 3_000_001, model: "large"),
            // After the instant asked about, still in the period: counted.
            tokenEvent("5", subscription: "ny-b", at: "2026-10-25T12:00:00Z", tokens: 999_999, model: "large", type: "output"),
            // No filter matches: the default bucket, priced 0.
            tokenEvent("6", subscription: "ny-b", at: "2026-10-08T12:00:00Z", tokens: 5_000_000, model: nil, type: nil),
            tokenEvent("7", subscription: "ny-b", at: "2026-10-09T12:00:00Z", tokens: 700_000, model: "large", type: nil),
            tokenEvent("8", subscription: "other-a", at: "2026-10-08T12:00:00Z", tokens: 9_000_000),
        ])
        let usage = try db.usage("ny", asOf: "2026-10-20T00:00:00Z")

        let expected: [String: [String?: Int64]] = [
            "ny-a": ["small-input": Self.cents(2_000_000, dollars: 1), "small-output": Self.cents(250_000, dollars: 2)],
            "ny-b": ["large-input": Self.cents(3_000_001, dollars: 3), "large-output": Self.cents(999_999, dollars: 4), nil: 0],
        ]
        let expectedTotal = expected.values.flatMap(\.values).reduce(0, +)
        #expect(usage.charges.map(\.externalSubscriptionId) == ["ny-a", "ny-b"])
        #expect(usage.amountCents == expectedTotal)
        #expect(usage.charges.map(\.eventsCount) == [3, 4])
        #expect(usage.charges.map(\.units) == [ExactDecimal(2_250_000), ExactDecimal(3_000_001 + 999_999 + 5_000_000 + 700_000)])

        try _ = db.close(.month(year: 2026, month: 10))
        let invoice = try db.invoice("ny", "2026-10")
        #expect(invoice.feesAmountCents == expectedTotal + 2 * 1000, "the charges plus two subscription fees")
        let chargeFees = try db.fees(of: invoice).filter { $0.feeType == "charge" }
        for fee in chargeFees {
            let charge = try #require(usage.charges.first { $0.externalSubscriptionId == fee.subscription })
            let bucket = try #require(charge.filters.first { $0.filter.invoiceDisplayName == fee.filterDisplayName }?.rated
                ?? (fee.filterDisplayName == nil ? charge.defaultBucket : nil))
            #expect(bucket.amountCents == fee.amountCents, "\(fee.subscription) \(fee.filterDisplayName ?? "default")")
            #expect(bucket.amountCents == expected[fee.subscription]?[fee.filterDisplayName])
            #expect(try decimal(bucket.units.description) == fee.units)
            #expect(bucket.eventsCount == fee.eventsCount)
        }
        let nonEmptyBuckets = usage.charges.flatMap(\.buckets).filter { $0.eventsCount > 0 }
        #expect(chargeFees.count == nonEmptyBuckets.count, "close bills every bucket with usage, and only those")
    }

    @Test func everyFilterIsListedZeroBucketsIncluded() throws {
        let db = try Self.newYorkDatabase()
        try db.ingestAccepted([tokenEvent("1", subscription: "ny-a", at: "2026-10-05T12:00:00Z", tokens: 1_000_000)])
        let usage = try db.usage("ny", subscription: "ny-a", asOf: "2026-10-20T00:00:00Z")

        let charge = try #require(usage.json.objectValue?["charges_usage"].flatMap(Self.array)?.first?.objectValue)
        let filters = try #require(charge["filters"].flatMap(Self.array)).map { $0.objectValue ?? JSONObject() }
        #expect(filters.map { $0["invoice_display_name"] } == ["small-input", "small-output", "large-input", "large-output"])
        #expect(filters.map { $0["units"] } == ["1000000", "0", "0", "0"])
        #expect(filters.map { $0["total_aggregated_units"] } == ["1000000", "0", "0", "0"])
        #expect(filters.map { $0["events_count"] } == [.number("1"), .number("0"), .number("0"), .number("0")])
        #expect(filters.map { $0["amount_cents"] } == [.number(String(Self.cents(1_000_000, dollars: 1))), .number("0"), .number("0"), .number("0")])
        #expect(filters[3]["values"] == .object(JSONObject([("model", ["large"]), ("type", ["output"])])))
        #expect(charge["grouped_usage"] == [])
        #expect(charge["amount_currency"] == "USD")
    }

    @Test func thePeriodIsTheCustomersMonthInNewYork() throws {
        let db = try Self.newYorkDatabase()
        try db.ingestAccepted([
            tokenEvent("sept", subscription: "ny-a", at: "2026-10-01T03:59:59Z", tokens: 1),
            tokenEvent("first", subscription: "ny-a", at: "2026-10-01T04:00:00Z", tokens: 10),
            tokenEvent("last", subscription: "ny-a", at: "2026-11-01T03:59:59.999999Z", tokens: 100),
            tokenEvent("nov", subscription: "ny-a", at: "2026-11-01T04:00:00Z", tokens: 1000),
        ])
        let october = try db.usage("ny", subscription: "ny-a", asOf: "2026-10-01T04:00:00Z").json.objectValue
        let bounds = Self.localMonth(2026, 10, "America/New_York")
        #expect(october?["from_datetime"] == .string(bounds.from))
        #expect(october?["to_datetime"] == .string(bounds.to))
        #expect(october?["from_datetime"] == "2026-10-01T04:00:00Z")
        #expect(october?["to_datetime"] == "2026-11-01T03:59:59Z")
        #expect(october?["issuing_date"] == "2026-11-01")
        #expect(october?["lago_invoice_id"] == .null)
        #expect(october?["taxes_amount_cents"] == .number("0"))
        #expect(october?["currency"] == "USD")
        #expect(try db.usage("ny", subscription: "ny-a", asOf: "2026-10-01T04:00:00Z").charges.first?.units == ExactDecimal(110))

        let september = try db.usage("ny", subscription: "ny-a", asOf: "2026-10-01T03:59:59Z")
        #expect(september.fromDatetime == Self.localMonth(2026, 9, "America/New_York").from)
        #expect(september.toDatetime == "2026-10-01T03:59:59Z")
        #expect(september.issuingDate == "2026-10-01")
        #expect(september.charges.first?.units == ExactDecimal(1))
    }

    @Test func aCustomerWithoutTimezoneUsesTheOrganizations() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("paris")],
            subscriptions: [CloseCatalog.subscription("paris-a", customer: "paris", plan: "tokens", at: "2026-09-01T00:00:00Z")],
            organizationTimezone: "Europe/Paris"))
        let usage = try db.usage("paris", asOf: "2026-10-31T23:30:00Z")
        let bounds = Self.localMonth(2026, 11, "Europe/Paris")
        #expect(usage.fromDatetime == bounds.from)
        #expect(usage.toDatetime == bounds.to)
        #expect(usage.issuingDate == "2026-12-01")
    }

    @Test func subscriptionOptionShowsThatSubscriptionOnly() throws {
        let db = try Self.newYorkDatabase()
        try db.ingestAccepted([
            tokenEvent("1", subscription: "ny-a", at: "2026-10-05T12:00:00Z", tokens: 1_500_000),
            tokenEvent("2", subscription: "ny-b", at: "2026-10-07T12:00:00Z", tokens: 2_000_001, model: "large"),
        ])
        let a = try db.usage("ny", subscription: "ny-a", asOf: "2026-10-20T00:00:00Z")
        let b = try db.usage("ny", subscription: "ny-b", asOf: "2026-10-20T00:00:00Z")
        let both = try db.usage("ny", asOf: "2026-10-20T00:00:00Z")
        #expect(a.charges.map(\.externalSubscriptionId) == ["ny-a"])
        #expect(b.charges.map(\.externalSubscriptionId) == ["ny-b"])
        #expect(a.amountCents == Self.cents(1_500_000, dollars: 1))
        #expect(b.amountCents == Self.cents(2_000_001, dollars: 3))
        #expect(both.amountCents == a.amountCents + b.amountCents)
        #expect(both.charges.count == 2, "one entry per subscription and charge")
    }

    @Test func unknownCustomerAndAnotherCustomersSubscriptionAreBadUsage() throws {
        let db = try Self.newYorkDatabase()
        let stage = UsageStage(database: db.database)
        let october = try #require(UTCInstant(year: 2026, month: 10, day: 20))
        let unknownCustomer = #expect(throws: UsageError.self) { try stage.usage(customer: "nobody", asOf: october) }
        #expect(unknownCustomer?.kind == .unknown)
        #expect(unknownCustomer?.description.contains("nobody") == true)
        let othersSubscription = #expect(throws: UsageError.self) {
            try stage.usage(customer: "ny", subscription: "other-a", asOf: october)
        }
        #expect(othersSubscription?.kind == .unknown)
        #expect(othersSubscription?.description.contains("other-a") == true)
        let unknownSubscription = #expect(throws: UsageError.self) {
            try stage.usage(customer: "ny", subscription: "nope", asOf: october)
        }
        #expect(unknownSubscription?.kind == .unknown)
    }

    @Test func noSubscriptionActiveAtTheInstantIsAFailure() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("c")],
            subscriptions: [#"""
                {"external_customer_id": "c", "plan_code": "tokens", "external_id": "short",
                 "subscription_at": "2026-09-10T00:00:00Z", "ending_at": "2026-10-10T00:00:00Z"}
                """#]))
        let stage = UsageStage(database: db.database)
        for instant in [UTCInstant(year: 2026, month: 9, day: 1)!, UTCInstant(year: 2026, month: 10, day: 20)!] {
            let error = #expect(throws: UsageError.self) { try stage.usage(customer: "c", asOf: instant) }
            #expect(error?.kind == .nothingActive)
            #expect(error?.description.contains("short from 2026-09-10T00:00:00Z until 2026-10-10T00:00:00Z") == true)
        }
        #expect(try db.usage("c", asOf: "2026-10-10T00:00:00Z").charges.count == 1, "the end is inclusive")
    }

    @Test func unitsAreExactDecimalsAndAmountsRoundHalfUp() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", charges: [CloseCatalog.charge(properties: CloseCatalog.package("0.125"))])],
            customers: [CloseCatalog.customer("c")],
            subscriptions: [CloseCatalog.subscription("c-a", customer: "c", plan: "tokens", at: "2026-09-01T00:00:00Z")]))
        let tokens = ["2000000.05", "0.1", "0.2"]
        try db.ingestAccepted(tokens.enumerated().map { index, value in
            #"{"transaction_id": "\#(index)", "external_subscription_id": "c-a", "code": "ai_tokens", "timestamp": "2026-10-0\#(index + 1)T00:00:00Z", "properties": {"tokens": "\#(value)"}}"#
        })
        let usage = try db.usage("c", asOf: "2026-10-20T00:00:00Z")

        var units = tokens.map { Decimal(string: $0)! }.reduce(0, +)
        var packages = Decimal()
        var quotient = units / 1_000_000
        NSDecimalRound(&packages, &quotient, 0, .up)
        var cents = packages * Decimal(string: "0.125")! * 100
        var rounded = Decimal()
        NSDecimalRound(&rounded, &cents, 0, .plain)
        let charge = try #require(usage.json.objectValue?["charges_usage"].flatMap(Self.array)?.first?.objectValue)
        #expect(charge["units"] == .string(NSDecimalString(&units, nil)))
        #expect(charge["units"] == "2000000.35")
        #expect(charge["amount_cents"] == .number(NSDecimalNumber(decimal: rounded).stringValue))
        #expect(usage.amountCents == 38, "3 packages × 0.125 = 0.375 USD, half-up to 38 cents")
    }

    @Test func lateEventsOfAClosedPeriodCount() throws {
        let db = try Self.newYorkDatabase()
        try db.ingestAccepted([tokenEvent("1", subscription: "ny-a", at: "2026-10-05T12:00:00Z", tokens: 1_000_000)])
        try _ = db.close(.month(year: 2026, month: 10))
        try db.ingestAccepted([tokenEvent("late", subscription: "ny-a", at: "2026-10-06T12:00:00Z", tokens: 1)], name: "late.ndjson")
        let usage = try db.usage("ny", subscription: "ny-a", asOf: "2026-10-20T00:00:00Z")
        #expect(usage.charges.first?.units == ExactDecimal(1_000_001))
        #expect(usage.amountCents == Self.cents(1_000_001, dollars: 1))
    }

    @Test func lagoIdsAreTheStoredOnesAndStable() throws {
        let db = try Self.newYorkDatabase()
        let first = try db.usage("ny", asOf: "2026-10-20T00:00:00Z")
        let again = try db.usage("ny", asOf: "2026-10-21T00:00:00Z")
        let chargeId = try db.scalar("SELECT md5(lago_id::text || ':0')::uuid::text FROM plans WHERE code = 'tokens'")
        #expect(first.charges.map(\.chargeLagoId) == [chargeId, chargeId], "one id per plan charge")
        #expect(again.charges.map(\.chargeLagoId) == first.charges.map(\.chargeLagoId))
        #expect(first.charges.first.flatMap { UUID(uuidString: $0.chargeLagoId) } != nil)
        #expect(first.charges.first?.metric.lagoId == (try db.scalar("SELECT lago_id::text FROM billable_metrics WHERE code = 'ai_tokens'")))
        let metric = first.json.objectValue?["charges_usage"].flatMap(Self.array)?.first?.objectValue?["billable_metric"]
        #expect(metric?.objectValue?["aggregation_type"] == "sum_agg")
        #expect(metric?.objectValue?["name"] == "AI Tokens")
    }

    // MARK: Helpers

    static func array(_ value: JSONValue) -> [JSONValue]? {
        guard case .array(let elements) = value else { return nil }
        return elements
    }

    /// The month's bounds in `zone` as Lago writes them (whole seconds, UTC), computed with Foundation.
    static func localMonth(_ year: Int, _ month: Int, _ zone: String) -> (from: String, to: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: zone)!
        let start = calendar.date(from: DateComponents(year: year, month: month, day: 1))!
        let end = calendar.date(byAdding: .month, value: 1, to: start)!.addingTimeInterval(-1)
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return (formatter.string(from: start), formatter.string(from: end))
    }
}

extension TestDatabase {
    /// `tally usage --customer customer [--subscription subscription] --as-of asOf` (whole-second RFC 3339).
    func usage(_ customer: String, subscription: String? = nil, asOf: String) throws -> CustomerUsageDocument {
        try UsageStage(database: database)
            .usage(customer: customer, subscription: subscription, asOf: UTCInstant(microsecondsSinceEpoch: micros(asOf)))
    }
}
