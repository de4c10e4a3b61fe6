/// A customer's prepaid credits, identified within the customer by its name.
public struct Wallet: Codable, Equatable, Sendable {
    public var externalCustomerId: String
    public var name: String
    public var currency: String
    /// The value of one credit in `currency` (major unit), > 0.
    public var rateAmount: ExactDecimal
    /// Purchased credits granted when the wallet is created, ≥ 0.
    public var paidCredits: ExactDecimal
    /// Free credits granted when the wallet is created, ≥ 0.
    public var grantedCredits: ExactDecimal
    /// Order of use across a customer's wallets: 1 first, 50 last.
    public var priority: Int
    /// Lago's `expiration_at`: from then on the wallet pays nothing (docs/BILLING.md, wallets).
    public var expirationAt: UTCInstant?
    /// Lago's threshold rule of `recurring_transaction_rules`: when an invoice leaves the wallet at
    /// or below `thresholdCredits`, `grantedCredits` are added.
    public var thresholdTopUp: ThresholdTopUp?

    public struct ThresholdTopUp: Codable, Equatable, Sendable {
        public var thresholdCredits: ExactDecimal
        public var grantedCredits: ExactDecimal

        public init(thresholdCredits: ExactDecimal, grantedCredits: ExactDecimal) {
            self.thresholdCredits = thresholdCredits
            self.grantedCredits = grantedCredits
        }
    }

    public static let priorities: ClosedRange<Int> = 1...50
    public static let defaultPriority = 50

    public init(
        externalCustomerId: String,
        name: String,
        currency: String,
        rateAmount: ExactDecimal,
        paidCredits: ExactDecimal = .zero,
        grantedCredits: ExactDecimal = .zero,
        priority: Int = Wallet.defaultPriority,
        expirationAt: UTCInstant? = nil,
        thresholdTopUp: ThresholdTopUp? = nil
    ) {
        self.expirationAt = expirationAt
        self.thresholdTopUp = thresholdTopUp
        self.externalCustomerId = externalCustomerId
        self.name = name
        self.currency = currency
        self.rateAmount = rateAmount
        self.paidCredits = paidCredits
        self.grantedCredits = grantedCredits
        self.priority = priority
    }
}
