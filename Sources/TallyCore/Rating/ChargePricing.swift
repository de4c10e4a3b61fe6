/// What a charge slot aggregated to, as the charge model needs it.
public struct SlotUsage: Sendable, Equatable {
    /// Lago's aggregation result.
    public var units: ExactDecimal
    /// Lago's aggregation count: the events of the slot.
    public var eventsCount: Int
    /// For percentage's running total and per-transaction minimum and maximum.
    public var eventValues: EventValues

    public init(units: ExactDecimal, eventsCount: Int, eventValues: EventValues = .unavailable) {
        self.units = units
        self.eventsCount = eventsCount
        self.eventValues = eventValues
    }
}

/// Each event's share of a slot's units, as Lago's aggregations hand them to the percentage model.
public enum EventValues: Sendable, Equatable {
    /// The aggregation gives none (max, latest, weighted sum): the running total is empty.
    case unavailable
    /// Count or unique count: n events each worth 1.
    case ones(Int)
    /// Sum: each event's value, in timestamp order.
    case values([ExactDecimal])
}

extension ChargeProperties {
    /// Whether pricing reads `SlotUsage.eventValues`: a percentage with free units per events or per
    /// total aggregation, or a per-transaction minimum or maximum.
    public var needsEventValues: Bool {
        guard case .percentage(let properties) = self else { return false }
        return properties.freeUnitsPerEvents != nil || properties.freeUnitsPerTotalAggregation != nil
            || properties.hasTransactionBounds
    }
}

/// How a slot's amount was reached: Lago's `amount_details` of the fee for its charge model.
public struct AmountDetails: Equatable, Sendable {
    /// The `amount_details` object with Lago's keys: decimals as strings, counts as numbers.
    public let json: JSONValue

    public init(json: JSONValue) {
        self.json = json
    }

    /// `{}`: the standard model's details, and an unpriced slot's.
    public static let empty = AmountDetails(json: .object(JSONObject()))
}

/// Prices a charge slot by its charge model (docs/BILLING.md, rating): Lago's formulas, computed
/// exactly, rounded once to the currency's minor unit at the end.
public enum ChargePricing {
    /// Rates `usage` with `properties` in `currency`; nil `properties` is a price of 0 (unpriced usage).
    /// Throws when the currency is not supported, a figure has no exact 38-digit value or the amount
    /// does not fit 64-bit minor units, when no volume range holds the units (Lago fails there
    /// too), or when a percentage with a per-transaction minimum or maximum gets no event values.
    public static func rate(
        _ usage: SlotUsage, properties: ChargeProperties?, currency: String
    ) throws(BillingError) -> RatedCharge {
        guard let scale = Currency.minorUnitScale(currency: currency) else { throw .unsupportedCurrency(currency) }
        guard let properties else {
            return RatedCharge(
                units: usage.units, eventsCount: usage.eventsCount, preciseAmount: .zero, amountCents: 0,
                unpriced: usage.units > .zero)
        }
        let priced: Priced
        switch properties {
        case .standard(let standard): priced = try StandardPricing.price(usage.units, standard)
        case .graduated(let ranges): priced = try GraduatedPricing.price(usage.units, ranges)
        case .volume(let ranges): priced = try VolumePricing.price(usage.units, ranges)
        case .package(let package): priced = try PackagePricing.price(usage.units, package)
        case .percentage(let percentage): priced = try PercentagePricing.price(usage, percentage)
        case .graduatedPercentage(let ranges): priced = try GraduatedPercentagePricing.price(usage.units, ranges)
        }
        guard let cents = priced.amount.rounded(scale: scale, .halfUp).minorUnits(scale: scale) else {
            throw .tooLarge("\(priced.amount) \(currency)")
        }
        return RatedCharge(
            units: usage.units, eventsCount: usage.eventsCount, preciseAmount: priced.amount, amountCents: cents,
            unpriced: false, preciseUnitAmount: priced.unitAmount, amountDetails: AmountDetails(json: .object(priced.details)))
    }
}

/// One model's result before rounding.
struct Priced {
    var amount: ExactDecimal
    var unitAmount: ExactDecimal
    var details: JSONObject
}

// MARK: - Exact steps

/// Checked arithmetic for pricing: each step names what overflowed.
enum Exact {
    static func sum(_ a: ExactDecimal, _ b: ExactDecimal, _ what: @autoclosure () -> String) throws(BillingError) -> ExactDecimal {
        guard let result = a.adding(b) else { throw .tooLarge(what()) }
        return result
    }

    static func difference(
        _ a: ExactDecimal, _ b: ExactDecimal, _ what: @autoclosure () -> String
    ) throws(BillingError) -> ExactDecimal {
        guard let result = a.subtracting(b) else { throw .tooLarge(what()) }
        return result
    }

