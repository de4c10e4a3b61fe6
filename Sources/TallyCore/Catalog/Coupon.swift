/// A coupon of the organization (Lago's coupon object): a discount applied to invoices before
/// taxes, once applied to a customer (`AppliedCoupon`; docs/BILLING.md, coupons).
public struct Coupon: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Equatable, Sendable, CaseIterable {
        case fixedAmount = "fixed_amount"
        case percentage
    }

    public enum Frequency: String, Codable, Equatable, Sendable, CaseIterable {
        /// One application: a percentage once, a fixed amount until it is used up.
        case once
        /// `frequencyDuration` invoices.
        case recurring
        /// Every invoice.
        case forever
    }

    public var code: String
    public var name: String
    public var description: String?
    public var kind: Kind
    /// A fixed coupon's amount, in `amountCurrency`'s minor unit.
    public var amountCents: Int64?
    public var amountCurrency: String?
    /// A percentage coupon's rate: 10 is 10 %.
    public var percentageRate: ExactDecimal?
    public var frequency: Frequency
    /// A recurring coupon's number of invoices.
    public var frequencyDuration: Int?
    /// Lago's `expiration_at`: the coupon cannot be applied to a customer after it.
    public var expirationAt: UTCInstant?
    /// Lago's `applies_to`: only the fees of these plans, or only the charges of these metrics.
    public var planCodes: [String]?
    public var billableMetricCodes: [String]?

    public init(
        code: String, name: String, description: String? = nil, kind: Kind, amountCents: Int64? = nil,
        amountCurrency: String? = nil, percentageRate: ExactDecimal? = nil, frequency: Frequency = .once,
        frequencyDuration: Int? = nil, expirationAt: UTCInstant? = nil, planCodes: [String]? = nil,
        billableMetricCodes: [String]? = nil
    ) {
        self.code = code
        self.name = name
        self.description = description
        self.kind = kind
        self.amountCents = amountCents
        self.amountCurrency = amountCurrency
        self.percentageRate = percentageRate
        self.frequency = frequency
        self.frequencyDuration = frequencyDuration
        self.expirationAt = expirationAt
        self.planCodes = planCodes
        self.billableMetricCodes = billableMetricCodes
    }
}

/// A coupon applied to a customer (Lago's applied coupon), with Lago's optional overrides of its
/// amount, rate and frequency.
public struct AppliedCoupon: Codable, Equatable, Sendable {
    public var externalCustomerId: String
    public var couponCode: String
    public var amountCents: Int64?
    public var amountCurrency: String?
    public var percentageRate: ExactDecimal?
    public var frequency: Coupon.Frequency?
    public var frequencyDuration: Int?

    public init(
        externalCustomerId: String, couponCode: String, amountCents: Int64? = nil, amountCurrency: String? = nil,
        percentageRate: ExactDecimal? = nil, frequency: Coupon.Frequency? = nil, frequencyDuration: Int? = nil
    ) {
        self.externalCustomerId = externalCustomerId
        self.couponCode = couponCode
        self.amountCents = amountCents
        self.amountCurrency = amountCurrency
        self.percentageRate = percentageRate
        self.frequency = frequency
        self.frequencyDuration = frequencyDuration
    }
}

extension CatalogDecoder {
    static func decodeCoupon(_ reader: inout CatalogObjectReader) -> Coupon? {
        let code = reader.requiredString("code")
        let name = reader.requiredString("name")
        let description = reader.optionalString("description")
        let kind = reader.choice("coupon_type", of: Coupon.Kind.self)
        let terms = decodeCouponTerms(&reader, kind: kind, required: true)
        let expiration = reader.has("expiration") ? reader.choice("expiration", of: CouponExpiration.self) : CouponExpiration.noExpiration
        let expirationAt = reader.instant("expiration_at")
        if expiration == .timeLimit, expirationAt == nil, !reader.has("expiration_at") {
            reader.fail("expiration_at", "is required when expiration is time_limit")
        }
        if expiration == .noExpiration, expirationAt != nil {
            reader.fail("expiration_at", "applies with expiration time_limit only")
        }
        var planCodes: [String]?
        var metricCodes: [String]?
        _ = reader.nested("applies_to", required: false) { inner -> Bool? in
            for (key, target) in [("plan_codes", 0), ("billable_metric_codes", 1)] {
                guard let value = inner.object[key], value != .null else {
                    inner.skip(key)
                    continue
                }
                inner.skip(key)
                if case .array(let elements) = value, elements.isEmpty { continue }
                let codes = CatalogDecoder.stringList(value, path: inner.path(of: key), log: inner.log)
                if target == 0 { planCodes = codes } else { metricCodes = codes }
            }
            return true
        }
        if planCodes != nil, metricCodes != nil {
            reader.fail("applies_to", "limits a coupon to plans or to billable metrics, not both (as Lago)")
        }
        reader.skip("reusable")
        reader.apply(.coupon)
        guard let code, let name, let kind, let terms, let expiration else { return nil }
        return Coupon(code: code, name: name, description: description, kind: kind, amountCents: terms.amountCents,
                      amountCurrency: terms.amountCurrency, percentageRate: terms.percentageRate,
                      frequency: terms.frequency ?? .once, frequencyDuration: terms.frequencyDuration,
                      expirationAt: expiration == .timeLimit ? expirationAt : nil, planCodes: planCodes,
                      billableMetricCodes: metricCodes)
    }

