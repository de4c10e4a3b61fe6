/// Everything one catalog file declares: the objects Lago's create calls would receive, decoded and checked.
public struct Catalog: Codable, Equatable, Sendable {
    public var organization: Organization?
    public var billableMetrics: [BillableMetric]
    public var plans: [Plan]
    public var customers: [Customer]
    public var subscriptions: [Subscription]
    public var wallets: [Wallet]
    public var taxes: [Tax]
    public var coupons: [Coupon]
    public var appliedCoupons: [AppliedCoupon]

    public init(
        organization: Organization? = nil,
        billableMetrics: [BillableMetric] = [],
        plans: [Plan] = [],
        customers: [Customer] = [],
        subscriptions: [Subscription] = [],
        wallets: [Wallet] = [],
        taxes: [Tax] = [],
        coupons: [Coupon] = [],
        appliedCoupons: [AppliedCoupon] = []
    ) {
        self.organization = organization
        self.billableMetrics = billableMetrics
        self.plans = plans
        self.customers = customers
        self.subscriptions = subscriptions
        self.wallets = wallets
        self.taxes = taxes
        self.coupons = coupons
        self.appliedCoupons = appliedCoupons
    }
}
