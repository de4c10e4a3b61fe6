/// The `properties` of a charge or a filter, by charge model, with Lago's rules (its
/// `Charges::Validators` and `Validators::RangeBoundsValidator`) and Tally's digit limits.
extension CatalogDecoder {
    static func decodeChargeProperties(_ reader: inout CatalogObjectReader, model: ChargeModel) -> ChargeProperties? {
        let properties: ChargeProperties?
        switch model {
        case .standard: properties = decodeStandardProperties(&reader).map(ChargeProperties.standard)
        case .package: properties = decodePackageProperties(&reader).map(ChargeProperties.package)
        case .percentage: properties = decodePercentageProperties(&reader).map(ChargeProperties.percentage)
        case .graduated:
            properties = decodeRanges(&reader, "graduated_ranges", chaining: .sharedBound, decodePriceRange)
                .map(ChargeProperties.graduated)
        case .volume:
            properties = decodeRanges(&reader, "volume_ranges", chaining: .nextUnit, decodePriceRange)
                .map(ChargeProperties.volume)
        case .graduatedPercentage:
            properties = decodeRanges(&reader, "graduated_percentage_ranges", chaining: .sharedBound, decodePercentageRange)
                .map(ChargeProperties.graduatedPercentage)
        }
        reader.apply(.chargeProperties)
        return properties
    }

    private static func decodeStandardProperties(_ reader: inout CatalogObjectReader) -> StandardProperties? {
        reader.decimal("amount", .nonNegative, limit: BillingLimits.price).map(StandardProperties.init)
    }

    private static func decodePackageProperties(_ reader: inout CatalogObjectReader) -> PackageProperties? {
        let amount = reader.decimal("amount", .nonNegative, limit: BillingLimits.price)
        let freeUnits = reader.decimal("free_units", .wholeNonNegative, limit: BillingLimits.unitCount, default: .zero)
        let packageSize = reader.decimal("package_size", .wholePositive, limit: BillingLimits.unitCount)
        guard let amount, let freeUnits, let packageSize else { return nil }
        return PackageProperties(amount: amount, freeUnits: freeUnits, packageSize: packageSize)
    }

    private static func decodePercentageProperties(_ reader: inout CatalogObjectReader) -> PercentageProperties? {
        let rate = reader.decimal("rate", .nonNegative, limit: BillingLimits.price)
        let fixedAmount = reader.optionalDecimal("fixed_amount", .nonNegative, limit: BillingLimits.price)
        let freeEvents = reader.optionalDecimal("free_units_per_events", .wholePositive, limit: BillingLimits.unitCount)
        let freeUnits = reader.optionalDecimal(
            "free_units_per_total_aggregation", .nonNegative, limit: BillingLimits.eventUnits)
        let minimum = reader.optionalDecimal("per_transaction_min_amount", .nonNegative, limit: BillingLimits.price)
        let maximum = reader.optionalDecimal("per_transaction_max_amount", .nonNegative, limit: BillingLimits.price)
        var isValid = !(fixedAmount.isInvalid || freeEvents.isInvalid || freeUnits.isInvalid
            || minimum.isInvalid || maximum.isInvalid)
        if let minimum = minimum.value, let maximum = maximum.value, maximum < minimum {
            reader.fail(
                "per_transaction_max_amount",
                "must be >= per_transaction_min_amount (\(minimum)) (got \(CatalogPath.quoted(maximum.description)))")
            isValid = false
        }
        // 15 whole digits always fit an Int.
        let freeEventCount = freeEvents.value.flatMap { $0.int64Value }.flatMap { Int(exactly: $0) }
        guard let rate, isValid else { return nil }
        return PercentageProperties(
            rate: rate, fixedAmount: fixedAmount.value, freeUnitsPerEvents: freeEventCount,
            freeUnitsPerTotalAggregation: freeUnits.value,
            perTransactionMinAmount: minimum.value, perTransactionMaxAmount: maximum.value)
    }

    // MARK: Ranges

    /// Where a range may start after the previous one, as Lago's validators allow.
    private enum RangeChaining {
        /// Graduated and graduated percentage: at the previous range's `to_value`, or one more.
        case sharedBound
        /// Volume: one more than the previous range's `to_value`, or two more.
        case nextUnit
    }

    private static func decodePriceRange(_ reader: inout CatalogObjectReader) -> PriceRange? {
        let bounds = decodeRangeBounds(&reader)
        let perUnitAmount = reader.decimal("per_unit_amount", .nonNegative, limit: BillingLimits.price)
        let flatAmount = reader.decimal("flat_amount", .nonNegative, limit: BillingLimits.price)
        guard let bounds, let perUnitAmount, let flatAmount else { return nil }
        return PriceRange(fromValue: bounds.from, toValue: bounds.to, perUnitAmount: perUnitAmount, flatAmount: flatAmount)
    }

