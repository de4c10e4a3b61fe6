import Testing
import TallyCore
import TallyPostgres
@testable import TallyStore

/// The monthly usage rollups: adding an export's usage, replacing rollups when they are rebuilt,
/// reading a month's buckets, and the late periods.
@Suite struct UsageStoreTests {
    static let october = CalendarMonth(year: 2026, month: 10)
    static let november = CalendarMonth(year: 2026, month: 11)

    static func event(
        _ subscription: Int64, _ timestamp: UTCInstant, model: String? = "small", units: String, code: String = "tokens"
    ) -> ValidatedEvent {
        ValidatedEvent(subscriptionId: subscription, transactionId: "t\(timestamp.microsecondsSinceEpoch)-\(units)", code: code,
                       timestamp: timestamp, properties: (model.map { [("model", $0)] } ?? []) + [("other", "x")],
                       units: decimal(units))
    }

    /// `events` summed into monthly buckets, in each subscription's timezone (UTC when not given),
    /// bucketed by the filter key `model` of `tokens` (other metrics have no filters).
    static func usage(_ events: [ValidatedEvent], timezones: [Int64: String] = [:],
                      sourceLocation: SourceLocation = #_sourceLocation) -> MonthlyUsage {
        var zones = Dictionary(events.map { ($0.subscriptionId, "UTC") }, uniquingKeysWith: { $1 })
        zones.merge(timezones) { $1 }
        var usage = MonthlyUsage(timezones: zones, metrics: [:])
        for event in events {
            let keys: [String: Set<String>] = event.code == "tokens" ? ["model": []] : [:]
            let added = usage.add(event, filterValues: event.propertiesJSON(only: keys), arrival: 0)
            #expect(added, "summed", sourceLocation: sourceLocation)
        }
        return usage
    }

    /// Each subscription's buckets as "code key=value units events", in the order read.
    static func described(_ buckets: [Int64: [UsageBucket]]) -> [Int64: [String]] {
        buckets.mapValues { list in
            list.map { bucket in
                let values = bucket.filterValues.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                return "\(bucket.code) \(values.isEmpty ? "-" : values) \(bucket.units) \(bucket.eventsCount)"
            }
        }
    }

    static func buckets(_ db: TestStore, _ subscriptionIds: [Int64], _ month: CalendarMonth) throws -> [Int64: [String]] {
        let usage = try db.store.usage.buckets(subscriptionIds: subscriptionIds, month: month)
        #expect(usage.unreadable.isEmpty)
        return described(usage.buckets)
    }

    // MARK: Adding and reading

