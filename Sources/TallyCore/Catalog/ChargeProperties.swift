/// The price of a charge (or of one of its filters), in the terms of its charge model.
///
/// Stored plans hold it as JSON through `Codable`: `{"model": "<charge_model>", …the model's fields}`.
/// Plans stored before charge models had a `model` key hold a bare `PackageProperties` object; it
/// still decodes, as `.package`.
public enum ChargeProperties: Equatable, Sendable {
    case standard(StandardProperties)
    /// Lago's `graduated_ranges`, in catalog order.
    case graduated([PriceRange])
    /// Lago's `volume_ranges`, in catalog order.
    case volume([PriceRange])
    case package(PackageProperties)
    case percentage(PercentageProperties)
    /// Lago's `graduated_percentage_ranges`, in catalog order.
    case graduatedPercentage([PercentageRange])

    /// The charge model these properties price with.
    public var model: ChargeModel {
        switch self {
        case .standard: .standard
        case .graduated: .graduated
        case .volume: .volume
        case .package: .package
        case .percentage: .percentage
        case .graduatedPercentage: .graduatedPercentage
        }
    }
}

/// A standard charge: `amount` per unit.
public struct StandardProperties: Codable, Equatable, Sendable {
    /// The price of one unit in the plan's currency (major unit, exact), ≥ 0.
    public var amount: ExactDecimal

    public init(amount: ExactDecimal) {
        self.amount = amount
    }
}

/// One range of a graduated or volume charge: units from `fromValue` to `toValue` (open when nil)
/// cost `perUnitAmount` each, plus `flatAmount` once when the range is reached.
public struct PriceRange: Codable, Equatable, Sendable {
    /// A whole number ≥ 0.
    public var fromValue: ExactDecimal
    /// A whole number > `fromValue`; nil in the last range only.
    public var toValue: ExactDecimal?
    public var perUnitAmount: ExactDecimal
    public var flatAmount: ExactDecimal

    public init(fromValue: ExactDecimal, toValue: ExactDecimal?, perUnitAmount: ExactDecimal, flatAmount: ExactDecimal) {
        self.fromValue = fromValue
        self.toValue = toValue
        self.perUnitAmount = perUnitAmount
        self.flatAmount = flatAmount
    }
}

/// One range of a graduated percentage charge: `rate` percent of the units in the range, plus
/// `flatAmount` once when the range is reached.
public struct PercentageRange: Codable, Equatable, Sendable {
    /// A whole number ≥ 0.
    public var fromValue: ExactDecimal
    /// A whole number > `fromValue`; nil in the last range only.
    public var toValue: ExactDecimal?
    /// A percentage (2.5 means 2.5 %), ≥ 0.
    public var rate: ExactDecimal
    public var flatAmount: ExactDecimal

    public init(fromValue: ExactDecimal, toValue: ExactDecimal?, rate: ExactDecimal, flatAmount: ExactDecimal) {
        self.fromValue = fromValue
        self.toValue = toValue
        self.rate = rate
        self.flatAmount = flatAmount
    }
}

/// A percentage charge: `rate` percent of the units beyond the free ones, plus `fixedAmount` per paid
/// event, each transaction optionally held between a minimum and a maximum.
public struct PercentageProperties: Codable, Equatable, Sendable {
    /// A percentage (2.5 means 2.5 %), ≥ 0.
    public var rate: ExactDecimal
    /// Added once per event beyond the free ones; nil is none.
    public var fixedAmount: ExactDecimal?
    /// The first this many events are free (their units too); > 0 when set.
    public var freeUnitsPerEvents: Int?
    /// Units free until their running total passes this; ≥ 0 when set.
    public var freeUnitsPerTotalAggregation: ExactDecimal?
    /// Each transaction's amount is at least this (applied per event).
    public var perTransactionMinAmount: ExactDecimal?
    /// Each transaction's amount is at most this (applied per event); ≥ the minimum.
    public var perTransactionMaxAmount: ExactDecimal?

    public init(
        rate: ExactDecimal, fixedAmount: ExactDecimal? = nil, freeUnitsPerEvents: Int? = nil,
        freeUnitsPerTotalAggregation: ExactDecimal? = nil,
        perTransactionMinAmount: ExactDecimal? = nil, perTransactionMaxAmount: ExactDecimal? = nil
    ) {
        self.rate = rate
        self.fixedAmount = fixedAmount
        self.freeUnitsPerEvents = freeUnitsPerEvents
        self.freeUnitsPerTotalAggregation = freeUnitsPerTotalAggregation
        self.perTransactionMinAmount = perTransactionMinAmount
        self.perTransactionMaxAmount = perTransactionMaxAmount
    }

    /// Whether a per-transaction minimum or maximum applies, so each event is priced on its own.
    public var hasTransactionBounds: Bool {
        perTransactionMinAmount != nil || perTransactionMaxAmount != nil
    }
}

// MARK: - Codable

extension ChargeProperties: Codable {
    private enum CodingKeys: String, CodingKey {
        case model, graduatedRanges, volumeRanges, graduatedPercentageRanges
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // A bare package object: how plans were stored before charge models had a `model` key.
        guard let model = try container.decodeIfPresent(ChargeModel.self, forKey: .model) else {
            self = .package(try PackageProperties(from: decoder))
            return
        }
        switch model {
        case .standard: self = .standard(try StandardProperties(from: decoder))
        case .graduated: self = .graduated(try container.decode([PriceRange].self, forKey: .graduatedRanges))
        case .volume: self = .volume(try container.decode([PriceRange].self, forKey: .volumeRanges))
        case .package: self = .package(try PackageProperties(from: decoder))
        case .percentage: self = .percentage(try PercentageProperties(from: decoder))
        case .graduatedPercentage:
            self = .graduatedPercentage(try container.decode([PercentageRange].self, forKey: .graduatedPercentageRanges))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        switch self {
        case .standard(let properties): try properties.encode(to: encoder)
        case .graduated(let ranges): try container.encode(ranges, forKey: .graduatedRanges)
        case .volume(let ranges): try container.encode(ranges, forKey: .volumeRanges)
        case .package(let properties): try properties.encode(to: encoder)
        case .percentage(let properties): try properties.encode(to: encoder)
        case .graduatedPercentage(let ranges): try container.encode(ranges, forKey: .graduatedPercentageRanges)
        }
    }
}
