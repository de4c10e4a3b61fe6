/// A coupon applied to a customer as an invoice sees it: its terms (the coupon's, with the
/// applied coupon's overrides) and what is left of it (docs/BILLING.md, coupons).
public struct CouponBalance: Equatable, Sendable {
    /// The applied coupon's store id.
    public let appliedCouponId: Int64
    public let coupon: Coupon
    /// The terms in force: the coupon's, with the applied coupon's overrides.
    public let amountCents: Int64
    public let currency: String?
    public let percentageRate: ExactDecimal
    public let frequency: Coupon.Frequency
    /// A fixed `once` coupon: what is left to discount. Others: nil.
    public var remainingCents: Int64?
    /// A `recurring` coupon: the invoices it may still discount. Others: nil.
    public var remainingInvoices: Int?
    /// A `once` percentage coupon, after its one application.
    public var isUsedUp: Bool

    /// The balance of applied coupon `id` with `applied`'s overrides of `coupon`, after `credits`
    /// (the amounts it already took from live invoices, one per invoice).
    public init(id: Int64, coupon: Coupon, applied: AppliedCoupon, credits: [Int64]) {
        appliedCouponId = id
        self.coupon = coupon
        amountCents = applied.amountCents ?? coupon.amountCents ?? 0
        currency = applied.amountCurrency ?? coupon.amountCurrency
        percentageRate = applied.percentageRate ?? coupon.percentageRate ?? .zero
        frequency = applied.frequency ?? coupon.frequency
        let taken = credits.reduce(Int64(0)) { $0.addingReportingOverflow($1).partialValue }
        switch (frequency, coupon.kind) {
        case (.once, .fixedAmount):
            remainingCents = max(0, amountCents - min(taken, amountCents))
            remainingInvoices = nil
            isUsedUp = remainingCents == 0
        case (.once, .percentage):
            remainingCents = nil
            remainingInvoices = nil
            isUsedUp = !credits.isEmpty
        case (.recurring, _):
            let duration = applied.frequencyDuration ?? coupon.frequencyDuration ?? 1
            remainingCents = nil
            remainingInvoices = max(0, duration - credits.count)
            isUsedUp = remainingInvoices == 0
        case (.forever, _):
            remainingCents = nil
            remainingInvoices = nil
            isUsedUp = false
        }
    }

    /// Lago's order of application: coupons limited to billable metrics, then to plans, then the
    /// others; each group in the order they were applied.
    var rank: (Int, Int64) {
        (coupon.billableMetricCodes != nil ? 0 : coupon.planCodes != nil ? 1 : 2, appliedCouponId)
    }
}

/// What one coupon took from one invoice (Lago's credit, `before_taxes`).
public struct CouponCredit: Equatable, Sendable {
    public let appliedCouponId: Int64
    public let couponCode: String
    public let couponName: String
    public let amountCents: Int64

    public init(appliedCouponId: Int64, couponCode: String, couponName: String, amountCents: Int64) {
        self.appliedCouponId = appliedCouponId
        self.couponCode = couponCode
        self.couponName = couponName
        self.amountCents = amountCents
    }
}

/// Lago's coupons on an invoice (`Credits::AppliedCouponsService`, `AppliedCoupons::AmountService`;
/// docs/BILLING.md, coupons), before taxes.
public enum InvoiceCoupons {
    /// Minor units as an exact decimal.
    static func cents(_ value: Int64) -> ExactDecimal { ExactDecimal(significand: Int128(value), scale: 0) }

    /// A fee as coupons see it: its amount, its subscription's plan and, for a charge, its metric.
    public struct Fee: Sendable {
        public let amountCents: Int64
        public let planCode: String?
        public let metricCode: String?

        public init(amountCents: Int64, planCode: String?, metricCode: String?) {
            self.amountCents = amountCents
            self.planCode = planCode
            self.metricCode = metricCode
        }
    }

    /// The decimals a fee's share of the coupons keeps (Lago's `precise_coupons_amount_cents`).
    public static let shareScale = 5