    static func product(
        _ a: ExactDecimal, _ b: ExactDecimal, _ what: @autoclosure () -> String
    ) throws(BillingError) -> ExactDecimal {
        guard let result = a.multiplied(by: b) else { throw .tooLarge(what()) }
        return result
    }

    /// `value × rate ÷ 100`, exact (a division by 100 always terminates).
    static func percent(_ value: ExactDecimal, _ rate: ExactDecimal) throws(BillingError) -> ExactDecimal {
        guard let product = value.multiplied(by: rate),
              let result = product.multiplied(by: ExactDecimal(significand: 1, scale: 2))
        else { throw .tooLarge("\(value) × \(rate) %") }
        return result
    }

    /// Lago's `unit_amount`, `amount ÷ divisor`: exact when the quotient terminates within 38 digits,
    /// otherwise rounded half-up at 12 decimals.
    static func unitAmount(_ amount: ExactDecimal, per divisor: ExactDecimal) throws(BillingError) -> ExactDecimal {
        guard divisor != .zero else { return .zero }
        // The finest scale a quotient can have here; a terminating quotient is exact at it.
        var scale = ExactDecimal.maxDigits - divisor.scale
        while scale > 12 {
            if let quotient = amount.divided(by: divisor, scale: scale, .down) {
                if quotient.multiplied(by: divisor) == amount { return quotient }
                break
            }
            scale -= 1
        }
        guard let rounded = amount.divided(by: divisor, scale: 12, .halfUp) else {
            throw .tooLarge("\(amount) ÷ \(divisor)")
        }
        return rounded
    }
}

extension JSONValue {
    /// A decimal as Lago's documents give it: a string.
    static func decimal(_ value: ExactDecimal) -> JSONValue { .string(value.description) }

    /// A whole number as a JSON number.
    static func count(_ value: Int) -> JSONValue { .number(String(value)) }

    /// A whole-number decimal (a range bound, a package size) as a JSON number; nil as null.
    static func wholeNumber(_ value: ExactDecimal?) -> JSONValue {
        value.map { .number($0.description) } ?? .null
    }
}

// MARK: - Standard, package, volume

/// `units × amount`. Details: none.
enum StandardPricing {
    static func price(_ units: ExactDecimal, _ properties: StandardProperties) throws(BillingError) -> Priced {
        let amount = try Exact.product(units, properties.amount, "\(units) × \(properties.amount)")
        return Priced(amount: amount, unitAmount: try Exact.unitAmount(amount, per: units), details: JSONObject())
    }
}

/// `⌈paid units ÷ package_size⌉ × amount` with `paid units = units − free_units` (nothing when ≤ 0).
enum PackagePricing {
    static func price(_ units: ExactDecimal, _ properties: PackageProperties) throws(BillingError) -> Priced {
        let paidUnits = try Exact.difference(units, properties.freeUnits, "\(units) units − \(properties.freeUnits) free units")
        var amount = ExactDecimal.zero
        if paidUnits > .zero {
            guard properties.packageSize > .zero, let packages = paidUnits.dividedRoundingUp(by: properties.packageSize),
                  let product = packages.multiplied(by: properties.amount)
            else { throw .tooLarge("⌈\(paidUnits) ÷ \(properties.packageSize)⌉ × \(properties.amount)") }
            amount = product
        }
        let unitAmount = paidUnits > .zero ? try Exact.unitAmount(amount, per: paidUnits) : .zero
        let details: JSONObject
        if units == .zero {
            details = JSONObject([
                ("free_units", .decimal(.zero)), ("paid_units", .decimal(.zero)),
                ("per_package_size", .count(0)), ("per_package_unit_amount", .decimal(.zero)),
            ])
        } else {
            details = JSONObject([
                ("free_units", .decimal(properties.freeUnits)),
                ("paid_units", .decimal(paidUnits.isNegative ? .zero : paidUnits)),
                ("per_package_size", .wholeNumber(properties.packageSize)),
                ("per_package_unit_amount", .decimal(properties.amount)),
            ])
        }
        return Priced(amount: amount, unitAmount: unitAmount, details: details)
    }
}

/// All units at the price of the one range that holds them, plus that range's flat amount.
enum VolumePricing {
    static func price(_ units: ExactDecimal, _ ranges: [PriceRange]) throws(BillingError) -> Priced {
        // Lago looks for the first range, by from_value, with from_value ≤ ⌈units⌉ and units ≤ to_value.
        let ceiling = units.rounded(scale: 0, .up)
        let sorted = ranges.enumerated().sorted { ($0.element.fromValue, $0.offset) < ($1.element.fromValue, $1.offset) }
        guard let range = sorted.map(\.element).first(where: { range in
            range.fromValue <= ceiling && range.toValue.map { units <= $0 } ?? true
        }) else {
            throw BillingError("no volume range holds \(units) units (a gap between ranges; Lago cannot rate it either)")
        }
        let perUnitTotal = try Exact.product(units, range.perUnitAmount, "\(units) × \(range.perUnitAmount)")
        let amount = try Exact.sum(perUnitTotal, range.flatAmount, "\(perUnitTotal) + \(range.flatAmount)")
        let details = JSONObject([
            ("flat_unit_amount", .decimal(range.flatAmount)),
            // Lago's per_unit_total_amount ÷ units, which is the range's price.
            ("per_unit_amount", .decimal(units == .zero ? .zero : range.perUnitAmount)),
            ("per_unit_total_amount", .decimal(perUnitTotal)),
        ])
        return Priced(amount: amount, unitAmount: try Exact.unitAmount(amount, per: units), details: details)
    }
}

