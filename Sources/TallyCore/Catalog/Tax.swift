/// A tax of the organization (Lago's tax object): a rate applied to fees (docs/BILLING.md, taxes).
public struct Tax: Codable, Equatable, Sendable {
    public var code: String
    public var name: String
    /// A percentage: 20 is 20 %.
    public var rate: ExactDecimal
    public var description: String?
    /// Lago's `applied_to_organization`: the default tax of every fee whose charge, plan and
    /// customer name none.
    public var appliedToOrganization: Bool

    public init(code: String, name: String, rate: ExactDecimal, description: String? = nil, appliedToOrganization: Bool = false) {
        self.code = code
        self.name = name
        self.rate = rate
        self.description = description
        self.appliedToOrganization = appliedToOrganization
    }
}

extension Tax {
    /// `base × rate ÷ 100`, exact; nil beyond 38 digits.
    public func preciseAmount(on base: ExactDecimal) -> ExactDecimal? {
        guard let product = base.multiplied(by: rate) else { return nil }
        return product.divided(by: ExactDecimal(100), scale: product.scale + 2, .halfAwayFromZero)
    }
}

extension CatalogDecoder {
    static func decodeTax(_ reader: inout CatalogObjectReader) -> Tax? {
        let code = reader.requiredString("code")
        let name = reader.requiredString("name")
        let rate = reader.decimal("rate", .nonNegative, limit: BillingLimits.taxRate)
        let description = reader.optionalString("description")
        let applied = reader.bool("applied_to_organization", default: false)
        reader.apply(.tax)
        guard let code, let name, let rate, let applied else { return nil }
        return Tax(code: code, name: name, rate: rate, description: description, appliedToOrganization: applied)
    }
}

extension CatalogObjectReader {
    /// Lago's `tax_codes` of a customer, plan, charge or commitment: distinct codes; absent, null and
    /// `[]` are none (nil).
    mutating func taxCodes() -> OptionalField<[String]> {
        let key = "tax_codes"
        guard let value = object[key], value != .null else {
            skip(key)
            return .absent
        }
        skip(key)
        if case .array(let elements) = value, elements.isEmpty { return .absent }
        guard let codes = CatalogDecoder.stringList(value, path: path(of: key), log: log) else { return .invalid }
        return .present(codes)
    }
}
