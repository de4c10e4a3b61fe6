import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md (plan overrides) through catalog apply, ingest and close: a subscription's
/// `plan_overrides` price it differently from the other subscriptions of its plan.
@Suite struct PlanOverridesTests {
    /// `perFilterCharge`'s filters with small-input at `smallInput` per million instead of 1.00.
    private func overriddenFilters(smallInput: String) -> String {
        [
            CloseCatalog.filter("small-input", values: #"{"model": ["small"], "type": ["input"]}"#, price: CloseCatalog.package(smallInput)),
            CloseCatalog.filter("small-output", values: #"{"model": ["small"], "type": ["output"]}"#, price: CloseCatalog.package("2")),
            CloseCatalog.filter("large-input", values: #"{"model": ["large"], "type": ["input"]}"#, price: CloseCatalog.package("3")),
            CloseCatalog.filter("large-output", values: #"{"model": ["large"], "type": ["output"]}"#, price: CloseCatalog.package("4")),
        ].joined(separator: ", ")
    }

    @Test func anOverriddenFilterPriceAndFeeBillOnlyThatSubscription() throws {
        let db = try TestDatabase()
        let overrides = #"""
            {"amount_cents": 5000, "charges": [{"billable_metric_code": "ai_tokens", "filters": [\#(overriddenFilters(smallInput: "5"))]}]}
            """#
        let special = CloseCatalog.subscription("special", customer: "big", plan: "tokens", at: "2026-09-01T00:00:00Z")
            .replacingOccurrences(of: "}", with: #", "plan_overrides": \#(overrides)}"#)
        let catalog = CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", amountCents: 3100, charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("big"), CloseCatalog.customer("small")],
            subscriptions: [special, CloseCatalog.subscription("plain", customer: "small", plan: "tokens", at: "2026-09-01T00:00:00Z")])
        try db.applyCatalog(catalog)
        #expect(try db.applyCatalog(catalog).changedNothing)
        let path = try db.write("events.ndjson", [
            tokenEvent("a", subscription: "special", at: "2026-10-05T00:00:00Z", tokens: 1_500_000),
            tokenEvent("b", subscription: "special", at: "2026-10-06T00:00:00Z", tokens: 500_000, type: "output"),
            tokenEvent("c", subscription: "plain", at: "2026-10-05T00:00:00Z", tokens: 1_500_000),
        ].joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: 3, accepted: 3)
        _ = try db.close(.month(year: 2026, month: 10))

        // Overridden: small-input 2 packages × 5.00 = 1000; small-output unchanged, 1 × 2.00 = 200;
        // the fee is the override's 5000.
        #expect(try db.fees(of: try db.invoice("big", "2026-10")).map(\.amountCents) == [1000, 200, 5000])
        // The plan itself is unchanged: 2 × 1.00 = 200 and 3100.
        #expect(try db.fees(of: try db.invoice("small", "2026-10")).map(\.amountCents) == [200, 3100])

        // The invoice records the overridden plan it billed (the plain one by its version alone), so
        // other overrides applied later leave October as it is unless repriced.
        #expect(try db.rows("""
            SELECT s.external_id, r.plan_definition->>'amountCents' FROM invoice_subscriptions r
            JOIN subscriptions s ON s.id = r.subscription_id ORDER BY s.external_id
            """) == [["plain", nil], ["special", "5000"]])
        try db.applyCatalog(catalog.replacingOccurrences(of: #""amount_cents": 5000"#, with: #""amount_cents": 7000"#))
        let reprocess = ReprocessStage(database: db.database, outDirectory: db.outDirectory)
        #expect(try reprocess.reprocess(year: 2026, month: 10).invoices.map(\.outcome) == [.unchanged, .unchanged])
        let repriced = try reprocess.reprocess(year: 2026, month: 10, reprice: true)
        #expect(repriced.invoices.map(\.outcome) == [.reissued, .unchanged])
        let reissued = try #require(try db.invoices().first { $0.customer == "big" && $0.status == "finalized" })
        #expect(try db.fees(of: reissued).map(\.amountCents) == [1000, 200, 7000])
    }

    @Test func overridesAreCheckedAgainstThePlan() throws {
        let db = try TestDatabase()
        func catalog(_ overrides: String) -> String {
            CloseCatalog.document(
                plans: [CloseCatalog.plan("tokens", amountCents: 3100, charges: [CloseCatalog.perFilterCharge])],
                customers: [CloseCatalog.customer("big")],
                subscriptions: [CloseCatalog.subscription("special", customer: "big", plan: "tokens", at: "2026-09-01T00:00:00Z")
                    .replacingOccurrences(of: "}", with: #", "plan_overrides": \#(overrides)}"#)])
        }
        func errors(_ overrides: String) -> [String] {
            do {
                try db.applyCatalog(catalog(overrides))
                return []
            } catch let error as CatalogErrors {
                return error.errors.map { "\($0.path): \($0.message)" }
            } catch {
                return ["\(error)"]
            }
        }
        // The charge's model (package) is the override's: a standard price is refused.
        #expect(errors(#"{"charges": [{"billable_metric_code": "ai_tokens", "properties": {"amount": "1", "package_size": 0}}]}"#)
            == ["subscriptions[0].plan_overrides.charges[0].properties.package_size: must be a whole number > 0 (got \"0\")"])
        #expect(errors(#"{"charges": [{"billable_metric_code": "other", "properties": {"amount": "1"}}]}"#)
            == [#"subscriptions[0].plan_overrides.charges[0].billable_metric_code: plan "tokens" has no charge on "other""#])
        #expect(errors(#"{"amount_currency": "EUR"}"#).first?.hasPrefix("subscriptions[0].plan_overrides.amount_currency: must be the plan's currency, USD") == true)
        // Filters are checked against the metric, as a plan's are.
        #expect(errors(#"{"charges": [{"billable_metric_code": "ai_tokens", "filters": [{"properties": {"amount": "1", "package_size": 1}, "values": {"model": ["huge"]}}]}]}"#)
            == [#"subscriptions[0].plan_overrides.charges[0].filters[0].values.model[0]: "huge" is not a value of the metric's filter "model" (values: small, large)"#])
        #expect(try db.count("subscriptions") == 0)
    }
}
