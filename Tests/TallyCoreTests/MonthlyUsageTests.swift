import Testing
@testable import TallyCore

/// The monthly buckets ingest sums usage into: the calendar month in the subscription's billing
/// timezone, whatever order the events come in.
@Suite struct MonthlyUsageTests {
    func event(_ subscription: Int64, _ instant: String, units: String, code: String = "ai_tokens") throws -> ValidatedEvent {
        ValidatedEvent(subscriptionId: subscription, transactionId: "t", code: code,
                       timestamp: try TimestampParser.parse(.string(instant)), properties: [],
                       units: try #require(ExactDecimal(decimalString: units)))
    }

    @Test func eventsFallInTheLocalMonthOfTheirSubscription() throws {
        var usage = MonthlyUsage(timezones: [1: "America/New_York", 2: "Asia/Kolkata", 3: "UTC"], metrics: [:])
        let bucket = #"{"model":"small"}"#
        for (subscription, instant, units) in [
            (1, "2026-11-01T03:59:59.999999Z", "1.5"), (1, "2026-10-01T03:59:59Z", "2"), (1, "2026-10-01T04:00:00Z", "3"),
            (1, "2026-11-01T04:00:00Z", "4"), (1, "2026-10-20T00:00:00Z", "0.25"),
            (2, "2026-09-30T18:29:59Z", "5"), (2, "2026-09-30T18:30:00Z", "6"),
            (3, "2026-12-31T23:59:59Z", "7"), (3, "2027-01-01T00:00:00Z", "8"),
        ] as [(Int64, String, String)] {
            #expect(usage.add(try event(subscription, instant, units: units), filterValues: bucket, arrival: 0))
        }
        let totals = usage.totals.map { "\($0.key.subscriptionId) \($0.key.month.firstDay) \($0.value.units) \($0.value.events)" }.sorted()
        #expect(totals == [
            "1 2026-09-01 2 1", "1 2026-10-01 4.75 3", "1 2026-11-01 4 1",
            "2 2026-09-01 5 1", "2 2026-10-01 6 1",
            "3 2026-12-01 7 1", "3 2027-01-01 8 1",
        ])
    }

    @Test func filterValuesAndMetricsAreBucketsOfTheirOwn() throws {
        var usage = MonthlyUsage(timezones: [1: "UTC"], metrics: [:])
        #expect(usage.add(try event(1, "2026-10-02T00:00:00Z", units: "1"), filterValues: #"{"model":"small"}"#, arrival: 0))
        #expect(usage.add(try event(1, "2026-10-03T00:00:00Z", units: "1"), filterValues: #"{"model":"large"}"#, arrival: 0))
        #expect(usage.add(try event(1, "2026-10-04T00:00:00Z", units: "1", code: "images"), filterValues: #"{"model":"small"}"#, arrival: 0))
        #expect(usage.add(try event(1, "2026-10-05T00:00:00Z", units: "1"), filterValues: #"{"model":"small"}"#, arrival: 0))
        #expect(usage.totals.count == 3)
        #expect(usage.totals.values.map(\.events).sorted() == [1, 1, 2])
    }

    @Test func anEventItCannotBucketIsRefused() throws {
        var usage = MonthlyUsage(timezones: [1: "Not/AZone"], metrics: [:])
        #expect(!usage.add(try event(1, "2026-10-02T00:00:00Z", units: "1"), filterValues: "{}", arrival: 0), "unknown timezone")
        #expect(!usage.add(try event(9, "2026-10-02T00:00:00Z", units: "1"), filterValues: "{}", arrival: 0), "unknown subscription")
        var full = MonthlyUsage(timezones: [1: "UTC"], metrics: [:])
        let huge = "9" + String(repeating: "0", count: 37)
        #expect(full.add(try event(1, "2026-10-02T00:00:00Z", units: huge), filterValues: "{}", arrival: 0))
        #expect(!full.add(try event(1, "2026-10-03T00:00:00Z", units: huge), filterValues: "{}", arrival: 0), "beyond 38 digits")
        #expect(usage.totals.isEmpty)
    }

    @Test func distinctValuesBeyondTheLimitAreRefusedAndLeaveTheTotalsAlone() throws {
        let seats = IngestCatalog.Metric(code: "seats", aggregation: .uniqueCountAgg, fieldName: "user", filterValues: [:])
        var usage = MonthlyUsage(timezones: [1: "UTC"], metrics: ["seats": seats], uniqueValueLimit: 2)
        func seat(_ user: String, day: Int) throws -> ValidatedEvent {
            ValidatedEvent(subscriptionId: 1, transactionId: user, code: "seats",
                           timestamp: try TimestampParser.parse(.string("2026-10-0\(day)T00:00:00Z")),
                           properties: [("user", user)], units: ExactDecimal(1))
        }
        #expect(usage.add(try seat("u1", day: 1), filterValues: "{}", arrival: 1))
        #expect(usage.add(try seat("u2", day: 2), filterValues: "{}", arrival: 2))
        #expect(!usage.add(try seat("u3", day: 3), filterValues: "{}", arrival: 3), "a third distinct value")
        #expect(usage.add(try seat("u1", day: 4), filterValues: "{}", arrival: 4), "a value already kept")
        #expect(usage.uniques.count == 2)
        #expect(usage.totals.values.map(\.events) == [3])
    }
}
