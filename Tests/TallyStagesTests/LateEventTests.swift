import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md, validation and reject reasons: an event whose period is already closed for its
/// subscription is accepted, counted as late, and named with its period so finance knows a reprocess is
/// due.
@Suite struct LateEventTests {
    static func database() throws -> TestDatabase {
        let db = try TestDatabase()
        _ = try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("ny", timezone: "America/New_York"), CloseCatalog.customer("utc")],
            subscriptions: [
                CloseCatalog.subscription("ny-main", customer: "ny", plan: "tokens", at: "2026-09-01T04:00:00Z"),
                CloseCatalog.subscription("utc-main", customer: "utc", plan: "tokens", at: "2026-09-01T00:00:00Z"),
            ]))
        try db.ingestAccepted([tokenEvent("before-close", subscription: "ny-main", at: "2026-10-10T12:00:00Z", tokens: 10)])
        return db
    }

    @Test func eventsInAClosedPeriodAreAcceptedAndCountedLate() throws {
        let db = try Self.database()
        _ = try db.close(.month(year: 2026, month: 10))
        let path = try db.write("late.ndjson", [
            // October in New York (closed): late.
            tokenEvent("late-1", subscription: "ny-main", at: "2026-10-20T12:00:00Z", tokens: 5),
            // 2026-11-01T03:30Z is still October 31 in New York: late too.
            tokenEvent("late-2", subscription: "ny-main", at: "2026-11-01T03:30:00Z", tokens: 5),
            // November in New York: open.
            tokenEvent("open-1", subscription: "ny-main", at: "2026-11-01T04:30:00Z", tokens: 5),
        ].joined(separator: "\n") + "\n")
        let file = try db.ingest(path)
        #expect(file.accepted == 3)
        #expect(file.late == 2)
        #expect(file.latePeriods == [LatePeriod(customer: "ny", period: "2026-10", events: 2)])
        #expect(try db.scalar("SELECT count(*) FROM events WHERE transaction_id LIKE 'late-%'") == "2")
        let json = IngestSummary(files: [file]).json.objectValue!
        #expect(json["late"] == .number("2"))
    }

    @Test func nothingIsLateBeforeAClose() throws {
        let db = try Self.database()
        let path = try db.write("early.ndjson", tokenEvent("early-1", subscription: "utc-main", at: "2026-10-20T12:00:00Z", tokens: 5) + "\n")
        let file = try db.ingest(path)
        #expect(file.accepted == 1)
        #expect(file.late == 0)
        #expect(file.latePeriods.isEmpty)
    }

    @Test func aDuplicateOfAnEventInAClosedPeriodIsNotLate() throws {
        let db = try Self.database()
        _ = try db.close(.month(year: 2026, month: 10))
        let path = try db.write("again.ndjson", tokenEvent("before-close", subscription: "ny-main", at: "2026-10-10T12:00:00Z", tokens: 10) + "\n")
        let file = try db.ingest(path)
        #expect(file.duplicates == 1)
        #expect(file.late == 0)
    }

    @Test func closeNamesPeriodsWithLateEventsUntilTheyAreReprocessed() throws {
        let db = try Self.database()
        _ = try db.close(.month(year: 2026, month: 10))
        #expect(try db.close(.month(year: 2026, month: 10)).latePeriods.isEmpty)
        try db.ingestAccepted([tokenEvent("late-1", subscription: "ny-main", at: "2026-10-20T12:00:00Z", tokens: 5)], name: "late.ndjson")
        #expect(try db.close(.month(year: 2026, month: 10)).latePeriods == [LatePeriod(customer: "ny", period: "2026-10", events: 1)])
        _ = try ReprocessStage(database: db.database, outDirectory: db.outDirectory)
            .reprocess(year: 2026, month: 10, customer: nil, dryRun: false)
        #expect(try db.close(.month(year: 2026, month: 10)).latePeriods.isEmpty)
    }
}