// MARK: - Graduated

/// Each range prices the units that fall in it, plus its flat amount once reached (the first range's
/// even at 0 units). Lago counts a range's units as `min(units, to_value) − from_value`, plus one
/// unless every range starts at the previous range's `to_value`, and all of them in a range from 0.
enum GraduatedPricing {
    static func price(_ units: ExactDecimal, _ ranges: [PriceRange]) throws(BillingError) -> Priced {
        let adjacent = ranges.count >= 2
            && zip(ranges, ranges.dropFirst()).allSatisfy { previous, range in range.fromValue == (previous.toValue ?? .zero) }
        var amount = ExactDecimal.zero
        var details: [JSONValue] = []
        for range in ranges {
            let rangeUnits = try Self.units(in: range.fromValue, range.toValue, of: units, plusOne: !adjacent)
            let perUnit = rangeUnits == .zero ? .zero : range.perUnitAmount
            let perUnitTotal = try Exact.product(rangeUnits, perUnit, "\(rangeUnits) × \(perUnit)")
            let total = try Exact.sum(perUnitTotal, range.flatAmount, "\(perUnitTotal) + \(range.flatAmount)")
            amount = try Exact.sum(amount, total, "\(amount) + \(total)")
            details.append(.object(JSONObject([
                ("from_value", .wholeNumber(range.fromValue)), ("to_value", .wholeNumber(range.toValue)),
                ("flat_unit_amount", .decimal(range.flatAmount)), ("per_unit_amount", .decimal(perUnit)),
                ("units", .decimal(rangeUnits)), ("per_unit_total_amount", .decimal(perUnitTotal)),
                ("total_with_flat_amount", .decimal(total)),
            ])))
            if let to = range.toValue, to < units { continue }
            break
        }
        return Priced(
            amount: amount, unitAmount: try Exact.unitAmount(amount, per: units),
            details: JSONObject([("graduated_ranges", .array(details))]))
    }

    /// The units Lago counts in [from, to]: `min(total, to) − from`, `+ 1` when `plusOne`, all of
    /// `min(total, to)` when `from` is 0.
    static func units(
        in from: ExactDecimal, _ to: ExactDecimal?, of total: ExactDecimal, plusOne: Bool
    ) throws(BillingError) -> ExactDecimal {
        let effective = to.map { total >= $0 ? $0 : total } ?? total
        guard from != .zero else { return effective }
        let difference = try Exact.difference(effective, from, "\(effective) − \(from)")
        return plusOne ? try Exact.sum(difference, ExactDecimal(1), "\(difference) + 1") : difference
    }
}

/// Graduated, with a percentage of each range's units instead of a unit price. Lago counts a range's
/// units as `min(units, to_value) − from_value + 1`, all of `min(units, to_value)` from 0, whatever
/// the ranges' adjacency.
enum GraduatedPercentagePricing {
    static func price(_ units: ExactDecimal, _ ranges: [PercentageRange]) throws(BillingError) -> Priced {
        var amount = ExactDecimal.zero
        var details: [JSONValue] = []
        for range in ranges {
            let rangeUnits = try GraduatedPricing.units(in: range.fromValue, range.toValue, of: units, plusOne: true)
            let perUnitTotal = try Exact.percent(rangeUnits, range.rate)
            let total = try Exact.sum(perUnitTotal, range.flatAmount, "\(perUnitTotal) + \(range.flatAmount)")
            amount = try Exact.sum(amount, total, "\(amount) + \(total)")
            details.append(.object(JSONObject([
                ("from_value", .wholeNumber(range.fromValue)), ("to_value", .wholeNumber(range.toValue)),
                ("flat_unit_amount", .decimal(range.flatAmount)), ("rate", .decimal(range.rate)),
                ("units", .decimal(rangeUnits)), ("per_unit_total_amount", .decimal(perUnitTotal)),
                ("total_with_flat_amount", .decimal(total)),
            ])))
            if let to = range.toValue, to < units { continue }
            break
        }
        return Priced(
            amount: amount, unitAmount: try Exact.unitAmount(amount, per: units),
            details: JSONObject([("graduated_percentage_ranges", .array(details))]))
    }
}
