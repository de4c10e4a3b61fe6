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
    /// wallets).
    public func balanceCents(scale: Int) -> Int64 {
        WalletLedger.cents(grantedCredits + purchasedCredits, rateAmount: rateAmount, scale: scale)
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
    public static func debits(invoiceTotalCents: Int64, currency: String, wallets: [WalletBalance]) -> [WalletDebit] {
        guard invoiceTotalCents > 0 else { return [] }
        guard let scale = Currency.minorUnitScale(currency: currency) else {
            preconditionFailure("cannot apply wallets to an invoice in unsupported currency \(currency)")
        }
        let ordered = wallets
            .filter { $0.currency == currency }
            .sorted { ($0.priority, $0.createdOrder, $0.walletId) < ($1.priority, $1.createdOrder, $1.walletId) }
        var remaining = invoiceTotalCents
        var debits: [WalletDebit] = []
        for wallet in ordered where remaining > 0 {
            let balance = wallet.balanceCents(scale: scale)
            guard balance > 0 else { continue }
            let debit = debit(of: wallet, cents: min(remaining, balance), balance: balance, scale: scale)
            debits.append(debit)
            remaining -= debit.amountCents
        }
        return debits
    }

    /// Takes `cents` (0 < cents ≤ balance) from `wallet`, granted credits first.
    private static func debit(of wallet: WalletBalance, cents: Int64, balance: Int64, scale: Int) -> WalletDebit {
        let held = wallet.grantedCredits + wallet.purchasedCredits
        let credits = cents == balance ? held : min(held, creditsWorth(cents, rateAmount: wallet.rateAmount, scale: scale))
        let granted = min(wallet.grantedCredits, credits)
        let purchased = credits - granted
        // Granted credits pay first: all of `cents` unless they run out, then their own (half-up) value.
        let grantedCents = purchased == .zero
            ? cents
            : min(cents, WalletLedger.cents(granted, rateAmount: wallet.rateAmount, scale: scale))
        return WalletDebit(
            walletId: wallet.walletId, grantedCredits: granted, purchasedCredits: purchased,
            grantedAmountCents: grantedCents, purchasedAmountCents: cents - grantedCents)
    }

    /// `cents ÷ (rate × 10^scale)`: exact when it terminates, else rounded up at `creditDecimals` decimals.
    private static func creditsWorth(_ cents: Int64, rateAmount: ExactDecimal, scale: Int) -> ExactDecimal {
        let money = ExactDecimal(significand: Int128(cents), scale: scale)
        if let decimals = terminatingDecimals(cents, rateAmount: rateAmount, scale: scale),
           let exact = money.divided(by: rateAmount, scale: decimals, .down) {
            return exact
        }
        guard let rounded = money.divided(by: rateAmount, scale: creditDecimals, .up) else {
            preconditionFailure("\(money) ÷ rate \(rateAmount) does not fit 38 digits")
        }
        return rounded
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

    /// `credits × rate` in minor units of `scale` decimals, rounded half-up.
    static func cents(_ credits: ExactDecimal, rateAmount: ExactDecimal, scale: Int) -> Int64 {
        guard let value = credits.multiplied(by: rateAmount)?.rounded(scale: scale, .halfUp).minorUnits(scale: scale)
        else { preconditionFailure("\(credits) credits × rate \(rateAmount) do not fit in 64-bit minor units") }
        return value
    }
}

extension WalletBalance {
    /// The balance left once `debits` are taken (debits of other wallets leave it as it is).
    public func after(_ debits: [WalletDebit]) -> WalletBalance {
        let taken = debits.filter { $0.walletId == walletId }
        return adding(granted: taken.reduce(.zero) { $0 - $1.grantedCredits },
                      purchased: taken.reduce(.zero) { $0 - $1.purchasedCredits })
    }

    /// The balance once `credits` taken from wallets are given back (those of other wallets leave it as it is).
    public func returning(_ credits: [WalletCredits]) -> WalletBalance {
        let given = credits.filter { $0.walletId == walletId }
        return adding(granted: given.reduce(.zero) { $0 + $1.granted }, purchased: given.reduce(.zero) { $0 + $1.purchased })
    }

    /// The balance with `granted` and `purchased` credits added (negative amounts take them).
    public func adding(granted: ExactDecimal, purchased: ExactDecimal) -> WalletBalance {
        WalletBalance(
            walletId: walletId, priority: priority, createdOrder: createdOrder, currency: currency, rateAmount: rateAmount,
            grantedCredits: grantedCredits + granted, purchasedCredits: purchasedCredits + purchased)
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
