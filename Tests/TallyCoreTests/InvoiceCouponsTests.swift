import Testing
@testable import TallyCore

/// docs/BILLING.md (coupons): Lago's order, amounts, spreading over fees, and what is left of each
/// coupon. Figures computed by hand.
@Suite struct InvoiceCouponsTests {
    private func fee(_ cents: Int64, plan: String = "p", metric: String? = nil) -> InvoiceCoupons.Fee {
        InvoiceCoupons.Fee(amountCents: cents, planCode: plan, metricCode: metric)
    }

    private func balance(
        _ id: Int64, _ kind: Coupon.Kind, amount: Int64? = nil, rate: String? = nil, frequency: Coupon.Frequency = .once,
        duration: Int? = nil, currency: String = "USD", plans: [String]? = nil, metrics: [String]? = nil, credits: [Int64] = []
    ) -> CouponBalance {
        let coupon = Coupon(code: "c\(id)", name: "Coupon \(id)", kind: kind, amountCents: amount,
                            amountCurrency: kind == .fixedAmount ? currency : nil,
                            percentageRate: rate.flatMap(ExactDecimal.init(decimalString:)), frequency: frequency,
                            frequencyDuration: duration, planCodes: plans, billableMetricCodes: metrics)
        return CouponBalance(id: id, coupon: coupon, applied: AppliedCoupon(externalCustomerId: "x", couponCode: coupon.code),
                             credits: credits)
    }

    private func cents(_ text: String) -> ExactDecimal { ExactDecimal(decimalString: text)! }

    @Test func aFixedCouponLargerThanTheInvoiceCarriesItsRemainder() throws {
        let coupon = balance(1, .fixedAmount, amount: 5_000)
        let first = try InvoiceCoupons.apply([fee(1_000), fee(2_000)], currency: "USD", coupons: [coupon])
        #expect(first.credits.map(\.amountCents) == [3_000])
        #expect(first.shares == [cents("1000"), cents("2000")])
        #expect(first.after[0].remainingCents == 2_000 && !first.after[0].isUsedUp)
        let second = try InvoiceCoupons.apply([fee(4_000)], currency: "USD", coupons: first.after)
        #expect(second.credits.map(\.amountCents) == [2_000])
        #expect(second.after[0].isUsedUp)
        #expect(try InvoiceCoupons.apply([fee(4_000)], currency: "USD", coupons: second.after).credits.isEmpty)
        // The same state, counted from the credits stored for live invoices.
        #expect(balance(1, .fixedAmount, amount: 5_000, credits: [3_000]).remainingCents == 2_000)
    }

    @Test func aPercentageCouponIsSpreadOverTheFeesBeforeTaxes() throws {
        let vat = Tax(code: "vat", name: "VAT", rate: ExactDecimal(20))
        let result = try InvoiceCoupons.apply([fee(1_000), fee(333)], currency: "USD", coupons: [balance(1, .percentage, rate: "10")])
        // 10 % of 1333 = 133.3 → 133, spread 1000 : 333 at 5 decimals.
        #expect(result.credits.map(\.amountCents) == [133])
        #expect(result.shares == [cents("99.77494"), cents("33.22506")])
        #expect(result.after[0].isUsedUp)
        // VAT on 900.22506 and 299.77494: 180.045012 + 59.954988 = 240 exactly.
        let first = try #require(cents("1000").subtracting(result.shares[0]))
        let second = try #require(cents("333").subtracting(result.shares[1]))
        let taxes = try InvoiceTaxes.apply([(first, [vat]), (second, [vat])])
        #expect(taxes.fees.map(\.amountCents) == [180, 60])
        #expect(taxes.amountCents == 240)
    }

    @Test func couponsLimitedToMetricsComeFirstThenPlansThenTheOthers() throws {
        let unlimited = balance(1, .fixedAmount, amount: 100)
        let metric = balance(2, .percentage, rate: "50", metrics: ["m"])
        let plan = balance(3, .fixedAmount, amount: 1_000, plans: ["other"])
        let result = try InvoiceCoupons.apply([fee(400, metric: "m"), fee(600)], currency: "USD", coupons: [unlimited, metric, plan])
        // The metric's coupon: 50 % of 400 = 200. The plan coupon matches no fee. The unlimited one:
        // 100 of the 800 left, spread 200 : 600.
        #expect(result.credits.map(\.appliedCouponId) == [2, 1])
        #expect(result.credits.map(\.amountCents) == [200, 100])
        #expect(result.shares == [cents("225"), cents("75")])
        #expect(result.after[2].remainingCents == 1_000)
    }

    @Test func recurringCouponsRunOutForeverOnesDoNot() throws {
        var recurring = [balance(1, .fixedAmount, amount: 500, frequency: .recurring, duration: 2)]
        var taken: [Int64] = []
        for _ in 0..<3 {
            let result = try InvoiceCoupons.apply([fee(1_000)], currency: "USD", coupons: recurring)
            taken += result.credits.map(\.amountCents)
            recurring = result.after
        }
        #expect(taken == [500, 500])
        #expect(balance(1, .fixedAmount, amount: 500, frequency: .recurring, duration: 2, credits: [500, 500]).isUsedUp)
        let forever = balance(2, .fixedAmount, amount: 300, frequency: .forever, credits: [300, 300, 300])
        #expect(try InvoiceCoupons.apply([fee(1_000)], currency: "USD", coupons: [forever]).credits.map(\.amountCents) == [300])
    }

    @Test func aFixedCouponDiscountsItsOwnCurrencyOnlyAndNothingWithoutFees() throws {
        let euros = balance(1, .fixedAmount, amount: 100, currency: "EUR")
        #expect(try InvoiceCoupons.apply([fee(1_000)], currency: "USD", coupons: [euros]).credits.isEmpty)
        #expect(try InvoiceCoupons.apply([fee(0)], currency: "EUR", coupons: [euros]).credits.isEmpty)
        // A percentage of 100 % or more takes the whole base.
        #expect(try InvoiceCoupons.apply([fee(999)], currency: "USD", coupons: [balance(2, .percentage, rate: "150")])
            .credits.map(\.amountCents) == [999])
    }
}
