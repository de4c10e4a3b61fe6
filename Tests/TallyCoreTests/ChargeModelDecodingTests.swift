import Foundation
import Testing
@testable import TallyCore

/// Each charge model's `properties` in a catalog: what decodes, and each rule's error with its path.
@Suite struct ChargeModelDecodingTests {
    let spec = CatalogFixtures.json(CatalogFixtures.specExample)

    /// The spec example with its charge set to `model`, the charge and its filter priced by `properties`.
    private func document(_ model: String, _ properties: String) -> JSONValue {
        let value = CatalogFixtures.json(properties)
        return spec
            .setting("plans[0].charges[0].charge_model", to: .string(model))
            .setting("plans[0].charges[0].properties", to: value)
            .setting("plans[0].charges[0].filters[0].properties", to: value)
    }

    /// The errors of `properties` for `model` on the charge alone (the filter keeps valid ones).
    private func errors(_ model: String, _ properties: String, valid: String,
                        sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        let document = document(model, valid)
            .setting("plans[0].charges[0].properties", to: CatalogFixtures.json(properties))
        return CatalogFixtures.errors(in: document, sourceLocation: sourceLocation)
    }

    private let at = "plans[0].charges[0].properties"

    // MARK: Valid catalogs

    @Test func standardDecodesFromStringsOrNumbers() throws {
        let catalog = try #require(CatalogFixtures.decode(document("standard", #"{"amount": "0.25"}"#)))
        let charge = catalog.plans[0].charges[0]
        #expect(charge.chargeModel == .standard)
        #expect(charge.properties == .standard(StandardProperties(amount: CatalogFixtures.decimal("0.25"))))
        #expect(charge.filters[0].properties == .standard(StandardProperties(amount: CatalogFixtures.decimal("0.25"))))
        let number = try #require(CatalogFixtures.decode(document("standard", #"{"amount": 2.5}"#)))
        #expect(number.plans[0].charges[0].properties == .standard(StandardProperties(amount: CatalogFixtures.decimal("2.5"))))
    }

