/// A wallet's credits as stored, ready to be applied to an invoice.
public struct WalletBalance: Equatable, Sendable {
    public let walletId: Int64
    /// 1 is used first (docs/BILLING.md, wallets).
    public let priority: Int
    /// Creation order among the customer's wallets: breaks ties in `priority`, oldest first.
    public let createdOrder: Int64
    public let currency: String
    /// The value of one credit in `currency` (major unit), > 0.
    public let rateAmount: ExactDecimal
    public let grantedCredits: ExactDecimal
    public let purchasedCredits: ExactDecimal
    /// Its `expiration_at`: it pays no invoice of a period ending at or after it.
    public var expirationAt: UTCInstant?
    /// Its threshold top-up rule, if any.
    public var thresholdTopUp: Wallet.ThresholdTopUp?

    public init(
        walletId: Int64, priority: Int, createdOrder: Int64, currency: String, rateAmount: ExactDecimal,
        grantedCredits: ExactDecimal, purchasedCredits: ExactDecimal
    ) {
        self.walletId = walletId
        self.priority = priority
        self.createdOrder = createdOrder
        self.currency = currency
        self.rateAmount = rateAmount
        self.grantedCredits = grantedCredits
        self.purchasedCredits = purchasedCredits
    }

    /// All credits × `rateAmount` in minor units of `scale` decimals, rounded half-up (docs/BILLING.md,
    /// wallets); nil when that does not fit 64-bit minor units.
    public func balanceCents(scale: Int) -> Int64? {
        grantedCredits.adding(purchasedCredits).flatMap { WalletLedger.cents($0, rateAmount: rateAmount, scale: scale) }
    }
}

/// Credits taken from one wallet for one invoice: an outbound wallet transaction.
public struct WalletDebit: Equatable, Sendable {
    public let walletId: Int64
    public let grantedCredits: ExactDecimal
    public let purchasedCredits: ExactDecimal
    public let grantedAmountCents: Int64
    public let purchasedAmountCents: Int64

    public init(
        walletId: Int64, grantedCredits: ExactDecimal, purchasedCredits: ExactDecimal,
        grantedAmountCents: Int64, purchasedAmountCents: Int64
    ) {
        self.walletId = walletId
        self.grantedCredits = grantedCredits
        self.purchasedCredits = purchasedCredits
        self.grantedAmountCents = grantedAmountCents
        self.purchasedAmountCents = purchasedAmountCents
    }

    public var amountCents: Int64 { grantedAmountCents + purchasedAmountCents }
}

/// Applies prepaid credits to an invoice (docs/BILLING.md, wallets).
///
/// Credits applied = min(the balance of the wallets in the invoice's currency, the invoice total), taken
/// wallet by wallet by `priority` then creation order, and within a wallet granted credits before purchased.
///
/// Credits consumed for `c` minor units are `c ÷ (rate × 10^scale)`. When that quotient terminates it is
/// exact, so the wallet's balance afterwards is exactly its balance before minus `c`. When it does not
/// (rate 3: 1.00 = 0.333… credits) it is rounded up at `creditDecimals` decimals: the credits consumed are
/// never worth less than the money they paid, by at most 10^-12 credits. A wallet never goes negative:
/// a debit never takes more credits than a wallet holds, and a debit of a wallet's whole balance takes all
/// its credits, even where half-up rounding made that balance worth up to half a minor unit more.
public enum WalletLedger {
    /// Decimals of the credits consumed when `cents ÷ (rate × 10^scale)` does not terminate.
    public static let creditDecimals = 12

    /// The outbound debits, one per wallet used, in the order they apply; none for a total ≤ 0.
    /// Throws when the currency is not supported or a wallet's figures have no exact value.
    public static func debits(invoiceTotalCents: Int64, currency: String, wallets: [WalletBalance]) throws(BillingError) -> [WalletDebit] {
        guard invoiceTotalCents > 0 else { return [] }
        guard let scale = Currency.minorUnitScale(currency: currency) else { throw .unsupportedCurrency(currency) }
        let ordered = wallets
            .filter { $0.currency == currency }
            .sorted { ($0.priority, $0.createdOrder, $0.walletId) < ($1.priority, $1.createdOrder, $1.walletId) }
        var remaining = invoiceTotalCents
        var debits: [WalletDebit] = []
        for wallet in ordered where remaining > 0 {
            guard let balance = wallet.balanceCents(scale: scale) else {
                throw .tooLarge("the balance of wallet \(wallet.walletId) (\(wallet.grantedCredits) + \(wallet.purchasedCredits) credits × \(wallet.rateAmount))")
            }
            guard balance > 0 else { continue }
            let debit = try debit(of: wallet, cents: min(remaining, balance), balance: balance, scale: scale)
            debits.append(debit)
            remaining -= debit.amountCents
        }
        return debits
    }

