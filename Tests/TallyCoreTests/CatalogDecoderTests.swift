import Testing
@testable import TallyCore

/// Catalog documents shared by the catalog tests.
enum CatalogFixtures {
    /// A complete catalog example of every kind of object.
    static let specExample = """
        {
          "organization":     {"name": "Mistral AI", "document_number_prefix": "MIS", "timezone": "UTC"},
          "billable_metrics": [{"name": "AI Tokens", "code": "ai_tokens", "aggregation_type": "sum_agg",
                                "field_name": "tokens", "recurring": false,
                                "filters": [{"key": "model", "values": ["mistral-small", "mistral-medium", "mistral-large"]},
                                            {"key": "type",  "values": ["input", "output"]}]}],
          "plans":            [{"name": "Mistral AI Pricing", "code": "mistral", "amount_cents": 0, "amount_currency": "USD",
                                "interval": "monthly", "pay_in_advance": false,
                                "charges": [{"billable_metric_id": "ai_tokens", "charge_model": "package",
                                             "properties": {"amount": "0", "free_units": 0, "package_size": 1000000},
                                             "filters": [{"invoice_display_name": "mistral-small-input",
                                                          "properties": {"amount": "1", "free_units": 0, "package_size": 1000000},
                                                          "values": {"model": ["mistral-small"], "type": ["input"]}}]}]}],
          "customers":        [{"external_id": "acme", "name": "Acme Inc", "email": "john@acme.com",
                                "currency": "USD", "timezone": "America/New_York"}],
          "subscriptions":    [{"external_customer_id": "acme", "plan_code": "mistral", "external_id": "acme-main",
                                "subscription_at": "2026-09-15T00:00:00Z"}],
          "wallets":          [{"name": "AI Credits", "external_customer_id": "acme", "currency": "USD",
                                "paid_credits": "100.0", "granted_credits": "25.0", "rate_amount": "1.0"}]
        }
        """

    /// The body of the Lago template's "Create a plan" call: wrapped, no charge `properties`, four filters.
    static let lagoTemplatePlan = """
        {
          "plan": {
            "name": "Mistral AI Pricing",
            "code": "__PLAN_CODE__",
            "amount_cents": 0,
            "amount_currency": "USD",
            "interval": "monthly",
            "pay_in_advance": false,
            "charges": [
              {
                "billable_metric_id": "__BILLABLE_METRIC_ID__",
                "charge_model": "package",
                "filters": [
                  {
                    "invoice_display_name": "mistral-small-input",
                    "properties": {"amount": "1", "free_units": 0, "package_size": 1000000},
                    "values": {"model": ["mistral-small"], "type": ["input"]}
                  },
                  {
                    "invoice_display_name": "mistral-small-output",
                    "properties": {"amount": "3", "free_units": 0, "package_size": 1000000},
                    "values": {"model": ["mistral-small"], "type": ["output"]}
                  },
                  {
                    "invoice_display_name": "mistral-large-input",
                    "properties": {"amount": "4", "free_units": 0, "package_size": 1000000},
                    "values": {"model": ["mistral-large"], "type": ["input"]}
                  },
                  {
                    "invoice_display_name": "mistral-large-output",
                    "properties": {"amount": "12", "free_units": 0, "package_size": 1000000},
                    "values": {"model": ["mistral-large"], "type": ["output"]}
                  }
                ]
              }
            ]
          }
        }
        """