    @Test func graduatedDecodesItsRanges() throws {
        let catalog = try #require(CatalogFixtures.decode(document("graduated", """
            {"graduated_ranges": [
              {"from_value": 0, "to_value": 100, "per_unit_amount": "1", "flat_amount": "10"},
              {"from_value": 100, "to_value": 200, "per_unit_amount": "0.5", "flat_amount": "0"},
              {"from_value": 201, "to_value": null, "per_unit_amount": "0.25", "flat_amount": "0"}]}
            """)))
        #expect(catalog.plans[0].charges[0].properties == .graduated([
            PriceRange(fromValue: .zero, toValue: ExactDecimal(100), perUnitAmount: ExactDecimal(1), flatAmount: ExactDecimal(10)),
            PriceRange(fromValue: ExactDecimal(100), toValue: ExactDecimal(200), perUnitAmount: CatalogFixtures.decimal("0.5"),
                       flatAmount: .zero),
            PriceRange(fromValue: ExactDecimal(201), toValue: nil, perUnitAmount: CatalogFixtures.decimal("0.25"), flatAmount: .zero),
        ]))
    }

    @Test func volumeDecodesRangesOneOrTwoPastThePrevious() throws {
        let catalog = try #require(CatalogFixtures.decode(document("volume", """
            {"volume_ranges": [
              {"from_value": 0, "to_value": 100, "per_unit_amount": "1", "flat_amount": "10"},
              {"from_value": 101, "to_value": 200, "per_unit_amount": "0.5", "flat_amount": "5"},
              {"from_value": 202, "per_unit_amount": "0.25", "flat_amount": "0"}]}
            """)))
        guard case .volume(let ranges) = catalog.plans[0].charges[0].properties else {
            Issue.record("not volume: \(String(describing: catalog.plans[0].charges[0].properties))")
            return
        }
        #expect(ranges.map(\.fromValue) == [ExactDecimal(0), ExactDecimal(101), ExactDecimal(202)])
        #expect(ranges.map(\.toValue) == [ExactDecimal(100), ExactDecimal(200), nil])
    }

    @Test func packageStillDecodes() throws {
        let catalog = try #require(CatalogFixtures.decode(spec))
        #expect(catalog.plans[0].charges[0].properties == .package(PackageProperties(
            amount: .zero, packageSize: ExactDecimal(1_000_000))))
    }

    @Test func percentageDecodesEveryField() throws {
        let catalog = try #require(CatalogFixtures.decode(document("percentage", """
            {"rate": "2.5", "fixed_amount": "0.3", "free_units_per_events": 3, "free_units_per_total_aggregation": "100.5",
             "per_transaction_min_amount": "0.5", "per_transaction_max_amount": "5"}
            """)))
        #expect(catalog.plans[0].charges[0].properties == .percentage(PercentageProperties(
            rate: CatalogFixtures.decimal("2.5"), fixedAmount: CatalogFixtures.decimal("0.3"), freeUnitsPerEvents: 3,
            freeUnitsPerTotalAggregation: CatalogFixtures.decimal("100.5"),
            perTransactionMinAmount: CatalogFixtures.decimal("0.5"), perTransactionMaxAmount: ExactDecimal(5))))
        let bare = try #require(CatalogFixtures.decode(document("percentage", #"{"rate": "1", "fixed_amount": null}"#)))
        #expect(bare.plans[0].charges[0].properties == .percentage(PercentageProperties(rate: ExactDecimal(1))))
    }

    @Test func graduatedPercentageDecodesItsRanges() throws {
        let catalog = try #require(CatalogFixtures.decode(document("graduated_percentage", """
            {"graduated_percentage_ranges": [
              {"from_value": 0, "to_value": 10, "rate": "1", "flat_amount": "0.5"},
              {"from_value": 11, "to_value": null, "rate": "0.5", "flat_amount": "0"}]}
            """)))
        #expect(catalog.plans[0].charges[0].chargeModel == .graduatedPercentage)
        #expect(catalog.plans[0].charges[0].properties == .graduatedPercentage([
            PercentageRange(fromValue: .zero, toValue: ExactDecimal(10), rate: ExactDecimal(1),
                            flatAmount: CatalogFixtures.decimal("0.5")),
            PercentageRange(fromValue: ExactDecimal(11), toValue: nil, rate: CatalogFixtures.decimal("0.5"), flatAmount: .zero),
        ]))
    }

    @Test func chargePropertiesMayBeLeftOutButFilterPropertiesMayNot() throws {
        let document = document("standard", #"{"amount": "1"}"#).setting("plans[0].charges[0].properties", to: nil)
        #expect(try #require(CatalogFixtures.decode(document)).plans[0].charges[0].properties == nil)
        #expect(CatalogFixtures.errors(in: document.setting("plans[0].charges[0].filters[0].properties", to: nil)) == [
            "plans[0].charges[0].filters[0].properties: is required"
        ])
    }

    @Test func latestAggregationIsRefusedByPercentagesOnly() {
        #expect(ChargeModel.allCases.filter(\.refusesLatestAggregation) == [.percentage, .graduatedPercentage])
    }

    // MARK: Errors

    @Test func standardAmountMustBeANonNegativeDecimal() {
        let valid = #"{"amount": "1"}"#
        #expect(errors("standard", #"{"amount": "-1"}"#, valid: valid) == [#"\#(at).amount: must be a decimal number >= 0 (got "-1")"#])
        #expect(errors("standard", "{}", valid: valid) == ["\(at).amount: is required"])
        #expect(errors("standard", #"{"amount": "1", "package_size": 10}"#, valid: valid) == [
            #"\#(at).package_size: unknown field "package_size""#
        ])
        #expect(errors("standard", #"{"amount": "1", "presentation_group_keys": [{"value": "region"}]}"#, valid: valid) == [
            #"\#(at).presentation_group_keys: presentation_group_keys [{"value":"region"}] is not supported yet (supported: [])"#
        ])
    }

    private let graduated = """
        {"graduated_ranges": [
          {"from_value": 0, "to_value": 100, "per_unit_amount": "1", "flat_amount": "0"},
          {"from_value": 100, "to_value": null, "per_unit_amount": "1", "flat_amount": "0"}]}
        """

    /// Two graduated ranges, the first [0, `firstTo`], the second from `secondFrom` to `secondTo`.
    private func twoRanges(_ key: String = "graduated_ranges", firstFrom: String = "0", firstTo: String = "100",
                           secondFrom: String = "100", secondTo: String = "null") -> String {
        """
        {"\(key)": [
          {"from_value": \(firstFrom), "to_value": \(firstTo), "per_unit_amount": "1", "flat_amount": "0"},
          {"from_value": \(secondFrom), "to_value": \(secondTo), "per_unit_amount": "1", "flat_amount": "0"}]}
        """
    }

    @Test func graduatedRangesAreRequired() {
        #expect(errors("graduated", "{}", valid: graduated) == ["\(at).graduated_ranges: is required"])
        #expect(errors("graduated", #"{"graduated_ranges": []}"#, valid: graduated) == [
            "\(at).graduated_ranges: must have at least one range"
        ])
        #expect(errors("graduated", #"{"graduated_ranges": {}}"#, valid: graduated) == [
            "\(at).graduated_ranges: must be an array (got an object)"
        ])
    }

    @Test func graduatedRangesStartWhereThePreviousEnds() {
        let ranges = "\(at).graduated_ranges"
        #expect(errors("graduated", twoRanges(secondFrom: "150"), valid: graduated) == [
            "\(ranges)[1].from_value: must be 100 or 101, the previous range's to_value or one more (got 150)"
        ])
        #expect(errors("graduated", twoRanges(secondFrom: "99"), valid: graduated) == [
            "\(ranges)[1].from_value: must be 100 or 101, the previous range's to_value or one more (got 99)"
        ])
        #expect(errors("graduated", twoRanges(firstFrom: "5"), valid: graduated) == [
            "\(ranges)[0].from_value: must be 0 or 1, where the first range starts (got 5)"
        ])
        // Lago's validator accepts a first range from 1, and a next one at to_value + 1.
        #expect(CatalogFixtures.decode(document("graduated", twoRanges(firstFrom: "1", secondFrom: "101"))) != nil)
    }

    @Test func graduatedRangesEndAfterTheyStartAndTheLastIsOpen() {
        let ranges = "\(at).graduated_ranges"
        #expect(errors("graduated", twoRanges(firstTo: "null"), valid: graduated) == [
            "\(ranges)[0].to_value: is required in every range but the last"
        ])
        #expect(errors("graduated", twoRanges(firstFrom: "0", firstTo: "0", secondFrom: "0"), valid: graduated) == [
            "\(ranges)[0].to_value: must be greater than the range's from_value (0) (got 0)"
        ])
        #expect(errors("graduated", twoRanges(secondTo: "500"), valid: graduated) == [
            "\(ranges)[1].to_value: must be null in the last range, which has no end (got 500)"
        ])
    }

    @Test func graduatedRangeFieldsAreCheckedOneByOne() {
        let ranges = "\(at).graduated_ranges"
        #expect(errors("graduated", twoRanges(secondFrom: #""100.5""#), valid: graduated) == [
            #"\#(ranges)[1].from_value: must be a whole number >= 0 (got "100.5")"#
        ])
        #expect(errors("graduated", twoRanges(firstTo: "-3"), valid: graduated) == [
            #"\#(ranges)[0].to_value: must be a whole number >= 0 (got "-3")"#
        ])
        #expect(errors("graduated", twoRanges(firstTo: "10000000000000000"), valid: graduated) == [
            #"\#(ranges)[0].to_value: must have at most 15 digits, the most Tally bills exactly (got "10000000000000000")"#
        ])
        let badAmounts = """
            {"graduated_ranges": [{"from_value": 0, "per_unit_amount": "x", "foo": 1}]}
            """
        #expect(errors("graduated", badAmounts, valid: graduated) == [
            #"\#(ranges)[0].per_unit_amount: must be a decimal number >= 0 (got "x")"#,
            "\(ranges)[0].flat_amount: is required",
            #"\#(ranges)[0].foo: unknown field "foo""#,
        ])
    }

    @Test func volumeRangesStartOneOrTwoPastThePrevious() {
        let valid = twoRanges("volume_ranges", secondFrom: "101")
        let ranges = "\(at).volume_ranges"
        #expect(errors("volume", twoRanges("volume_ranges", secondFrom: "100"), valid: valid) == [
            "\(ranges)[1].from_value: must be 101 or 102, one or two more than the previous range's to_value (got 100)"
        ])
        #expect(errors("volume", twoRanges("volume_ranges", secondFrom: "103"), valid: valid) == [
            "\(ranges)[1].from_value: must be 101 or 102, one or two more than the previous range's to_value (got 103)"
        ])
        #expect(errors("volume", twoRanges("volume_ranges", secondFrom: "101", secondTo: "300"), valid: valid) == [
            "\(ranges)[1].to_value: must be null in the last range, which has no end (got 300)"
        ])
        #expect(errors("volume", #"{"volume_ranges": []}"#, valid: valid) == ["\(ranges): must have at least one range"])
    }

    @Test func percentageFieldsFollowLagosRules() {
        let valid = #"{"rate": "1"}"#
        #expect(errors("percentage", "{}", valid: valid) == ["\(at).rate: is required"])
        #expect(errors("percentage", #"{"rate": "-2"}"#, valid: valid) == [#"\#(at).rate: must be a decimal number >= 0 (got "-2")"#])
        #expect(errors("percentage", #"{"rate": "1", "free_units_per_events": 0}"#, valid: valid) == [
            #"\#(at).free_units_per_events: must be a whole number > 0 (got "0")"#
        ])
        #expect(errors("percentage", #"{"rate": "1", "free_units_per_events": 2.5}"#, valid: valid) == [
            #"\#(at).free_units_per_events: must be a whole number > 0 (got "2.5")"#
        ])
        #expect(errors("percentage", #"{"rate": "1", "free_units_per_total_aggregation": "-1"}"#, valid: valid) == [
            #"\#(at).free_units_per_total_aggregation: must be a decimal number >= 0 (got "-1")"#
        ])
        #expect(errors("percentage", #"{"rate": "1", "fixed_amount": ""}"#, valid: valid) == [
            #"\#(at).fixed_amount: must be a decimal number >= 0 (got "")"#
        ])
        #expect(errors("percentage", #"{"rate": "1", "per_transaction_min_amount": "5", "per_transaction_max_amount": "2"}"#,
                       valid: valid) == [
            #"\#(at).per_transaction_max_amount: must be >= per_transaction_min_amount (5) (got "2")"#
        ])
    }

    @Test func graduatedPercentageRangesFollowTheGraduatedRules() {
        let valid = """
            {"graduated_percentage_ranges": [{"from_value": 0, "to_value": null, "rate": "1", "flat_amount": "0"}]}
            """
        let ranges = "\(at).graduated_percentage_ranges"
        let invalid = """
            {"graduated_percentage_ranges": [
              {"from_value": 0, "to_value": 10, "rate": "-1", "flat_amount": "0"},
              {"from_value": 12, "to_value": null, "rate": "1", "flat_amount": "0"}]}
            """
        #expect(errors("graduated_percentage", invalid, valid: valid) == [
            #"\#(ranges)[0].rate: must be a decimal number >= 0 (got "-1")"#
        ])
        let gap = invalid.replacingOccurrences(of: #""rate": "-1""#, with: #""rate": "1""#)
        #expect(errors("graduated_percentage", gap, valid: valid) == [
            "\(ranges)[1].from_value: must be 10 or 11, the previous range's to_value or one more (got 12)"
        ])
        #expect(errors("graduated_percentage", "{}", valid: valid) == ["\(ranges): is required"])
    }

    @Test func unsupportedModelsSkipTheirProperties() {
        let document = spec
            .setting("plans[0].charges[0].charge_model", to: "dynamic")
            .setting("plans[0].charges[0].properties", to: ["whatever": 1])
        #expect(CatalogFixtures.errors(in: document) == [
            #"plans[0].charges[0].charge_model: charge_model "dynamic" is not supported yet (supported: standard, "#
                + #"graduated, volume, package, percentage, graduated_percentage)"#
        ])
    }
}

/// Plans are stored as the JSON of `Plan`; charge properties carry their model.
@Suite struct ChargePropertiesCodingTests {
    @Test func propertiesOfStoredPlansBeforeChargeModelsDecodeAsPackage() throws {
        // How a stored plan held a charge's properties before charge models: a bare PackageProperties.
        let stored = #"{"amount":"2.5","freeUnits":"10","packageSize":"1000"}"#
        let decoded = try JSONDecoder().decode(ChargeProperties.self, from: Data(stored.utf8))
        #expect(decoded == .package(PackageProperties(
            amount: CatalogFixtures.decimal("2.5"), freeUnits: ExactDecimal(10), packageSize: ExactDecimal(1000))))
        let charge = #"{"billableMetricCode":"tokens","chargeModel":"package","filters":[],"properties":\#(stored)}"#
        #expect(try JSONDecoder().decode(Charge.self, from: Data(charge.utf8)).properties == decoded)
    }

    @Test func everyModelRoundTripsWithItsModelKey() throws {
        let models: [ChargeProperties] = [
            .standard(StandardProperties(amount: CatalogFixtures.decimal("0.25"))),
            .graduated([PriceRange(fromValue: .zero, toValue: nil, perUnitAmount: ExactDecimal(1), flatAmount: ExactDecimal(2))]),
            .volume([
                PriceRange(fromValue: .zero, toValue: ExactDecimal(10), perUnitAmount: ExactDecimal(1), flatAmount: .zero),
                PriceRange(fromValue: ExactDecimal(11), toValue: nil, perUnitAmount: .zero, flatAmount: .zero),
            ]),
            .package(PackageProperties(amount: ExactDecimal(1), packageSize: ExactDecimal(10))),
            .percentage(PercentageProperties(rate: ExactDecimal(1), freeUnitsPerEvents: 2, perTransactionMaxAmount: ExactDecimal(3))),
            .graduatedPercentage([PercentageRange(fromValue: .zero, toValue: nil, rate: ExactDecimal(1), flatAmount: .zero)]),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for properties in models {
            let data = try encoder.encode(properties)
            #expect(try JSONDecoder().decode(ChargeProperties.self, from: data) == properties)
            let object = try #require(try JSONParser.parse(String(decoding: data, as: UTF8.self)).objectValue)
            #expect(object["model"] == .string(properties.model.rawValue))
        }
        let standard = try encoder.encode(ChargeProperties.standard(StandardProperties(amount: ExactDecimal(1))))
        #expect(String(decoding: standard, as: UTF8.self) == #"{"amount":"1","model":"standard"}"#)
    }
}
