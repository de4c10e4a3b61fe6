import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md, the catalog file and reprocessing: every apply that changes a plan keeps its old
/// definition as a version, invoices record the version each subscription was rated with, and a
/// reprocess rates a period with the versions it was first closed with unless told `--reprice`.
///
/// October, plan `tokens`: a monthly fee and a package price per million small-input tokens. Version 1
/// is 10.00 USD + 1.00 USD per million; version 2 is 12.00 USD + 1.50 USD per million. Customer `one`
/// (no wallet) has 2,000,000 small-input tokens in October, closed at version 1.
@Suite struct PlanVersionTests {
    /// Plan `tokens` with a fee of `feeCents` and `smallInput` USD per million small-input tokens.
    static func plan(feeCents: Int, smallInput: String) -> String {
        CloseCatalog.plan("tokens", amountCents: feeCents, charges: [CloseCatalog.charge(properties: CloseCatalog.package("0"), filters: [
            CloseCatalog.filter("small-input", values: #"{"model": ["small"], "type": ["input"]}"#, price: CloseCatalog.package(smallInput)),
        ])])
    }

    static func catalog(feeCents: Int, smallInput: String, subscriptions extra: [String] = []) -> String {
        CloseCatalog.document(
            plans: [plan(feeCents: feeCents, smallInput: smallInput)],
            customers: [CloseCatalog.customer("one")],
            subscriptions: [CloseCatalog.subscription("one-sub", customer: "one", plan: "tokens", at: "2026-09-01T00:00:00Z")] + extra)
    }

    static let version1 = catalog(feeCents: 1000, smallInput: "1")
    static let version2 = catalog(feeCents: 1200, smallInput: "1.5")
    static let version3 = catalog(feeCents: 1500, smallInput: "2")

    /// 2 packages of a million at 1.00 + 10.00; at 1.50 + 12.00; at 2.00 + 15.00.
    static let feesAtVersion1: Int64 = 2 * 100 + 1000
    static let feesAtVersion2: Int64 = 2 * 150 + 1200
    static let feesAtVersion3: Int64 = 2 * 200 + 1500

    /// October closed for `one` at version 1, then version 2 applied.
    static func closedAtVersion1ThenChanged() throws -> TestDatabase {
        let db = try TestDatabase()
        try db.applyCatalog(version1)
        try db.ingestAccepted([tokenEvent("o1", subscription: "one-sub", at: "2026-10-02T00:00:00Z", tokens: 2_000_000)])
        let closed = try db.close(.month(year: 2026, month: 10))
        try #require(closed.issued.map(\.number) == ["TST-001-001"])
        try #require(closed.issued.map(\.feesAmountCents) == [feesAtVersion1])
        let changed = try db.applyCatalog(version2, name: "catalog-2.json")
        try #require(changed.planVersions == ["tokens": 2])
        return db
    }

    static func version(_ number: Int, of code: String = "tokens") -> PlanVersionUse.Version {
        PlanVersionUse.Version(planCode: code, number: number)
    }

    // MARK: Catalog apply

    @Test func anIdenticalApplyKeepsNoVersionAndAChangeKeepsTheOldDefinition() throws {
        let db = try TestDatabase()
        let first = try db.applyCatalog(Self.version1)
        #expect(first.planVersions == ["tokens": 1])
        #expect(first.created.contains("plan tokens"))
        let versionRows = "SELECT version::text, definition->>'amountCents' FROM plan_versions ORDER BY version"
        #expect(try db.rows(versionRows) == [["1", "1000"]])
        let firstDefinition = try db.scalar("SELECT definition::text FROM plans")

        let same = try db.applyCatalog(Self.version1)
        #expect(same.changedNothing)
        #expect(same.planVersions.isEmpty)
        #expect(try db.rows(versionRows) == [["1", "1000"]])

        let changed = try db.applyCatalog(Self.version2)
        #expect(changed.planVersions == ["tokens": 2])
        #expect(changed.updated == ["plan tokens: now version 2"])
        #expect(try db.rows(versionRows) == [["1", "1000"], ["2", "1200"]])
        // Version 1 keeps the whole definition the plan had, charges included; the plan holds version 2's.
        #expect(try db.scalar("SELECT definition::text FROM plan_versions WHERE version = 1") == firstDefinition)
        #expect(try db.scalar("SELECT definition::text FROM plans") != firstDefinition)
        #expect(try db.scalar("""
            SELECT (v1.definition -> 'charges' <> v2.definition -> 'charges')::text
            FROM plan_versions v1 JOIN plan_versions v2 ON v2.plan_id = v1.plan_id AND v2.version = 2 WHERE v1.version = 1
            """) == "true", "the price change is in the charges")
        #expect(try db.scalar("SELECT (p.definition = v.definition)::text FROM plans p JOIN plan_versions v ON v.plan_id = p.id AND v.version = 2")
                == "true")

        #expect(try db.applyCatalog(Self.version2).planVersions.isEmpty, "applying version 2 again keeps no version 3")
        #expect(try db.count("plan_versions") == 2)
    }

    // MARK: Close

    @Test func closeRecordsThePlanVersionAndDefinitionEachSubscriptionWasRatedWith() throws {
        let db = try Self.closedAtVersion1ThenChanged()
        // The version's own definition (no overrides) is recorded by its number alone.
        #expect(try db.rows("""
            SELECT i.number, s.external_id, r.plan_version::text, v.definition->>'amountCents',
                   (r.plan_definition IS NULL)::text
            FROM invoice_subscriptions r JOIN invoices i ON i.id = r.invoice_id JOIN subscriptions s ON s.id = r.subscription_id
            JOIN plan_versions v ON v.plan_id = r.plan_id AND v.version = r.plan_version
            """) == [["TST-001-001", "one-sub", "1", "1000", "true"]])

        // The price changed since: closing again changes nothing.
        let before = try db.reprocessSnapshot()
        let again = try db.close(.month(year: 2026, month: 10))
        #expect(again.issued.isEmpty)
        #expect(again.alreadyClosed == ["one 2026-10"])
        #expect(try db.reprocessSnapshot() == before)
    }

    // MARK: Reprocess

    @Test func reprocessKeepsTheVersionThePeriodWasFirstClosedWith() throws {
        let db = try Self.closedAtVersion1ThenChanged()
        let before = try db.reprocessSnapshot()

        let dryRun = try db.reprocess(dryRun: true)
        #expect(dryRun.invoices.map(\.outcome) == [.unchanged])
        #expect(dryRun.invoices.first?.plans == [
            PlanVersionUse(used: Self.version(1), current: Self.version(2), firstClosed: Self.version(1), repriced: false),
        ])
        #expect(dryRun.invoices.first?.plans.map(\.description)
                == ["plan tokens version 1 (as first closed; version 2 is current: --reprice to use it)"])
        let json = try #require(dryRun.json.objectValue)
        #expect(json["reprice"] == .bool(false))
        guard case .array(let invoices)? = json["invoices"], case .array(let plans)? = invoices.first?.objectValue?["plans"] else {
            Issue.record("invoices[0].plans is an array"); return
        }
        #expect(plans.map { $0.objectValue?["version"] } == [.number("1")])
        #expect(plans.map { $0.objectValue?["current_version"] } == [.number("2")])
        #expect(plans.map { $0.objectValue?["first_closed_version"] } == [.number("1")])

        let summary = try db.reprocess()
        #expect(summary.invoices.map(\.outcome) == [.unchanged])
        #expect(summary.invoices.map(\.number) == ["TST-001-001"])
        #expect(summary.invoices.map(\.new.feesAmountCents) == [Self.feesAtVersion1])
        #expect(try db.reprocessSnapshot() == before, "no void, no new invoice, the same amounts and files")
        #expect(try db.invoices().map(\.status) == ["finalized"])
    }

    @Test func repriceReissuesAtTheCurrentPriceAndTheReplacementKeepsIt() throws {
        let db = try Self.closedAtVersion1ThenChanged()

        let dryRun = try db.reprocess(dryRun: true, reprice: true)
        #expect(dryRun.invoices.map(\.outcome) == [.wouldReissue])
        #expect(dryRun.invoices.map(\.new.feesAmountCents) == [Self.feesAtVersion2])
        #expect(dryRun.invoices.first?.plans.map(\.description) == ["plan tokens version 2 (--reprice, was version 1)"])
        #expect(dryRun.json.objectValue?["reprice"] == .bool(true))

        let repriced = try db.reprocess(reprice: true)
        #expect(repriced.invoices.map(\.outcome) == [.reissued])
        #expect(repriced.invoices.map(\.newNumber) == ["TST-001-002"])
        let invoices = try db.invoices()
        #expect(invoices.map(\.status) == ["voided", "finalized"])
        #expect(invoices.map(\.feesAmountCents) == [Self.feesAtVersion1, Self.feesAtVersion2])
        #expect(try db.fees(of: invoices[1]).map(\.amountCents) == [2 * 150, 1200])
        #expect(try db.rows("""
            SELECT i.number, r.plan_version::text, v.definition->>'amountCents'
            FROM invoice_subscriptions r JOIN invoices i ON i.id = r.invoice_id
            JOIN plan_versions v ON v.plan_id = r.plan_id AND v.version = r.plan_version ORDER BY i.number
            """) == [["TST-001-001", "1", "1000"], ["TST-001-002", "2", "1200"]])

        // A third version: the replacement was rated with version 2, and keeps it.
        try db.applyCatalog(Self.version3, name: "catalog-3.json")
        let before = try db.reprocessSnapshot()
        let kept = try db.reprocess(dryRun: true)
        #expect(kept.invoices.first?.plans.map(\.description)
                == ["plan tokens version 2 (as first closed; version 3 is current: --reprice to use it)"])
        let again = try db.reprocess()
        #expect(again.invoices.map(\.outcome) == [.unchanged])
        #expect(again.invoices.map(\.number) == ["TST-001-002"])
        #expect(again.invoices.map(\.new.feesAmountCents) == [Self.feesAtVersion2])
        #expect(try db.reprocessSnapshot() == before)

        // --reprice again takes version 3.
        #expect(try db.reprocess(dryRun: true, reprice: true).invoices.map(\.new.feesAmountCents) == [Self.feesAtVersion3])
    }

    @Test func anInvoiceWithoutARecordIsTakenAsRatedWithVersion1() throws {
        let db = try Self.closedAtVersion1ThenChanged()
        // As an invoice issued before migration 8 left it.
        try db.connection.execute("DELETE FROM invoice_subscriptions")
        try db.applyCatalog(Self.version3, name: "catalog-3.json")

        let summary = try db.reprocess(dryRun: true)
        #expect(summary.invoices.map(\.outcome) == [.unchanged])
        #expect(summary.invoices.first?.plans == [
            PlanVersionUse(used: Self.version(1), current: Self.version(3), firstClosed: Self.version(1), repriced: false),
        ])
        #expect(try db.reprocess(dryRun: true, reprice: true).invoices.map(\.new.feesAmountCents) == [Self.feesAtVersion3])
    }

    @Test func aSubscriptionNotOnTheClosedInvoiceIsRatedWithItsCurrentVersion() throws {
        let db = try Self.closedAtVersion1ThenChanged()
        // Added after the close, reaching back into October: billed at version 2 (its full fee,
        // no usage), while one-sub keeps version 1.
        try db.applyCatalog(Self.catalog(feeCents: 1200, smallInput: "1.5", subscriptions: [
            CloseCatalog.subscription("one-extra", customer: "one", plan: "tokens", at: "2026-09-01T00:00:00Z"),
        ]), name: "catalog-extra.json")

        let dryRun = try db.reprocess(dryRun: true)
        #expect(dryRun.invoices.first?.plans.map(\.description) == [
            "plan tokens version 1 (as first closed; version 2 is current: --reprice to use it)",
            "plan tokens version 2 (current; the subscription is not on the closed invoice)",
        ])
        let summary = try db.reprocess()
        #expect(summary.invoices.map(\.outcome) == [.reissued])
        #expect(summary.invoices.map(\.new.feesAmountCents) == [Self.feesAtVersion1 + 1200])
        #expect(try db.rows("""
            SELECT s.external_id, r.plan_version::text FROM invoice_subscriptions r
            JOIN invoices i ON i.id = r.invoice_id JOIN subscriptions s ON s.id = r.subscription_id
            WHERE i.number = 'TST-001-002' ORDER BY s.external_id
            """) == [["one-extra", "2"], ["one-sub", "1"]])
    }
}

extension TestDatabase {
    func reprocess(dryRun: Bool = false, reprice: Bool) throws -> ReprocessSummary {
        try ReprocessStage(database: database, outDirectory: outDirectory)
            .reprocess(year: 2026, month: 10, dryRun: dryRun, reprice: reprice)
    }
}