    @Test func addedUsageIsReadBackSummedPerFilterValuesForTheMonthAskedOnly() throws {
        let db = try TestStore()
        let usage = Self.usage([
            Self.event(1, utc(2026, 10, 5), units: "100"),
            Self.event(1, utc(2026, 10, 20), units: "50.5"),
            Self.event(1, utc(2026, 10, 21), model: "large", units: "7"),
            Self.event(1, utc(2026, 10, 3), model: nil, units: "2", code: "calls"),
            Self.event(1, utc(2026, 11, 1), units: "1000"),
            Self.event(1, utc(2026, 9, 30, 23, 59, 59, microsecond: 999_999), units: "1"),
            // 01:00 on 1 November and 00:00 on 1 October in Tokyo.
            Self.event(2, utc(2026, 10, 31, 16), units: "2"),
            Self.event(2, utc(2026, 9, 30, 15), units: "3"),
            Self.event(3, utc(2026, 10, 10), units: "9"),
        ], timezones: [2: "Asia/Tokyo"])
        try db.store.transaction { try db.store.usage.add(usage) }

        #expect(try Self.buckets(db, [1, 2], Self.october) == [
            1: ["calls - 2 1", "tokens model=large 7 1", "tokens model=small 150.5 2"],
            2: ["tokens model=small 3 1"],
        ])
        #expect(try Self.buckets(db, [1, 2], Self.november) == [1: ["tokens model=small 1000 1"], 2: ["tokens model=small 2 1"]])
        #expect(try Self.buckets(db, [1, 3], CalendarMonth(year: 2026, month: 9)) == [1: ["tokens model=small 1 1"]])
        #expect(try Self.buckets(db, [1, 2, 3], CalendarMonth(year: 2026, month: 12)) == [:])
        #expect(try Self.buckets(db, [], Self.october) == [:])
    }

    @Test func addingUsageTwiceSumsItIntoTheSameBuckets() throws {
        let db = try TestStore()
        let first = Self.usage([Self.event(1, utc(2026, 10, 5), units: "100"), Self.event(1, utc(2026, 10, 6), model: "large", units: "7")])
        let second = Self.usage([Self.event(1, utc(2026, 10, 25), units: "0.5"),
                                 Self.event(1, utc(2026, 10, 26), model: nil, units: "2", code: "calls")])
        try db.store.transaction { try db.store.usage.add(first) }
        #expect(try Self.buckets(db, [1], Self.october) == [1: ["tokens model=large 7 1", "tokens model=small 100 1"]])
        try db.store.transaction { try db.store.usage.add(second) }
        #expect(try Self.buckets(db, [1], Self.october)
                == [1: ["calls - 2 1", "tokens model=large 7 1", "tokens model=small 100.5 2"]])
        #expect(try db.count("event_rollups") == 3)
    }

    /// Unique counts: a value found in one bucket only comes back counted, one found in several
    /// whole (its last operation in each), and a recurring metric's earlier months count too.
    @Test func uniqueValuesComeBackCountedOrWholeAndRecurringOnesCarryOver() throws {
        let db = try TestStore()
        let seats = IngestCatalog.Metric(code: "seats", aggregation: .uniqueCountAgg, fieldName: "user", filterValues: ["model": []])
        var usage = MonthlyUsage(timezones: [1: "UTC"], metrics: ["seats": seats])
        var arrival: Int64 = 0
        for (day, month, model, user, remove) in [
            (2, 9, "small", "u0", false),
            (2, 10, "small", "u1", false), (3, 10, "small", "u2", false), (4, 10, "small", "u3", false),
            (5, 10, "small", "u3", true), (6, 10, "large", "u1", false), (7, 10, "large", "u4", false),
        ] as [(Int, Int, String, String, Bool)] {
            var properties: [(key: String, value: String)] = [("model", model), ("user", user)]
            if remove { properties.insert(("operation_type", "remove"), at: 1) }
            let event = ValidatedEvent(subscriptionId: 1, transactionId: "\(user)-\(day)-\(month)", code: "seats",
                                       timestamp: utc(2026, month, day), properties: properties, units: ExactDecimal(1))
            arrival += 1
            let added = usage.add(event, filterValues: event.propertiesJSON(only: seats.filterValues), arrival: arrival)
            #expect(added)
        }
        try db.store.transaction { try db.store.usage.add(usage) }

        func read(recurring: Set<String>) throws -> [String: (alone: Int, shared: [String: Bool])] {
            let month = try db.store.usage.buckets(subscriptionIds: [1], month: Self.october, recurringCodes: recurring)
            var result: [String: (alone: Int, shared: [String: Bool])] = [:]
            for bucket in month.buckets[1] ?? [] {
                result[bucket.filterValues["model"] ?? "-"] = (bucket.uniqueAddedAlone, bucket.uniqueValues.mapValues(\.added))
            }
            return result
        }
        // October: small has u1 (shared with large), u2 alone and added, u3 alone but removed;
        // large has u1 (shared) and u4 alone.
        let october = try read(recurring: [])
        #expect(october["small"]?.alone == 1 && october["small"]?.shared == ["u1": true])
        #expect(october["large"]?.alone == 1 && october["large"]?.shared == ["u1": true])
        // Recurring: September's u0 (small) counts too.
        #expect(try read(recurring: ["seats"])["small"]?.alone == 2)
    }

    // MARK: Rebuilding

    @Test func replaceReplacesOnlyTheRollupsOfTheCodesAndSubscriptionsGiven() throws {
        let db = try TestStore()
        try db.store.transaction {
            try db.store.usage.add(Self.usage([
                Self.event(1, utc(2026, 10, 5), units: "10"),
                Self.event(1, utc(2026, 11, 5), units: "5"),
                Self.event(1, utc(2026, 10, 5), model: nil, units: "1", code: "calls"),
                Self.event(2, utc(2026, 10, 5), model: "large", units: "20"),
                Self.event(2, utc(2026, 10, 5), model: nil, units: "2", code: "calls"),
                Self.event(3, utc(2026, 10, 5), model: nil, units: "3", code: "images"),
            ]))
        }
        // The metric `tokens` is rebucketed (its events all read `large` now, say) and so is
        // subscription 3 (its timezone moved): their rollups are replaced, the others are kept.
        try db.store.transaction {
            try db.store.usage.replace(codes: ["tokens"], subscriptionIds: [3], with: Self.usage([
                Self.event(1, utc(2026, 10, 5), model: "large", units: "11"),
                Self.event(3, utc(2026, 10, 5), model: nil, units: "30", code: "images"),
            ]))
        }
        #expect(try Self.buckets(db, [1, 2, 3], Self.october) == [
            1: ["calls - 1 1", "tokens model=large 11 1"],
            2: ["calls - 2 1"],
            3: ["images - 30 1"],
        ])
        #expect(try Self.buckets(db, [1, 2, 3], Self.november) == [:], "subscription 1's November tokens were replaced by none")
    }

    // MARK: Late periods

    @Test func latePeriodsAreTheLiveInvoicedPeriodsTheCurrentIngestAddsTo() throws {
        let db = try TestStore()
        let catalog = try SmallCatalog.save(in: db.store)
        let alpha = try catalog.requireSubscription("alpha-main").id
        let beta = try catalog.requireSubscription("beta-main").id
        let issued = try db.issue([
            try db.draft("beta", utcPeriod(2026, 9), catalog: catalog),
            try db.draft("alpha", utcPeriod(2026, 10), catalog: catalog),
            try db.draft("beta", utcPeriod(2026, 10), catalog: catalog),
        ])
        try db.store.transaction {
            try db.store.invoices.void([(issued.ids[2], issued.issued[2].number)], returning: [:])
        }

        let late = try db.store.transaction {
            try db.store.usage.add(Self.usage([
                Self.event(alpha, utc(2026, 10, 5), units: "1"),
                Self.event(alpha, utc(2026, 10, 6), model: "large", units: "1"),
                Self.event(alpha, utc(2026, 11, 1), units: "1"),
                Self.event(beta, utc(2026, 10, 7), units: "1"),
                Self.event(beta, utc(2026, 9, 7), units: "1"),
            ]))
            return try db.store.usage.latePeriods(ingestId: 0)
        }
        // alpha's October is invoiced; its November is not; beta's October invoice was voided.
        #expect(late == [LatePeriod(customer: "beta", period: "2026-09", events: 1),
                         LatePeriod(customer: "alpha", period: "2026-10", events: 2)])
    }

    @Test func lateEventsCountOnlyWhenIngestedAfterTheLiveInvoiceOfTheirPeriod() throws {
        let db = try TestStore()
        let catalog = try SmallCatalog.save(in: db.store)
        let october = utcPeriod(2026, 10)
        let first = try db.issue([try db.draft("alpha", october, catalog: catalog), try db.draft("beta", october, catalog: catalog)])
        try db.store.transaction { try db.store.invoices.void([(first.ids[1], first.issued[1].number)], returning: [:]) }
        let reissued = try db.issue([try db.draft("beta", october, catalog: catalog)])
        // Instants set by hand, so nothing depends on how fast the test runs.
        try db.raw.execute("UPDATE invoices SET created_at = $2 WHERE id = ANY ($1::bigint[])", [first.ids, utc(2026, 11, 2)])
        try db.raw.execute("UPDATE invoices SET created_at = $2 WHERE id = $1", [reissued.ids[0], utc(2026, 11, 5)])

        func ingest(startedAt: UTCInstant, _ late: [LatePeriod]) throws {
            let id = try db.store.transaction {
                let id = try db.store.events.beginIngest(source: "x.csv", path: "/x.csv", format: "csv", sha256: nil)
                try db.store.events.finishIngest(id, EventStore.IngestCounts(
                    read: 0, accepted: 0, duplicates: 0, rejectedByReason: [:], latePeriods: late, rejectsFile: nil))
                return id
            }
            try db.raw.execute("UPDATE ingests SET started_at = $2 WHERE id = $1", [id, startedAt])
        }
        try ingest(startedAt: utc(2026, 11, 1), [LatePeriod(customer: "alpha", period: "2026-10", events: 3)])
        try ingest(startedAt: utc(2026, 11, 3), [LatePeriod(customer: "alpha", period: "2026-10", events: 2),
                                                 LatePeriod(customer: "beta", period: "2026-10", events: 4)])
        try ingest(startedAt: utc(2026, 11, 4), [LatePeriod(customer: "alpha", period: "2026-10", events: 1),
                                                 LatePeriod(customer: "alpha", period: "2026-09", events: 5)])
        try ingest(startedAt: utc(2026, 11, 6), [LatePeriod(customer: "beta", period: "2026-10", events: 7)])

        // alpha: the ingests of 3 and 4 November came after its invoice of 2 November; September has
        // no invoice. beta: only the ingest after its reissued invoice of 5 November counts.
        #expect(try db.store.usage.lateSinceInvoiced() == [LatePeriod(customer: "alpha", period: "2026-10", events: 3),
                                                           LatePeriod(customer: "beta", period: "2026-10", events: 7)])
    }
}