    static func decodeAppliedCoupon(_ reader: inout CatalogObjectReader) -> AppliedCoupon? {
        let customer = reader.requiredString("external_customer_id")
        let code = reader.requiredString("coupon_code")
        let terms = decodeCouponTerms(&reader, kind: nil, required: false)
        reader.apply(.appliedCoupon)
        guard let customer, let code, let terms else { return nil }
        return AppliedCoupon(externalCustomerId: customer, couponCode: code, amountCents: terms.amountCents,
                             amountCurrency: terms.amountCurrency, percentageRate: terms.percentageRate,
                             frequency: terms.frequency, frequencyDuration: terms.frequencyDuration)
    }

    /// The amount, rate and frequency of a coupon (`required`: as its `kind` needs them) or of an
    /// applied coupon's overrides (each optional). Nil when one is invalid.
    private static func decodeCouponTerms(
        _ reader: inout CatalogObjectReader, kind: Coupon.Kind?, required: Bool
    ) -> (amountCents: Int64?, amountCurrency: String?, percentageRate: ExactDecimal?, frequency: Coupon.Frequency?,
          frequencyDuration: Int?)? {
        var valid = true
        var amountCents: Int64?
        var percentageRate: ExactDecimal?
        if let value = reader.object["amount_cents"], value != .null {
            amountCents = reader.integer("amount_cents", in: BillingLimits.planAmountCents)
            if amountCents == nil { valid = false }
        } else {
            reader.skip("amount_cents")
        }
        let amountCurrency = reader.currency("amount_currency", required: false)
        let rate = reader.optionalDecimal("percentage_rate", .nonNegative, limit: BillingLimits.taxRate)
        if rate.isInvalid { valid = false }
        percentageRate = rate.value
        var frequency: Coupon.Frequency?
        if let value = reader.object["frequency"], value != .null {
            frequency = reader.choice("frequency", of: Coupon.Frequency.self)
            if frequency == nil { valid = false }
        } else {
            reader.skip("frequency")
        }
        var frequencyDuration: Int?
        if let value = reader.object["frequency_duration"], value != .null {
            frequencyDuration = reader.integer("frequency_duration", in: 1...10_000).map { Int($0) }
            if frequencyDuration == nil { valid = false }
        } else {
            reader.skip("frequency_duration")
        }
        if required {
            switch kind {
            case .fixedAmount?:
                if amountCents == nil, !reader.has("amount_cents") { reader.fail("amount_cents", "is required for a fixed_amount coupon"); valid = false }
                if amountCurrency == nil, !reader.has("amount_currency") { reader.fail("amount_currency", "is required for a fixed_amount coupon"); valid = false }
            case .percentage?:
                if percentageRate == nil, !reader.has("percentage_rate") { reader.fail("percentage_rate", "is required for a percentage coupon"); valid = false }
            case nil:
                break
            }
            if (frequency ?? .once) == .recurring, frequencyDuration == nil, !reader.has("frequency_duration") {
                reader.fail("frequency_duration", "is required for a recurring coupon")
                valid = false
            }
        }
        if amountCurrency == nil, reader.has("amount_currency"), reader.object["amount_currency"] != .null { valid = false }
        return valid ? (amountCents, amountCurrency, percentageRate, frequency, frequencyDuration) : nil
    }
}

/// Lago's coupon `expiration`.
enum CouponExpiration: String, CaseIterable {
    case noExpiration = "no_expiration"
    case timeLimit = "time_limit"
}
