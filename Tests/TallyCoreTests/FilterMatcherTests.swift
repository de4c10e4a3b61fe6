import Testing
import TallyCore

@Suite struct FilterMatcherTests {
    private static func filter(_ conditions: KeyValuePairs<String, [String]>) -> ChargeFilter {
        ChargeFilter(
            properties: .package(PackageProperties(amount: ExactDecimal(1), packageSize: ExactDecimal(1))),
            values: conditions.map { FilterCondition(key: $0.key, values: $0.value) })
    }

    /// The Mistral template's shape: per model and type, plus a broader per-model price.
    private let filters = [
        Self.filter(["model": ["mistral-small"], "type": ["input"]]),
        Self.filter(["model": ["mistral-small"], "type": ["output"]]),
        Self.filter(["model": ["mistral-large"]]),
        Self.filter(["model": ["mistral-large", "mistral-medium"], "type": ["input", "output"]]),
    ]

    @Test func everyKeyOfAFilterMustMatch() {
        #expect(FilterMatcher.match(["model": "mistral-small", "type": "input", "tokens": "10"], filters: filters) == 0)
        #expect(FilterMatcher.match(["model": "mistral-small", "type": "output"], filters: filters) == 1)
        #expect(FilterMatcher.match(["model": "mistral-medium", "type": "input"], filters: filters) == 3)
    }

    @Test func eventsMatchingNoFilterGoToTheDefaultBucket() {
        #expect(FilterMatcher.match(["model": "mistral-small"], filters: filters) == nil)
        #expect(FilterMatcher.match(["model": "mistral-medium"], filters: filters) == nil)
        #expect(FilterMatcher.match(["type": "input"], filters: filters) == nil)
        #expect(FilterMatcher.match([:], filters: filters) == nil)
        #expect(FilterMatcher.match(["model": "mistral-small", "type": "input"], filters: []) == nil)
    }

    @Test func theFilterWithMostKeysWinsWhateverItsPosition() {
        // Both "model: mistral-large" (index 2) and "model + type" (index 3) match: two keys beat one.
        #expect(FilterMatcher.match(["model": "mistral-large", "type": "output"], filters: filters) == 3)
        // Without a type only the one-key filter matches.
        #expect(FilterMatcher.match(["model": "mistral-large"], filters: filters) == 2)
    }

    @Test func onATieTheFirstInPlanOrderWins() {
        let tied = [
            Self.filter(["type": ["input"]]),
            Self.filter(["model": ["mistral-small"]]),
            Self.filter(["type": ["input", "output"]]),
        ]
        #expect(FilterMatcher.match(["model": "mistral-small", "type": "input"], filters: tied) == 0)
        #expect(FilterMatcher.match(["model": "mistral-small", "type": "output"], filters: tied) == 1)
        #expect(FilterMatcher.match(["type": "output"], filters: tied) == 2)
    }

    @Test func valuesAreCaseSensitive() {
        #expect(FilterMatcher.match(["model": "Mistral-Small", "type": "input"], filters: filters) == nil)
    }

    @Test func decimalLookingFilterValuesCompareInCanonicalForm() {
        let numeric = [Self.filter(["tier": ["007", "2.50"]])]
        #expect(FilterMatcher.match(["tier": "7"], filters: numeric) == 0)
        #expect(FilterMatcher.match(["tier": "2.5"], filters: numeric) == 0)
        #expect(FilterMatcher.match(["tier": "8"], filters: numeric) == nil)
        #expect(FilterMatcher.match(["tier": "2.55"], filters: numeric) == nil)
    }
}
