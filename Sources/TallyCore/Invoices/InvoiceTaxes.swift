/// One tax as applied to a fee or to a whole invoice (Lago's `applied_taxes`).
public struct AppliedTax: Equatable, Sendable {
    public let tax: Tax
    /// What the tax applies to, in minor units, exact: a fee's amount after its share of the coupons
    /// (Lago's `sub_total_excluding_taxes_amount_cents`); on an invoice, the sum over the fees it taxes.
    public let baseAmount: ExactDecimal
    /// `baseAmount × rate ÷ 100`, exact.
    public let preciseAmount: ExactDecimal
    /// `preciseAmount` rounded half away from zero to a minor unit.
    public let amountCents: Int64

    public init(tax: Tax, baseAmount: ExactDecimal, preciseAmount: ExactDecimal, amountCents: Int64) {
        self.tax = tax
        self.baseAmount = baseAmount
        self.preciseAmount = preciseAmount
        self.amountCents = amountCents
    }
}

/// The taxes of one fee: each tax applied, and their sum rounded once.
public struct FeeTaxes: Equatable, Sendable {
    public let applied: [AppliedTax]
    /// Σ of the rates (Lago's `taxes_rate`).
    public let rate: ExactDecimal
    /// Σ of the exact amounts (Lago's `taxes_precise_amount_cents`).
    public let preciseAmount: ExactDecimal
    /// `preciseAmount` rounded half away from zero (Lago's `taxes_amount_cents`).
    public let amountCents: Int64

    public static let none = FeeTaxes(applied: [], rate: .zero, preciseAmount: .zero, amountCents: 0)

    public init(applied: [AppliedTax], rate: ExactDecimal, preciseAmount: ExactDecimal, amountCents: Int64) {
        self.applied = applied
        self.rate = rate
        self.preciseAmount = preciseAmount
        self.amountCents = amountCents
    }
}

/// Lago's taxes on an invoice (`Fees::ApplyTaxesService`, `Invoices::ApplyTaxesService`;
/// docs/BILLING.md, taxes): each fee is taxed on its amount after coupons, each tax exactly, and
/// rounded once per fee (the sum of its taxes) and once per invoice (each tax over its fees, and
/// the sum of all of them).
public enum InvoiceTaxes {
    /// The taxes of fees whose amounts after coupons are `bases` (minor units), each with its
    /// `taxes`; the invoice's applied taxes in code order, and its taxes amount.
    public static func apply(
        _ fees: [(base: ExactDecimal, taxes: [Tax])]
    ) throws(BillingError) -> (fees: [FeeTaxes], invoice: [AppliedTax], amountCents: Int64) {
        var feeTaxes: [FeeTaxes] = []
        var perTax: [String: (tax: Tax, base: ExactDecimal, precise: ExactDecimal)] = [:]
        for fee in fees {
            var applied: [AppliedTax] = []
            var rate = ExactDecimal.zero
            var precise = ExactDecimal.zero
            for tax in fee.taxes {
                guard let amount = tax.preciseAmount(on: fee.base),
                      let cents = amount.rounded(scale: 0, .halfAwayFromZero).int64Value,
                      let rates = rate.adding(tax.rate), let sum = precise.adding(amount)
                else { throw .tooLarge("tax \(tax.code) on a fee of \(fee.base)") }
                applied.append(AppliedTax(tax: tax, baseAmount: fee.base, preciseAmount: amount, amountCents: cents))
                rate = rates
                precise = sum
                let known = perTax[tax.code] ?? (tax, .zero, .zero)
                guard let base = known.base.adding(fee.base), let total = known.precise.adding(amount) else {
                    throw .tooLarge("tax \(tax.code) on the invoice")
                }
                perTax[tax.code] = (tax, base, total)
            }
            guard let cents = precise.rounded(scale: 0, .halfAwayFromZero).int64Value else { throw .tooLarge("the taxes of a fee") }
            feeTaxes.append(FeeTaxes(applied: applied, rate: rate, preciseAmount: precise, amountCents: cents))
        }
        var invoice: [AppliedTax] = []
        var total = ExactDecimal.zero
        for (_, entry) in perTax.sorted(by: { $0.key < $1.key }) {
            guard let cents = entry.precise.rounded(scale: 0, .halfAwayFromZero).int64Value, let sum = total.adding(entry.precise) else {
                throw .tooLarge("tax \(entry.tax.code) on the invoice")
            }
            invoice.append(AppliedTax(tax: entry.tax, baseAmount: entry.base, preciseAmount: entry.precise, amountCents: cents))
            total = sum
        }
        guard let cents = total.rounded(scale: 0, .halfAwayFromZero).int64Value else { throw .tooLarge("the taxes of the invoice") }
        return (feeTaxes, invoice, cents)
    }
}

extension AppliedTax {
    /// As the store keeps it (`fees.applied_taxes`, `invoices.applied_taxes`): the tax as applied,
    /// so that a later change of the tax does not change an issued invoice.
    public var json: JSONValue {
        .object(JSONObject([
            ("code", .string(tax.code)), ("name", .string(tax.name)), ("rate", .string(tax.rate.description)),
            ("description", tax.description.map(JSONValue.string) ?? .null),
            ("base_amount", .string(baseAmount.description)), ("precise_amount", .string(preciseAmount.description)),
            ("amount_cents", .number(String(amountCents))),
        ]))
    }

    /// Reads `json` back; nil when it is not as `json` writes it.
    public init?(json: JSONValue) {
        guard case .object(let object) = json,
              let code = object["code"]?.stringValue, let name = object["name"]?.stringValue,
              let rate = object["rate"]?.stringValue.flatMap(ExactDecimal.init(decimalString:)),
              let base = object["base_amount"]?.stringValue.flatMap(ExactDecimal.init(decimalString:)),
              let precise = object["precise_amount"]?.stringValue.flatMap(ExactDecimal.init(decimalString:)),
              case .number(let centsText)? = object["amount_cents"], let cents = Int64(centsText)
        else { return nil }
        self.init(tax: Tax(code: code, name: name, rate: rate, description: object["description"]?.stringValue),
                  baseAmount: base, preciseAmount: precise, amountCents: cents)
    }

    /// A list of applied taxes as the store keeps it; nil for none.
    public static func json(_ taxes: [AppliedTax]) -> String? {
        taxes.isEmpty ? nil : JSONValue.array(taxes.map(\.json)).serialized
    }

    /// Reads a stored list back; nil when it is not as `json(_:)` writes it.
    public static func list(json text: String?) -> [AppliedTax]? {
        guard let text else { return [] }
        guard case .array(let elements)? = try? JSONParser.parse(text) else { return nil }
        let taxes = elements.compactMap(AppliedTax.init(json:))
        return taxes.count == elements.count ? taxes : nil
    }
}
