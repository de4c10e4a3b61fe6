import Testing
@testable import TallyCore

@Suite struct CatalogValidatorTests {
    /// A complete catalog example, decoded; each test breaks one reference in it.
    let spec: Catalog

    init() throws {
        spec = try CatalogDecoder.decode(CatalogFixtures.json(CatalogFixtures.specExample), file: "catalog.json")
    }

    private func errors(
        _ catalog: Catalog, stored: StoredCatalogNames = StoredCatalogNames(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> [String] {
        let errors = CatalogValidator.checkReferences(catalog, file: "catalog.json", stored: stored)
        #expect(errors.allSatisfy { $0.file == "catalog.json" }, sourceLocation: sourceLocation)
        return errors.map { "\($0.path): \($0.message)" }
    }

    @Test func specExampleHasNoReferenceErrors() {
        #expect(errors(spec) == [])
    }

    @Test func chargeMustNameAnExistingMetric() {
        var catalog = spec
        catalog.plans[0].charges[0].billableMetricCode = "ai_images"
        #expect(errors(catalog) == [
            #"plans[0].charges[0]: billable metric "ai_images" does not exist (neither in this file nor in the database)"#
        ])
    }

    @Test func chargeFilterValuesMustBeAmongTheMetricsFilterValues() {
        var catalog = spec
        catalog.plans[0].charges[0].filters[0].values[0].values = ["mistral-small", "mistral-xl"]
        #expect(errors(catalog) == [
            #"plans[0].charges[0].filters[0].values.model[1]: "mistral-xl" is not a value of the metric's filter "model" (values: mistral-small, mistral-medium, mistral-large)"#
        ])
    }

    @Test func chargeFilterKeysMustBeTheMetricsFilterKeys() {
        var catalog = spec
        catalog.plans[0].charges[0].filters[0].values.append(FilterCondition(key: "region", values: ["eu"]))
        catalog.billableMetrics.append(BillableMetric(code: "ai_images", name: "AI Images", fieldName: "images"))
        catalog.plans[0].charges.append(Charge(
            billableMetricCode: "ai_images",
            filters: [
                ChargeFilter(
                    properties: .package(PackageProperties(amount: CatalogFixtures.decimal("1"), packageSize: ExactDecimal(1))),
                    values: [FilterCondition(key: "size", values: ["large"])])
            ]))
        #expect(errors(catalog) == [
            #"plans[0].charges[0].filters[0].values.region: "region" is not a filter key of billable metric "ai_tokens" (keys: model, type)"#,
            #"plans[0].charges[1].filters[0].values.size: "size" is not a filter key of billable metric "ai_images" (it has no filters)"#,
        ])
    }

    @Test func subscriptionMustNameAnExistingCustomerAndPlan() {
        var catalog = spec
        catalog.subscriptions[0].externalCustomerId = "globex"
        catalog.subscriptions[0].planCode = "mistral-pro"
        #expect(errors(catalog) == [
            #"subscriptions[0].external_customer_id: customer "globex" does not exist (neither in this file nor in the database)"#,
            #"subscriptions[0].plan_code: plan "mistral-pro" does not exist (neither in this file nor in the database)"#,
        ])
    }

    @Test func subscriptionPlanMustBillInTheCustomersCurrency() {
        var catalog = spec
        catalog.plans[0].currency = "EUR"
        catalog.wallets = []
        #expect(errors(catalog) == [
            #"subscriptions[0].plan_code: plan "mistral" bills in EUR but customer "acme" is billed in USD"#
        ])
    }

    @Test func customerWithoutCurrencyIsInvoicedInOneCurrency() {
        var catalog = spec
        catalog.customers[0].currency = nil
        var euroPlan = catalog.plans[0]
        euroPlan.code = "mistral-eu"
        euroPlan.currency = "EUR"
        catalog.plans.append(euroPlan)
        catalog.subscriptions.append(
            Subscription(externalId: "acme-eu", externalCustomerId: "acme", planCode: "mistral-eu"))
        #expect(errors(catalog) == [
            #"subscriptions[1].plan_code: plan "mistral-eu" bills in EUR but subscriptions[0] of customer "acme" bills in USD; a customer is invoiced in one currency"#
        ])
    }

    @Test func walletMustNameAnExistingCustomerInItsCurrency() {
        var catalog = spec
        catalog.wallets.append(Wallet(externalCustomerId: "globex", name: "AI Credits", currency: "USD", rateAmount: ExactDecimal(1)))
        catalog.wallets[0].currency = "EUR"
        #expect(errors(catalog) == [
            #"wallets[0].currency: must be the currency of customer "acme", USD (got EUR)"#,
            #"wallets[1].external_customer_id: customer "globex" does not exist (neither in this file nor in the database)"#,
        ])
    }

    @Test func namesResolveAgainstStoredObjects() {
        let catalog = Catalog(
            plans: [Plan(
                code: "mistral-2027", name: "Mistral 2027", amountCents: 0, currency: "USD",
                charges: [Charge(
                    billableMetricCode: "ai_tokens",
                    filters: [ChargeFilter(
                        properties: .package(PackageProperties(amount: CatalogFixtures.decimal("2.7"), packageSize: ExactDecimal(1_000_000))),
                        values: [FilterCondition(key: "model", values: ["mistral-medium"])])])])],
            subscriptions: [
                Subscription(externalId: "acme-2027", externalCustomerId: "acme", planCode: "mistral-2027"),
                Subscription(externalId: "acme-main", externalCustomerId: "acme", planCode: "mistral"),
            ],
            wallets: [Wallet(externalCustomerId: "acme", name: "Promo", currency: "USD", rateAmount: ExactDecimal(1))])
        let stored = StoredCatalogNames(
            metrics: ["ai_tokens": spec.billableMetrics[0]],
            planCodes: ["mistral"],
            customerCurrencies: ["acme": "USD"])

        #expect(errors(catalog, stored: stored) == [])
        #expect(errors(catalog).count == 5)
    }

    @Test func fileObjectsTakePrecedenceOverStoredOnes() {
        var catalog = spec
        catalog.billableMetrics[0].filters[0].values.append("mistral-xl")
        catalog.plans[0].charges[0].filters[0].values[0].values = ["mistral-xl"]
        let stored = StoredCatalogNames(
            metrics: ["ai_tokens": spec.billableMetrics[0]],
            customerCurrencies: ["acme": "EUR"])
        #expect(errors(catalog, stored: stored) == [])
    }

    @Test func storedCustomerWithoutCurrencyAcceptsAnyPlanCurrency() {
        var catalog = spec
        catalog.customers = []
        catalog.plans[0].currency = "JPY"
        catalog.wallets[0].currency = "JPY"
        let noCurrency: String? = nil
        #expect(errors(catalog, stored: StoredCatalogNames(customerCurrencies: ["acme": noCurrency])) == [])
    }
}
