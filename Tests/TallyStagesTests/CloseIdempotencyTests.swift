import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md (closing a period, reprocessing): closing a period again changes nothing and says so;
/// a later run rewrites any invoice file or summary that is missing or stale, from what the store holds.
@Suite struct CloseIdempotencyTests {
    static func closedOctober() throws -> TestDatabase {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", amountCents: 1000, charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("one"), CloseCatalog.customer("two")],
            subscriptions: [
                CloseCatalog.subscription("one-sub", customer: "one", plan: "tokens", at: "2026-09-01T00:00:00Z"),
                CloseCatalog.subscription("two-sub", customer: "two", plan: "tokens", at: "2026-09-01T00:00:00Z"),
            ],
            wallets: [CloseCatalog.wallet("credits", customer: "one", paid: "5")]))
        try db.ingestAccepted([
            tokenEvent("o1", subscription: "one-sub", at: "2026-10-02T00:00:00Z", tokens: 2_000_000),
            tokenEvent("t1", subscription: "two-sub", at: "2026-10-02T00:00:00Z", tokens: 3_000_000, model: "large"),
        ])
        let first = try db.close(.month(year: 2026, month: 10))
        try #require(first.issued.map(\.number) == ["TST-001-001", "TST-002-001"])
        return db
    }

    func snapshot(_ db: TestDatabase) throws -> (counts: [Int], files: [String: Data]) {
        let counts = try ["invoices", "fees", "wallet_transactions"].map { try db.count($0) }
        let directory = "\(db.outDirectory)/invoices/2026-10"
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            files[name] = try #require(FileManager.default.contents(atPath: "\(directory)/\(name)"))
        }
        return (counts, files)
    }

    @Test func closingAgainIssuesNothingAndChangesNothing() throws {
        let db = try Self.closedOctober()
        let before = try snapshot(db)
        // Two invoices, 1 + 1 charge fees and 2 subscription fees, 1 inbound grant + 1 outbound debit.
        #expect(before.counts == [2, 4, 2])
        #expect(Set(before.files.keys) == ["TST-001-001.json", "TST-002-001.json", "summary.csv"])

        let again = try db.close(.month(year: 2026, month: 10))
        #expect(again.issued.isEmpty)
        #expect(again.alreadyClosed == ["one 2026-10", "two 2026-10"])
        #expect(again.filesWritten.isEmpty)
        let after = try snapshot(db)
        #expect(after.counts == before.counts)
        #expect(after.files == before.files)

        // The same through the "every ended period" scope: September and November are new, October is not.
        let sweep = try db.close(.endedBefore(UTCInstant(year: 2026, month: 12, day: 1)!))
        #expect(sweep.alreadyClosed == ["one 2026-10", "two 2026-10"])
        #expect(sweep.issued.map(\.period) == ["2026-09", "2026-09", "2026-11", "2026-11"])
        #expect(try snapshot(db).files == before.files)
        #expect(try db.invoice("one", "2026-10").number == "TST-001-001")
    }

    @Test func aMissingOrStaleFileIsRewrittenByTheNextClose() throws {
        let db = try Self.closedOctober()
        let before = try snapshot(db)
        let missing = db.invoicePath("2026-10", "TST-002-001")
        try FileManager.default.removeItem(atPath: missing)
        let stale = db.summaryPath("2026-10")
        try Data("number,customer\nedited by hand\n".utf8).write(to: URL(fileURLWithPath: stale))
        // A run killed while a writer thread was half-way through a file leaves its temporary.
        let leftover = "\(db.outDirectory)/invoices/2026-10/.TST-001-001.json.4242.tmp"
        try Data("{\"lago_id\":".utf8).write(to: URL(fileURLWithPath: leftover))

        let again = try db.close(.month(year: 2026, month: 10))
        #expect(again.issued.isEmpty)
        #expect(Set(again.filesWritten) == [missing, stale])
        let after = try snapshot(db)
        #expect(after.files == before.files, "the rewritten files are byte for byte the ones first written")
        #expect(after.counts == before.counts)
        let names = try FileManager.default.contentsOfDirectory(atPath: "\(db.outDirectory)/invoices/2026-10")
        #expect(names.filter { $0.hasSuffix(".tmp") }.isEmpty, "no temporary file is left behind, nor one a killed run left")
    }

    @Test func anEventIngestedAfterItsPeriodClosedDoesNotChangeTheInvoice() throws {
        let db = try Self.closedOctober()
        let before = try snapshot(db)
        let invoiceBefore = try db.invoice("one", "2026-10")
        try db.ingestAccepted([tokenEvent("late", subscription: "one-sub", at: "2026-10-20T00:00:00Z", tokens: 9_000_000)],
                              name: "late.ndjson")
        let again = try db.close(.month(year: 2026, month: 10))
        #expect(again.issued.isEmpty)
        #expect(again.alreadyClosed == ["one 2026-10", "two 2026-10"])
        #expect(try db.invoice("one", "2026-10") == invoiceBefore)
        #expect(try snapshot(db).counts == before.counts)
        #expect(try snapshot(db).files == before.files)
    }

    /// An output folder that cannot take the files does not hide what was committed: the close
    /// reports its invoices and the failure, and the next close writes the files.
    @Test func filesACloseCouldNotWriteAreReportedAndWrittenByTheNext() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", amountCents: 1000, charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("one")],
            subscriptions: [CloseCatalog.subscription("one-sub", customer: "one", plan: "tokens", at: "2026-09-01T00:00:00Z")]))
        let invoices = "\(db.outDirectory)/invoices"
        try Data().write(to: URL(fileURLWithPath: invoices))  // a file where the folder should be
        let first = try db.close(.month(year: 2026, month: 10))
        #expect(first.issued.map(\.number) == ["TST-001-001"])
        #expect(first.fileFailure?.contains("is a file, not a folder") == true, "\(first.fileFailure ?? "no failure")")
        #expect(try db.count("invoices") == 1)

        try FileManager.default.removeItem(atPath: invoices)
        let second = try db.close(.month(year: 2026, month: 10))
        #expect(second.issued.isEmpty && second.fileFailure == nil)
        #expect(FileManager.default.fileExists(atPath: "\(invoices)/2026-10/TST-001-001.json"))
        #expect(FileManager.default.fileExists(atPath: "\(invoices)/2026-10/summary.csv"))
    }
}