    private static func decodePercentageRange(_ reader: inout CatalogObjectReader) -> PercentageRange? {
        let bounds = decodeRangeBounds(&reader)
        let rate = reader.decimal("rate", .nonNegative, limit: BillingLimits.price)
        let flatAmount = reader.decimal("flat_amount", .nonNegative, limit: BillingLimits.price)
        guard let bounds, let rate, let flatAmount else { return nil }
        return PercentageRange(fromValue: bounds.from, toValue: bounds.to, rate: rate, flatAmount: flatAmount)
    }

    /// `from_value` and `to_value` (null for an open range), whole numbers ≥ 0.
    private static func decodeRangeBounds(_ reader: inout CatalogObjectReader) -> (from: ExactDecimal, to: ExactDecimal?)? {
        let from = reader.decimal("from_value", .wholeNonNegative, limit: BillingLimits.unitCount)
        let to = reader.optionalDecimal("to_value", .wholeNonNegative, limit: BillingLimits.unitCount)
        guard let from, !to.isInvalid else { return nil }
        return (from, to.value)
    }

    /// The ranges at `key`: at least one; the first starts at 0 or 1; each next one starts where
    /// `chaining` allows; every range but the last ends after it starts, and the last is open.
    /// Bounds are compared only between ranges that decoded (the others have their own errors).
    private static func decodeRanges<Range: PricingRange>(
        _ reader: inout CatalogObjectReader, _ key: String, chaining: RangeChaining,
        _ body: (inout CatalogObjectReader) -> Range?
    ) -> [Range]? {
        guard reader.has(key) else {
            reader.skip(key)
            reader.fail(key, "is required")
            return nil
        }
        guard case .array(let elements) = reader.object[key] else {
            _ = reader.elements(key, body)  // logs that it must be an array
            return nil
        }
        guard !elements.isEmpty else {
            reader.skip(key)
            reader.fail(key, "must have at least one range")
            return nil
        }
        let decoded = reader.elements(key, body)
        var isValid = decoded.count == elements.count
        let byIndex = Dictionary(uniqueKeysWithValues: decoded.map { ($0.index, $0.value) })
        let lastIndex = elements.count - 1
        for (index, range) in decoded {
            let rangePath = CatalogPath.element(reader.path(of: key), index)
            if let problem = startProblem(of: range, at: index, after: byIndex[index - 1], chaining: chaining) {
                reader.log.add(at: CatalogPath.member(rangePath, "from_value"), problem)
                isValid = false
            }
            if let problem = endProblem(of: range, isLast: index == lastIndex) {
                reader.log.add(at: CatalogPath.member(rangePath, "to_value"), problem)
                isValid = false
            }
        }
        return isValid ? decoded.map(\.value) : nil
    }

    /// Why `range` cannot start where it does, nil when it can (or when the previous range did not decode).
    private static func startProblem<Range: PricingRange>(
        of range: Range, at index: Int, after previous: Range?, chaining: RangeChaining
    ) -> String? {
        let got = "(got \(range.fromValue))"
        guard index > 0 else {
            guard range.fromValue != .zero, range.fromValue != ExactDecimal(1) else { return nil }
            return "must be 0 or 1, where the first range starts \(got)"
        }
        guard let previousTo = previous?.toValue else { return nil }
        let earliest: ExactDecimal?
        let rule: String
        switch chaining {
        case .sharedBound:
            earliest = previousTo
            rule = "the previous range's to_value or one more"
        case .nextUnit:
            earliest = previousTo.adding(ExactDecimal(1))
            rule = "one or two more than the previous range's to_value"
        }
        guard let earliest, let latest = earliest.adding(ExactDecimal(1)) else { return nil }
        guard range.fromValue != earliest, range.fromValue != latest else { return nil }
        return "must be \(earliest) or \(latest), \(rule) \(got)"
    }

    /// Why `range` cannot end where it does, nil when it can.
    private static func endProblem<Range: PricingRange>(of range: Range, isLast: Bool) -> String? {
        switch (range.toValue, isLast) {
        case (nil, true): nil
        case (let to?, true): "must be null in the last range, which has no end (got \(to))"
        case (nil, false): "is required in every range but the last"
        case (let to?, false):
            to > range.fromValue
                ? nil : "must be greater than the range's from_value (\(range.fromValue)) (got \(to))"
        }
    }
}

/// A range of graduated, volume or graduated percentage pricing: the bounds the validators check.
protocol PricingRange {
    var fromValue: ExactDecimal { get }
    var toValue: ExactDecimal? { get }
}

extension PriceRange: PricingRange {}
extension PercentageRange: PricingRange {}
