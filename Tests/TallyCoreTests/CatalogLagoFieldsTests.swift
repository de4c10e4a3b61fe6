import Testing
@testable import TallyCore

/// Lago fields Tally does not read: descriptive ones pass, billing ones are refused, unknown ones are errors.
@Suite struct CatalogLagoFieldsTests {
    let spec = CatalogFixtures.json(CatalogFixtures.specExample)

    @Test func descriptiveAndNeutralLagoFieldsAreAccepted() throws {
        let document = spec
            .setting("organization.email", to: "billing@mistral.ai")
            .setting("billable_metrics[0].description", to: "Token usage across Mistral AI models")
            .setting("billable_metrics[0].lago_id", to: "1a901a90-1a90-1a90-1a90-1a901a901a90")
            .setting("plans[0].trial_period", to: .number("0.0"))
            .setting("plans[0].tax_codes", to: [])
            .setting("plans[0].minimum_commitment", to: .null)
            .setting("plans[0].invoice_display_name", to: "Mistral")
            .setting("plans[0].charges[0].invoiceable", to: true)
            .setting("plans[0].charges[0].pay_in_advance", to: false)
            .setting("plans[0].charges[0].min_amount_cents", to: 0)
            .setting("customers[0].address_line1", to: "5 rue de Rivoli")
            .setting("customers[0].metadata", to: [["key": "crm", "value": "42"]])
            .setting("customers[0].billing_configuration", to: ["document_locale": "fr", "invoice_grace_period": 0])
            .setting("subscriptions[0].billing_time", to: "calendar")
            .setting("subscriptions[0].created_at", to: "2026-09-15T00:00:00Z")
            .setting("wallets[0].expiration_at", to: .null)
            .setting("wallets[0].recurring_transaction_rules", to: [])
            .setting("wallets[0].applies_to", to: ["fee_types": [], "billable_metric_codes": []])
        let catalog = try #require(CatalogFixtures.decode(document))
        #expect(catalog.billableMetrics[0].description == "Token usage across Mistral AI models")
    }

    @Test(arguments: [
        ("billable_metrics[0].aggregation_type", "custom_agg",
         #"aggregation_type "custom_agg" is not supported yet (supported: count_agg, sum_agg, max_agg, unique_count_agg, latest_agg, weighted_sum_agg)"#),
        ("billable_metrics[0].expression", "tokens * 2", #"expression "tokens * 2" is not supported yet (supported: null)"#),
        ("plans[0].interval", "daily", #"interval "daily" is not supported yet (supported: weekly, monthly, quarterly, semiannual, yearly)"#),
        ("plans[0].amount_currency", "SEK",
         #"amount_currency "SEK" is not supported yet (supported: USD, EUR, GBP, CHF, CAD, AUD, JPY, KRW)"#),
        ("organization.tax_codes", ["vat_20"], #"tax_codes ["vat_20"] is not supported yet (supported: [])"#),
        ("plans[0].usage_thresholds", [["amount_cents": 1000]],
         #"usage_thresholds [{"amount_cents":1000}] is not supported yet (supported: [])"#),
        ("plans[0].charges[0].charge_model", "dynamic",
         #"charge_model "dynamic" is not supported yet (supported: standard, graduated, volume, package, percentage, graduated_percentage)"#),
        ("plans[0].charges[0].charge_model", "custom",
         #"charge_model "custom" is not supported yet (supported: standard, graduated, volume, package, percentage, graduated_percentage)"#),
        ("plans[0].charges[0].pay_in_advance", true, "pay_in_advance true is not supported yet (supported: false)"),
        ("plans[0].charges[0].prorated", true, "prorated true is not supported yet (supported: false)"),
        ("plans[0].charges[0].invoiceable", false, "invoiceable false is not supported yet (supported: true)"),
        ("plans[0].charges[0].regroup_paid_fees", "invoice",
         #"regroup_paid_fees "invoice" is not supported yet (supported: null)"#),
        ("plans[0].charges[0].properties.pricing_group_keys", ["region"],
         #"pricing_group_keys ["region"] is not supported yet (supported: [])"#),
        ("plans[0].charges[0].filters[0].values.model", ["__ALL_FILTER_VALUES__"],
         #""__ALL_FILTER_VALUES__" is not supported yet (list the values instead)"#),
        ("customers[0].net_payment_term", 30, "net_payment_term 30 is not supported yet (supported: 0)"),
        ("customers[0].finalize_zero_amount_invoice", "skip",
         #"finalize_zero_amount_invoice "skip" is not supported yet (supported: inherit, finalize)"#),
        ("customers[0].billing_configuration.invoice_grace_period", 3,
         "invoice_grace_period 3 is not supported yet (supported: 0)"),
        ("subscriptions[0].billing_time", "monthly",
         #"billing_time "monthly" is not supported yet (supported: calendar, anniversary)"#),
        ("wallets[0].invoice_requires_successful_payment", true,
         "invoice_requires_successful_payment true is not supported yet (supported: false)"),
        ("wallets[0].recurring_transaction_rules", [["trigger": "interval"]],
         #"trigger "interval" is not supported yet (supported: threshold)"#),
        ("wallets[0].applies_to", ["fee_types": ["charge"]],
         #"applies_to {"fee_types":["charge"]} is not supported yet (supported: null)"#),
    ] as [(String, JSONValue, String)])
    func billingFieldsTallyDoesNotImplementAreRefused(path: String, value: JSONValue, message: String) {
        let document = spec
            .setting("customers[0].billing_configuration", to: [:])
            .setting(path, to: value)
        // A filter value is reported at its index in the list.
        let errorPath = value == ["__ALL_FILTER_VALUES__"] ? path + "[0]"
            : path == "wallets[0].recurring_transaction_rules" ? path + "[0].trigger" : path
        #expect(CatalogFixtures.errors(in: document) == ["\(errorPath): \(message)"])
    }

    @Test func aPlanMayBePaidInAdvanceButNotWithAMinimumCommitment() throws {
        let advance = try #require(CatalogFixtures.decode(spec.setting("plans[0].pay_in_advance", to: true)))
        #expect(advance.plans[0].payInAdvance)
        let committed = spec.setting("plans[0].pay_in_advance", to: true)
            .setting("plans[0].minimum_commitment", to: ["amount_cents": 1000])
        #expect(CatalogFixtures.errors(in: committed) == [
            "plans[0].minimum_commitment: is not supported yet on a plan with pay_in_advance true (supported: null)"])
        #expect(CatalogFixtures.errors(in: spec.setting("plans[0].pay_in_advance", to: "yes")) == [
            "plans[0].pay_in_advance: must be a boolean (got a string)"])
    }

    @Test func unknownFieldsAreErrors() {
        let document = spec
            .setting("plans[0].foo", to: 1)
            .setting("plans[0].charges[0].filters[0].properties.graduated_ranges", to: [])
            .setting("add_ons", to: [])
        #expect(CatalogFixtures.errors(in: document) == [
            "add_ons: unknown field \"add_ons\" (known: organization, taxes, billable_metrics, plans, customers, subscriptions, wallets, coupons, applied_coupons)",
            "plans[0].charges[0].filters[0].properties.graduated_ranges: unknown field \"graduated_ranges\"",
            "plans[0].foo: unknown field \"foo\"",
        ])
    }
}