    static func json(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSONValue {
        do {
            return try JSONParser.parse(text)
        } catch {
            Issue.record("fixture is not valid JSON: \(error)", sourceLocation: sourceLocation)
            return .null
        }
    }

    static func decimal(_ text: String) -> ExactDecimal {
        ExactDecimal(decimalString: text)!
    }

    /// Decodes `document`, recording the errors as a test issue when there are any.
    static func decode(_ document: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) -> Catalog? {
        do {
            return try CatalogDecoder.decode(document, file: "catalog.json")
        } catch {
            Issue.record("unexpected catalog errors:\n\(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// The errors of `document` as `path: message` lines, recording an issue when it decodes.
    static func errors(in document: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        do {
            _ = try CatalogDecoder.decode(document, file: "catalog.json")
            Issue.record("expected catalog errors, but the document decoded", sourceLocation: sourceLocation)
            return []
        } catch {
            #expect(error.errors.allSatisfy { $0.file == "catalog.json" }, sourceLocation: sourceLocation)
            return error.errors.map { "\($0.path): \($0.message)" }
        }
    }
}

extension ChargeProperties {
    /// The properties of a package charge, nil for another model.
    var packageProperties: PackageProperties? {
        if case .package(let properties) = self { return properties }
        return nil
    }
}

extension JSONValue {
    /// A copy with the value at `path` (`plans[0].charges[0].properties.amount`) replaced; nil removes it.
    /// Missing objects along the path are not created: the path must exist up to its last member.
    func setting(_ path: String, to newValue: JSONValue?) -> JSONValue {
        var components: [Substring] = []
        for member in path.split(separator: ".") {
            let parts = member.split(separator: "[")
            components.append(contentsOf: parts.enumerated().map { $0.offset == 0 ? $0.element : "[" + $0.element })
        }
        return setting(components[...], to: newValue)
    }

    private func setting(_ components: ArraySlice<Substring>, to newValue: JSONValue?) -> JSONValue {
        guard let first = components.first else { return newValue ?? .null }
        let rest = components.dropFirst()
        switch self {
        case .array(var elements) where first.hasPrefix("["):
            let index = Int(first.dropFirst().dropLast())!
            elements[index] = elements[index].setting(rest, to: newValue)
            return .array(elements)
        case .object(var object):
            let key = String(first)
            if rest.isEmpty {
                object[key] = newValue
            } else {
                object[key] = (object[key] ?? .null).setting(rest, to: newValue)
            }
            return .object(object)
        default:
            preconditionFailure("no \(first) in \(self.kindName)")
        }
    }
}

@Suite struct CatalogDecoderTests {
    let spec = CatalogFixtures.json(CatalogFixtures.specExample)

    // MARK: Documents that decode

    @Test func specExampleDecodesToItsValues() throws {
        let catalog = try #require(CatalogFixtures.decode(spec))
        let decimal = CatalogFixtures.decimal

        #expect(catalog.organization == Organization(name: "Mistral AI", documentNumberPrefix: "MIS", timezone: "UTC"))
        #expect(catalog.billableMetrics == [
            BillableMetric(
                code: "ai_tokens", name: "AI Tokens", aggregationType: .sumAgg, fieldName: "tokens", recurring: false,
                filters: [
                    MetricFilter(key: "model", values: ["mistral-small", "mistral-medium", "mistral-large"]),
                    MetricFilter(key: "type", values: ["input", "output"]),
                ])
        ])
        #expect(catalog.plans == [
            Plan(
                code: "mistral", name: "Mistral AI Pricing", amountCents: 0, currency: "USD", interval: .monthly,
                payInAdvance: false,
                charges: [
                    Charge(
                        billableMetricCode: "ai_tokens", chargeModel: .package,
                        properties: .package(PackageProperties(amount: .zero, freeUnits: .zero, packageSize: decimal("1000000"))),
                        filters: [
                            ChargeFilter(
                                invoiceDisplayName: "mistral-small-input",
                                properties: .package(PackageProperties(amount: decimal("1"), packageSize: decimal("1000000"))),
                                values: [
                                    FilterCondition(key: "model", values: ["mistral-small"]),
                                    FilterCondition(key: "type", values: ["input"]),
                                ])
                        ])
                ])
        ])
        #expect(catalog.customers == [
            Customer(
                externalId: "acme", name: "Acme Inc", email: "john@acme.com", currency: "USD",
                timezone: "America/New_York")
        ])
        #expect(catalog.subscriptions == [
            Subscription(
                externalId: "acme-main", externalCustomerId: "acme", planCode: "mistral",
                subscriptionAt: TimestampParser.parseRFC3339("2026-09-15T00:00:00Z"))
        ])
        #expect(catalog.wallets == [
            Wallet(
                externalCustomerId: "acme", name: "AI Credits", currency: "USD", rateAmount: decimal("1"),
                paidCredits: decimal("100"), grantedCredits: decimal("25"), priority: 50)
        ])
    }

    @Test func lagoTemplatePlanDecodesWithAnUnpricedDefaultBucket() throws {
        let template = CatalogFixtures.json(CatalogFixtures.lagoTemplatePlan)
        let catalog = try #require(CatalogFixtures.decode(["plans": [template]]))
        let charge = try #require(catalog.plans.first?.charges.first)

        #expect(charge.billableMetricCode == "__BILLABLE_METRIC_ID__")
        #expect(charge.properties == nil)
        #expect(charge.filters.map(\.invoiceDisplayName) == [
            "mistral-small-input", "mistral-small-output", "mistral-large-input", "mistral-large-output",
        ])
        #expect(charge.filters.map { $0.properties.packageProperties?.amount.description } == ["1", "3", "4", "12"])
        #expect(charge.filters[3].values == [
            FilterCondition(key: "model", values: ["mistral-large"]), FilterCondition(key: "type", values: ["output"]),
        ])
    }

    @Test func wrappedAndBareElementsDecodeAlike() throws {
        let bare = try #require(CatalogFixtures.decode(spec))
        guard case .object(let root) = spec else { return }
        var wrapped = JSONObject()
        let wrappers = [
            "organization": "organization", "billable_metrics": "billable_metric", "plans": "plan",
            "customers": "customer", "subscriptions": "subscription", "wallets": "wallet",
        ]
        for (section, value) in root.entries {
            let wrapper = try #require(wrappers[section])
            if case .array(let elements) = value {
                wrapped[section] = .array(elements.map { .object(JSONObject([(wrapper, $0)])) })
            } else {
                wrapped[section] = .object(JSONObject([(wrapper, value)]))
            }
        }
        #expect(CatalogFixtures.decode(.object(wrapped)) == bare)
    }

    @Test func emptyDocumentIsAnEmptyCatalog() throws {
        #expect(CatalogFixtures.decode([:]) == Catalog())
        #expect(CatalogFixtures.decode(["plans": [], "organization": .null]) == Catalog())
    }

    @Test func chargeNamesItsMetricByCodeOrById() throws {
        let byCode = spec
            .setting("plans[0].charges[0].billable_metric_id", to: nil)
            .setting("plans[0].charges[0].billable_metric_code", to: "ai_tokens")
        let both = spec.setting("plans[0].charges[0].billable_metric_code", to: "ai_tokens")
        for document in [spec, byCode, both] {
            let catalog = try #require(CatalogFixtures.decode(document))
            #expect(catalog.plans[0].charges[0].billableMetricCode == "ai_tokens")
        }
    }

    @Test func chargeMetricNamesMustAgreeAndOneIsRequired() {
        let disagreeing = spec.setting("plans[0].charges[0].billable_metric_code", to: "other")
        #expect(CatalogFixtures.errors(in: disagreeing) == [
            #"plans[0].charges[0].billable_metric_id: must name the same metric as billable_metric_code (got "ai_tokens", billable_metric_code is "other")"#
        ])
        let unnamed = spec.setting("plans[0].charges[0].billable_metric_id", to: nil)
        #expect(CatalogFixtures.errors(in: unnamed) == [
            "plans[0].charges[0].billable_metric_code: is required (or billable_metric_id holding the metric's code)"
        ])
    }

    @Test func organizationDefaultsPrefixAndTimezone() throws {
        let catalog = try #require(CatalogFixtures.decode(["organization": ["name": "Mistral AI"]]))
        #expect(catalog.organization == Organization(name: "Mistral AI", documentNumberPrefix: "MIS", timezone: "UTC"))
        #expect(Organization.defaultDocumentNumberPrefix(name: "3D Robotics") == "DRO")
        #expect(Organization(name: "Acme").documentNumberPrefix == "ACM")
    }

    @Test func organizationPrefixIsUpperCasedAndChecked() throws {
        let lower = try #require(CatalogFixtures.decode(["organization": ["name": "Acme", "document_number_prefix": "acm"]]))
        #expect(lower.organization?.documentNumberPrefix == "ACM")
        #expect(CatalogFixtures.errors(in: ["organization": ["name": "Acme", "document_number_prefix": "A/B"]]) == [
            #"organization.document_number_prefix: must be 1 to 10 letters, digits, '-' or '_' (got "A/B")"#
        ])
        #expect(CatalogFixtures.errors(in: ["organization": ["name": "123"]]) == [
            "organization.document_number_prefix: is required when the name has no letters to take it from"
        ])
    }

    @Test func walletCreditsAreExactFromStringsOrNumbers() throws {
        let document = spec
            .setting("wallets[0].paid_credits", to: .number("100.10"))
            .setting("wallets[0].granted_credits", to: nil)
            .setting("wallets[0].rate_amount", to: .number("1e-2"))
            .setting("wallets[0].priority", to: 1)
        let wallet = try #require(CatalogFixtures.decode(document)?.wallets.first)
        #expect(wallet.paidCredits == CatalogFixtures.decimal("100.1"))
        #expect(wallet.grantedCredits == .zero)
        #expect(wallet.rateAmount == CatalogFixtures.decimal("0.01"))
        #expect(wallet.priority == 1)
    }

    // MARK: Field errors

    @Test func everyErrorIsReportedAtOnceWithItsPath() {
        let document = spec
            .setting("billable_metrics[0].code", to: nil)
            .setting("billable_metrics[0].filters[1].values", to: ["input", "input"])
            .setting("plans[0].amount_cents", to: "-5")
            .setting("plans[0].charges[0].properties.package_size", to: 0)
            .setting("plans[0].charges[0].filters[0].properties.amount", to: "12abc")
            .setting("customers[0].currency", to: "usd")
            .setting("subscriptions[0].subscription_at", to: "2026-09-15")
            .setting("wallets[0].rate_amount", to: "0")
            .setting("wallets[0].priority", to: 51)
        #expect(CatalogFixtures.errors(in: document) == [
            "billable_metrics[0].code: is required",
            #"billable_metrics[0].filters[1].values[1]: duplicate value "input" (first at billable_metrics[0].filters[1].values[0])"#,
            #"plans[0].amount_cents: must be a whole number from 0 to 999999999999999 (got "-5")"#,
            #"plans[0].charges[0].properties.package_size: must be a whole number > 0 (got "0")"#,
            #"plans[0].charges[0].filters[0].properties.amount: must be a decimal number >= 0 (got "12abc")"#,
            #"customers[0].currency: must be a 3-letter upper-case ISO 4217 code such as "USD" (got "usd")"#,
            #"subscriptions[0].subscription_at: must be an RFC 3339 timestamp such as "2026-09-15T00:00:00Z" (got "2026-09-15")"#,
            #"wallets[0].rate_amount: must be a decimal number > 0 (got "0")"#,
            #"wallets[0].priority: must be a whole number from 1 to 50 (got "51")"#,
        ])
    }

    @Test func errorsDescribeFilePathAndRule() throws {
        let document = spec
            .setting("plans[0].charges[0].properties.package_size", to: 0)
            .setting("plans[0].code", to: nil)
        do {
            _ = try CatalogDecoder.decode(document, file: "catalog.json")
            Issue.record("expected catalog errors")
        } catch {
            #expect(error.description == """
                catalog.json: plans[0].code: is required
                catalog.json: plans[0].charges[0].properties.package_size: must be a whole number > 0 (got "0")
                """)
        }
    }

    @Test(arguments: [
        (.number("0"), #"must be a whole number > 0 (got "0")"#),
        ("1.5", #"must be a whole number > 0 (got "1.5")"#),
        (.number("1.5"), #"must be a whole number > 0 (got "1.5")"#),
        ("-1000", #"must be a whole number > 0 (got "-1000")"#),
        ("1e6", #"must be a whole number > 0 (got "1e6")"#),
        (true, "must be a whole number > 0 (got a boolean)"),
        (.null, "is required"),
    ] as [(JSONValue, String)])
    func packageSizeMustBeAPositiveWholeNumber(value: JSONValue, message: String) {
        let document = spec.setting("plans[0].charges[0].filters[0].properties.package_size", to: value)
        #expect(CatalogFixtures.errors(in: document) == [
            "plans[0].charges[0].filters[0].properties.package_size: \(message)"
        ])
    }

    @Test func packageSizeAcceptsExactExponentsAndStrings() throws {
        let document = spec
            .setting("plans[0].charges[0].properties.package_size", to: .number("1e6"))
            .setting("plans[0].charges[0].filters[0].properties.package_size", to: "1000000")
        let charge = try #require(CatalogFixtures.decode(document)?.plans[0].charges[0])
        #expect(charge.properties?.packageProperties?.packageSize == CatalogFixtures.decimal("1000000"))
        #expect(charge.filters[0].properties.packageProperties?.packageSize == CatalogFixtures.decimal("1000000"))
    }

    @Test(arguments: [
        ("amount", "12abc", #"must be a decimal number >= 0 (got "12abc")"#),
        ("amount", "-1", #"must be a decimal number >= 0 (got "-1")"#),
        ("amount", " 1", #"must be a decimal number >= 0 (got " 1")"#),
        ("amount", "", "is required"),
        ("free_units", "-1", #"must be a whole number >= 0 (got "-1")"#),
        ("free_units", .number("0.5"), #"must be a whole number >= 0 (got "0.5")"#),
        ("free_units", "", #"must be a whole number >= 0 (got "")"#),
    ] as [(String, JSONValue, String)])
    func packagePricesAreExactAndInRange(field: String, value: JSONValue, message: String) {
        let document = spec.setting("plans[0].charges[0].properties.\(field)", to: value)
        #expect(CatalogFixtures.errors(in: document) == ["plans[0].charges[0].properties.\(field): \(message)"])
    }

    @Test func filterPropertiesAreRequired() {
        let document = spec.setting("plans[0].charges[0].filters[0].properties", to: nil)
        #expect(CatalogFixtures.errors(in: document) == ["plans[0].charges[0].filters[0].properties: is required"])
    }

    @Test func requiredFieldsAndTypes() {
        let document = spec
            .setting("plans[0].name", to: "")
            .setting("plans[0].code", to: 42)
            .setting("customers[0].external_id", to: .null)
            .setting("customers[0].email", to: ["john@acme.com"])
            .setting("billable_metrics[0].recurring", to: "false")
            .setting("subscriptions[0].plan_code", to: nil)
        #expect(CatalogFixtures.errors(in: document) == [
            "billable_metrics[0].recurring: must be a boolean (got a string)",
            "plans[0].code: must be a string (got a number)",
            "plans[0].name: is required",
            "customers[0].external_id: is required",
            "customers[0].email: must be a string (got an array)",
            "subscriptions[0].plan_code: is required",
        ])
    }

    @Test func documentSectionsAndElementsMustHaveTheirShapes() {
        #expect(CatalogFixtures.errors(in: []) == [": a catalog must be a JSON object (got an array)"])
        #expect(CatalogFixtures.errors(in: ["plans": ["code": "mistral"], "wallets": ["nope", 3]]) == [
            "plans: must be an array (got an object)",
            "wallets[0]: must be an object (got a string)",
            "wallets[1]: must be an object (got a number)",
        ])
    }

    @Test func metricFiltersHaveUniqueKeysAndValues() {
        let noValues = spec.setting("billable_metrics[0].filters[0].values", to: [])
        #expect(CatalogFixtures.errors(in: noValues) == [
            "billable_metrics[0].filters[0].values: must list at least one value"
        ])
        let duplicateKey = spec.setting("billable_metrics[0].filters[1].key", to: "model")
        #expect(CatalogFixtures.errors(in: duplicateKey) == [
            #"billable_metrics[0].filters[1].key: duplicate filter key "model" (first at billable_metrics[0].filters[0])"#
        ])
    }

    @Test func chargeFilterValuesAreNonEmptyLists() {
        let document = spec
            .setting("plans[0].charges[0].filters[0].values.type", to: [])
            .setting("plans[0].charges[0].filters[0].values.model", to: "mistral-small")
        #expect(CatalogFixtures.errors(in: document) == [
            "plans[0].charges[0].filters[0].values.model: must be an array of strings (got a string)",
            "plans[0].charges[0].filters[0].values.type: must list at least one value",
        ])
        #expect(CatalogFixtures.errors(in: spec.setting("plans[0].charges[0].filters[0].values", to: [:])) == [
            "plans[0].charges[0].filters[0].values: must name at least one filter key"
        ])
    }

    @Test func chargeFiltersWithTheSameValuesAreRefused() {
        let original = CatalogFixtures.json(
            #"{"invoice_display_name": "a", "properties": {"amount": "1", "package_size": 1}, "values": {"model": ["mistral-small"], "type": ["input"]}}"#)
        let reordered = CatalogFixtures.json(
            #"{"invoice_display_name": "b", "properties": {"amount": "2", "package_size": 1}, "values": {"type": ["input"], "model": ["mistral-small"]}}"#)
        let document = spec.setting("plans[0].charges[0].filters", to: [original, reordered])
        #expect(CatalogFixtures.errors(in: document) == [
            "plans[0].charges[0].filters[1].values: same values as plans[0].charges[0].filters[0], so this filter would never match"
        ])
    }

    @Test func subscriptionMustEndAfterItStarts() {
        let document = spec.setting("subscriptions[0].ending_at", to: "2026-09-14T23:00:00-01:00")
        #expect(CatalogFixtures.errors(in: document) == [
            #"subscriptions[0].ending_at: must be after subscription_at (got "2026-09-14T23:00:00-01:00", subscription_at is "2026-09-15T00:00:00Z")"#
        ])
        let later = spec.setting("subscriptions[0].ending_at", to: "2026-12-31T23:59:59+01:00")
        #expect(CatalogFixtures.decode(later)?.subscriptions[0].endingAt
            == TimestampParser.parseRFC3339("2026-12-31T22:59:59Z"))
    }

    @Test func timezonesAreCheckedForShape() {
        let document = spec
            .setting("customers[0].timezone", to: "New York!")
            .setting("organization.timezone", to: "Etc/GMT+5")
        #expect(CatalogFixtures.errors(in: document) == [
            #"customers[0].timezone: must be an IANA timezone name such as "America/New_York" (got "New York!")"#
        ])
    }

    // MARK: Duplicates

    @Test func duplicatesAreReportedAtTheirSecondOccurrence() {
        var document = spec
        for section in ["billable_metrics", "plans", "customers", "subscriptions", "wallets"] {
            guard case .array(let elements)? = document.objectValue?[section] else { continue }
            document = document.setting(section, to: .array(elements + elements))
        }
        #expect(CatalogFixtures.errors(in: document) == [
            #"billable_metrics[1].code: duplicate billable metric code "ai_tokens" (first at billable_metrics[0])"#,
            #"plans[1].code: duplicate plan code "mistral" (first at plans[0])"#,
            #"customers[1].external_id: duplicate customer external_id "acme" (first at customers[0])"#,
            #"subscriptions[1].external_id: duplicate subscription external_id "acme-main" (first at subscriptions[0])"#,
            #"wallets[1].name: duplicate wallet "AI Credits" of customer "acme" (first at wallets[0])"#,
        ])
    }

    @Test func walletsOfDifferentCustomersMayShareAName() throws {
        guard case .array(let wallets)? = spec.objectValue?["wallets"] else { return }
        let other = wallets[0].setting("external_customer_id", to: "globex")
        let catalog = try #require(CatalogFixtures.decode(spec.setting("wallets", to: .array(wallets + [other]))))
        #expect(catalog.wallets.map(\.externalCustomerId) == ["acme", "globex"])
    }

    @Test func aPlanTrialIsDaysToTheMicrosecond() throws {
        let trial = try #require(CatalogFixtures.decode(spec.setting("plans[0].trial_period", to: .number("14.5"))))
        #expect(trial.plans[0].trialPeriod == ExactDecimal(decimalString: "14.5"))
        // 0, as Lago writes "no trial", is none.
        let none = try #require(CatalogFixtures.decode(spec.setting("plans[0].trial_period", to: .number("0.0"))))
        #expect(none.plans[0].trialPeriod == nil)
        #expect(CatalogFixtures.errors(in: spec.setting("plans[0].trial_period", to: .number("-1"))) == [
            #"plans[0].trial_period: must be a decimal number >= 0 (got "-1")"#,
        ])
        #expect(CatalogFixtures.errors(in: spec.setting("plans[0].trial_period", to: .number("0.0000001"))) == [
            #"plans[0].trial_period: must have at most 5 digits before the decimal point and 6 after it, the most Tally bills exactly (got "0.0000001")"#,
        ])
    }

    @Test func planOverridesAreReadInThePlansModelsAndAppliedOverIt() throws {
        let overrides: JSONValue = [
            "amount_cents": 2500, "trial_period": 0, "invoice_display_name": "Acme deal",
            "minimum_commitment": ["amount_cents": 9000],
            "charges": [["billable_metric_code": "ai_tokens", "properties": ["amount": "0.5", "package_size": 1000000],
                         "invoice_display_name": "Tokens (Acme)", "min_amount_cents": 700]],
        ]
        let catalog = try #require(CatalogFixtures.decode(spec
            .setting("plans[0].trial_period", to: 7)
            .setting("subscriptions[0].plan_overrides", to: overrides)))
        let plan = catalog.plans[0].overridden(by: catalog.subscriptions[0].planOverrides)
        #expect(plan.amountCents == 2500)
        #expect(plan.trialPeriod == nil)
        #expect(plan.minimumCommitment == MinimumCommitment(amountCents: 9000, invoiceDisplayName: nil))
        #expect(plan.charges[0].minAmountCents == 700)
        // The default price is the override's, in the charge's model; its filters are the plan's.
        #expect(plan.charges[0].properties?.packageProperties?.amount == ExactDecimal(decimalString: "0.5"))
        #expect(plan.charges[0].invoiceDisplayName == "Tokens (Acme)")
        #expect(plan.charges[0].filters == catalog.plans[0].charges[0].filters)
        // The plan itself is untouched.
        #expect(catalog.plans[0].amountCents == 0 && catalog.plans[0].trialPeriod == ExactDecimal(7))
    }

    @Test func aPlanOverrideNamesItsChargeByMetricCode() throws {
        #expect(CatalogFixtures.errors(in: spec.setting("subscriptions[0].plan_overrides", to: ["charges": [["id": "abc"]]])) == [
            "subscriptions[0].plan_overrides.charges[0].id: name the charge by billable_metric_code instead: "
                + "the ids Lago gives charges are not known to a catalog file",
        ])
        // What Tally does not bill on a plan is refused in its overrides too.
        #expect(CatalogFixtures.errors(in: spec.setting("subscriptions[0].plan_overrides", to: ["usage_thresholds": [["amount_cents": 1000]]])) == [
            #"subscriptions[0].plan_overrides.usage_thresholds: usage_thresholds [{"amount_cents":1000}] is not supported yet (supported: [])"#,
        ])
    }
}
