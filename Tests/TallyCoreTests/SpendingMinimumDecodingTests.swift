import Foundation
import Testing
@testable import TallyCore

/// `charges[].min_amount_cents` and `plans[].minimum_commitment` as the catalog file gives them.
@Suite struct SpendingMinimumDecodingTests {
    let spec = CatalogFixtures.json(CatalogFixtures.specExample)

    @Test func aChargeMinimumIsReadAsWholeMinorUnits() throws {
        let asNumber = try #require(CatalogFixtures.decode(spec.setting("plans[0].charges[0].min_amount_cents", to: 2500)))
        #expect(asNumber.plans[0].charges[0].minAmountCents == 2500)
        let asString = try #require(CatalogFixtures.decode(spec.setting("plans[0].charges[0].min_amount_cents", to: "2500")))
        #expect(asString.plans[0].charges[0].minAmountCents == 2500)
    }

    @Test func aZeroOrNullChargeMinimumIsNone() throws {
        let zero = try #require(CatalogFixtures.decode(spec.setting("plans[0].charges[0].min_amount_cents", to: 0)))
        let null = try #require(CatalogFixtures.decode(spec.setting("plans[0].charges[0].min_amount_cents", to: .null)))
        let absent = try #require(CatalogFixtures.decode(spec))
        #expect(zero.plans[0].charges[0].minAmountCents == nil)
        #expect(null.plans[0].charges[0].minAmountCents == nil)
        // Stored plans from before compare equal, so an apply of the same file changes nothing.
        #expect(zero.plans == absent.plans)
    }

    @Test(arguments: [
        (JSONValue.number("-1"), #"must be a whole number from 0 to 999999999999999 (got "-1")"#),
        (.number("12.5"), #"must be a whole number from 0 to 999999999999999 (got "12.5")"#),
        (.number("1000000000000000"), #"must be a whole number from 0 to 999999999999999 (got "1000000000000000")"#),
        (.string(""), #"must be a whole number from 0 to 999999999999999 (got "")"#),
        (.bool(true), "must be a whole number from 0 to 999999999999999 (got a boolean)"),
    ])
    func aChargeMinimumOutsideItsBoundsIsAnError(value: JSONValue, message: String) {
        let errors = CatalogFixtures.errors(in: spec.setting("plans[0].charges[0].min_amount_cents", to: value))
        #expect(errors == ["plans[0].charges[0].min_amount_cents: \(message)"])
    }

    @Test func aMinimumCommitmentKeepsItsAmountAndDisplayName() throws {
        let document = spec.setting("plans[0].minimum_commitment", to: [
            "amount_cents": 150_000, "invoice_display_name": "Committed spend",
            // What Lago's API returns with it: accepted and ignored.
            "lago_id": "1a901a90-1a90-1a90-1a90-1a901a901a90", "plan_code": "mistral", "interval": "monthly",
            "created_at": "2026-09-01T00:00:00Z", "updated_at": "2026-09-02T00:00:00Z", "taxes": [], "tax_codes": [],
        ])
        let catalog = try #require(CatalogFixtures.decode(document))
        let commitment = try #require(catalog.plans[0].minimumCommitment)
        #expect(commitment == MinimumCommitment(amountCents: 150_000, invoiceDisplayName: "Committed spend"))
        #expect(commitment.invoiceName == "Committed spend")
    }

    @Test func aCommitmentWithoutDisplayNameIsNamedAsLagoNamesIt() throws {
        let catalog = try #require(CatalogFixtures.decode(spec.setting("plans[0].minimum_commitment", to: ["amount_cents": "1000"])))
        #expect(catalog.plans[0].minimumCommitment?.amountCents == 1000)
        #expect(catalog.plans[0].minimumCommitment?.invoiceName == "Minimum commitment")
    }

    @Test func aNullCommitmentIsNone() throws {
        let catalog = try #require(CatalogFixtures.decode(spec.setting("plans[0].minimum_commitment", to: .null)))
        #expect(catalog.plans[0].minimumCommitment == nil)
    }

    @Test func commitmentErrorsNameTheirPath() {
        #expect(CatalogFixtures.errors(in: spec.setting("plans[0].minimum_commitment", to: ["amount_cents": -5])) == [
            #"plans[0].minimum_commitment.amount_cents: must be a whole number from 0 to 999999999999999 (got "-5")"#,
        ])
        #expect(CatalogFixtures.errors(in: spec.setting("plans[0].minimum_commitment", to: ["invoice_display_name": "x"])) == [
            "plans[0].minimum_commitment.amount_cents: is required",
        ])
        #expect(CatalogFixtures.errors(in: spec.setting("plans[0].minimum_commitment", to: 1000)) == [
            "plans[0].minimum_commitment: must be an object (got a number)",
        ])
        #expect(CatalogFixtures.errors(
            in: spec.setting("plans[0].minimum_commitment", to: ["amount_cents": 1000, "tax_codes": "vat_20"])) == [
            "plans[0].minimum_commitment.tax_codes: must be an array of strings (got a string)",
        ])
        #expect(CatalogFixtures.errors(
            in: spec.setting("plans[0].minimum_commitment", to: ["amount_cents": 1000, "commitment_kind": "max"])) == [
            #"plans[0].minimum_commitment.commitment_kind: unknown field "commitment_kind""#,
        ])
    }

    @Test func plansStoredBeforeTheseFieldsDecodeEqual() throws {
        // A plan stored as JSON by an older tally has neither key.
        let plan = Plan(code: "p", name: "P", amountCents: 100, currency: "USD", charges: [Charge(billableMetricCode: "m")])
        let stored = try JSONEncoder().encode(plan)
        let text = try #require(String(data: stored, encoding: .utf8))
        #expect(!text.contains("minAmountCents") && !text.contains("minimumCommitment"))
        #expect(try JSONDecoder().decode(Plan.self, from: stored) == plan)
        let withBoth = Plan(code: "p", name: "P", amountCents: 100, currency: "USD",
                            charges: [Charge(billableMetricCode: "m", minAmountCents: 700)],
                            minimumCommitment: MinimumCommitment(amountCents: 900))
        #expect(try JSONDecoder().decode(Plan.self, from: try JSONEncoder().encode(withBoth)) == withBoth)
    }
}