    /// Takes `cents` (0 < cents ≤ balance) from `wallet`, granted credits first.
    private static func debit(of wallet: WalletBalance, cents: Int64, balance: Int64, scale: Int) throws(BillingError) -> WalletDebit {
        guard let held = wallet.grantedCredits.adding(wallet.purchasedCredits) else {
            throw .tooLarge("\(wallet.grantedCredits) + \(wallet.purchasedCredits) credits")
        }
        let credits: ExactDecimal
        if cents == balance {
            credits = held
        } else {
            guard let worth = creditsWorth(cents, rateAmount: wallet.rateAmount, scale: scale) else {
                throw .tooLarge("\(cents) minor units ÷ rate \(wallet.rateAmount)")
            }
            credits = min(held, worth)
        }
        let granted = min(wallet.grantedCredits, credits)
        guard let purchased = credits.subtracting(granted) else { throw .tooLarge("\(credits) − \(granted) credits") }
        // Granted credits pay first: all of `cents` unless they run out, then their own (half-up) value.
        let grantedCents: Int64
        if purchased == .zero {
            grantedCents = cents
        } else {
            guard let worth = WalletLedger.cents(granted, rateAmount: wallet.rateAmount, scale: scale) else {
                throw .tooLarge("\(granted) credits × rate \(wallet.rateAmount)")
            }
            grantedCents = min(cents, worth)
        }
        return WalletDebit(
            walletId: wallet.walletId, grantedCredits: granted, purchasedCredits: purchased,
            grantedAmountCents: grantedCents, purchasedAmountCents: cents - grantedCents)
    }

    /// `cents ÷ (rate × 10^scale)`: exact when it terminates, else rounded up at `creditDecimals`
    /// decimals; nil when that does not fit 38 digits.
    private static func creditsWorth(_ cents: Int64, rateAmount: ExactDecimal, scale: Int) -> ExactDecimal? {
        let money = ExactDecimal(significand: Int128(cents), scale: scale)
        if let decimals = terminatingDecimals(cents, rateAmount: rateAmount, scale: scale),
           let exact = money.divided(by: rateAmount, scale: decimals, .down) {
            return exact
        }
        return money.divided(by: rateAmount, scale: creditDecimals, .up)
    }

    /// How many decimals `cents ÷ (rate × 10^scale)` has, or nil when it does not terminate.
    ///
    /// With the rate's significand `r = r′ × 2^a × 5^b` (r′ prime to 10), the quotient is
    /// `(cents ÷ r′) × 10^(rate.scale − scale) ÷ (2^a × 5^b)`: it terminates exactly when r′ divides
    /// `cents`, and then needs at most `scale + max(a, b) − rate.scale` decimals.
    private static func terminatingDecimals(_ cents: Int64, rateAmount: ExactDecimal, scale: Int) -> Int? {
        var rest = rateAmount.significand.magnitude
        guard rest != 0 else { return nil }  // a rate of 0 has no balance to debit; don't loop on it
        var twos = 0
        var fives = 0
        while rest % 2 == 0 { rest /= 2; twos += 1 }
        while rest % 5 == 0 { rest /= 5; fives += 1 }
        guard UInt128(cents.magnitude) % rest == 0 else { return nil }
        let decimals = max(0, scale + max(twos, fives) - rateAmount.scale)
        return decimals <= ExactDecimal.maxDigits ? decimals : nil
    }

    /// `credits × rate` in minor units of `scale` decimals, rounded half-up; nil when it does not
    /// fit 64-bit minor units.
    public static func cents(_ credits: ExactDecimal, rateAmount: ExactDecimal, scale: Int) -> Int64? {
        credits.multiplied(by: rateAmount)?.rounded(scale: scale, .halfUp).minorUnits(scale: scale)
    }
}

extension WalletBalance {
    /// The balance left once `debits` are taken (debits of other wallets leave it as it is).
    public func after(_ debits: [WalletDebit]) throws(BillingError) -> WalletBalance {
        var balance = self
        for debit in debits where debit.walletId == walletId {
            balance = try balance.adding(granted: -debit.grantedCredits, purchased: -debit.purchasedCredits)
        }
        return balance
    }

    /// The balance once `credits` taken from wallets are given back (those of other wallets leave it as it is).
    public func returning(_ credits: [WalletCredits]) throws(BillingError) -> WalletBalance {
        var balance = self
        for given in credits where given.walletId == walletId {
            balance = try balance.adding(granted: given.granted, purchased: given.purchased)
        }
        return balance
    }

    /// The balance with `granted` and `purchased` credits added (negative amounts take them).
    public func adding(granted: ExactDecimal, purchased: ExactDecimal) throws(BillingError) -> WalletBalance {
        guard let newGranted = grantedCredits.adding(granted), let newPurchased = purchasedCredits.adding(purchased) else {
            throw .tooLarge("the credits of wallet \(walletId)")
        }
        var balance = WalletBalance(
            walletId: walletId, priority: priority, createdOrder: createdOrder, currency: currency, rateAmount: rateAmount,
            grantedCredits: newGranted, purchasedCredits: newPurchased)
        balance.expirationAt = expirationAt
        balance.thresholdTopUp = thresholdTopUp
        return balance
    }
}

/// The credits an invoice took from one wallet, net of any returned: what voiding it gives back.
public struct WalletCredits: Equatable, Sendable {
    public let walletId: Int64
    public let granted: ExactDecimal
    public let purchased: ExactDecimal

    public init(walletId: Int64, granted: ExactDecimal, purchased: ExactDecimal) {
        self.walletId = walletId
        self.granted = granted
        self.purchased = purchased
    }
}