    /// Applies `coupons` in Lago's order to an invoice of `fees` in `currency`: the credits, each
    /// fee's share of them (minor units, exact to `shareScale` decimals), and the coupons after.
    public static func apply(
        _ fees: [Fee], currency: String, coupons: [CouponBalance]
    ) throws(BillingError) -> (credits: [CouponCredit], shares: [ExactDecimal], after: [CouponBalance]) {
        var shares = Array(repeating: ExactDecimal.zero, count: fees.count)
        var after = coupons
        var credits: [CouponCredit] = []
        let total = try Int64.sum(fees.map(\.amountCents), "the sum of the fees")
        guard total > 0 else { return ([], shares, after) }
        var subTotal = total
        let hundred = ExactDecimal(100)
        for index in after.indices.sorted(by: { after[$0].rank < after[$1].rank }) {
            guard subTotal > 0 else { break }
            let coupon = after[index]
            guard !coupon.isUsedUp else { continue }
            // A fixed amount discounts invoices of its own currency only.
            if coupon.coupon.kind == .fixedAmount, coupon.currency != currency { continue }
            let matching = fees.indices.filter { position in
                if let metrics = coupon.coupon.billableMetricCodes {
                    return fees[position].metricCode.map(metrics.contains) ?? false
                }
                if let plans = coupon.coupon.planCodes { return fees[position].planCode.map(plans.contains) ?? false }
                return true
            }
            guard !matching.isEmpty else { continue }
            // The base: what the matching fees still owe (the invoice's sub-total when not limited).
            var base = ExactDecimal.zero
            if coupon.coupon.billableMetricCodes != nil || coupon.coupon.planCodes != nil {
                for position in matching {
                    guard let owed = cents(fees[position].amountCents).subtracting(shares[position]),
                          let sum = base.adding(owed)
                    else { throw .tooLarge("the base of coupon \(coupon.coupon.code)") }
                    base = sum
                }
            } else {
                base = cents(subTotal)
            }
            guard base > .zero else { continue }
            // The base in whole minor units, when a coupon takes all of it.
            let wholeBase = base.rounded(scale: 0, .down)
            var amount: ExactDecimal
            switch coupon.coupon.kind {
            case .percentage:
                guard let product = base.multiplied(by: coupon.percentageRate),
                      let discount = product.divided(by: hundred, scale: product.scale + 2, .halfAwayFromZero)
                else { throw .tooLarge("coupon \(coupon.coupon.code)") }
                amount = discount >= base ? wholeBase : discount.rounded(scale: 0, .halfAwayFromZero)
            case .fixedAmount:
                let available = cents(coupon.remainingCents ?? coupon.amountCents)
                amount = available > base ? wholeBase : available
            }
            guard let amountCents = amount.int64Value, amountCents >= 0 else { throw .tooLarge("coupon \(coupon.coupon.code)") }
            // Spread over the matching fees in proportion to what each still owes, capped at its amount.
            for position in matching {
                let fee = cents(fees[position].amountCents)
                guard let owed = fee.subtracting(shares[position]), let weighted = amount.multiplied(by: owed),
                      let share = weighted.divided(by: base, scale: shareScale, .halfAwayFromZero),
                      let sum = shares[position].adding(share)
                else { throw .tooLarge("the share of coupon \(coupon.coupon.code)") }
                shares[position] = min(sum, fee)
            }
            credits.append(CouponCredit(appliedCouponId: coupon.appliedCouponId, couponCode: coupon.coupon.code,
                                        couponName: coupon.coupon.name, amountCents: amountCents))
            subTotal -= min(amountCents, subTotal)
            switch (coupon.frequency, coupon.coupon.kind) {
            case (.once, .fixedAmount): after[index].remainingCents = max(0, (coupon.remainingCents ?? 0) - amountCents)
                after[index].isUsedUp = after[index].remainingCents == 0
            case (.once, .percentage): after[index].isUsedUp = true
            case (.recurring, _):
                after[index].remainingInvoices = max(0, (coupon.remainingInvoices ?? 0) - 1)
                after[index].isUsedUp = after[index].remainingInvoices == 0
            case (.forever, _): break
            }
        }
        return (credits, shares, after)
    }
}