/// A catalog imported with old `subscription_at` dates does not make a bare close bill every
/// month since then: more than one period back for a customer needs --backfill.
@Suite struct BackfillTests {
    static func database() throws -> TestDatabase {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", amountCents: 1000, charges: [])],
            customers: [CloseCatalog.customer("old"), CloseCatalog.customer("new")],
            subscriptions: [
                CloseCatalog.subscription("old-sub", customer: "old", plan: "tokens", at: "2025-06-10T00:00:00Z"),
                CloseCatalog.subscription("new-sub", customer: "new", plan: "tokens", at: "2026-11-01T00:00:00Z"),
            ]))
        return db
    }

    @Test func aBareCloseOfLongHistoryRefusesAndSaysHowManyItWouldIssue() throws {
        let db = try Self.database()
        let stage = CloseStage(database: db.database, outDirectory: db.outDirectory)
        // closeNow is 2026-12-15: June 2025 … November 2026 for "old" (18), November 2026 for "new".
        let refusal = try #require(throws: BackfillNeeded.self) {
            try stage.close(.endedBefore(closeNow), now: closeNow, backfill: false)
        }
        #expect(refusal.invoices == 19 && refusal.customers == 2)
        #expect(refusal.from == "2025-06" && refusal.to == "2026-11")
        #expect(refusal.description.contains("--backfill"))
        #expect(try db.count("invoices") == 0)

        #expect(try stage.close(.endedBefore(closeNow), now: closeNow, backfill: true).issued.count == 19)
        // Once caught up, a bare close issues the one new period per customer without asking.
        let next = try stage.close(.endedBefore(UTCInstant(year: 2027, month: 1, day: 2)!),
                                   now: UTCInstant(year: 2027, month: 1, day: 2)!, backfill: false)
        #expect(next.issued.map(\.period) == ["2026-12", "2026-12"])
    }
}
