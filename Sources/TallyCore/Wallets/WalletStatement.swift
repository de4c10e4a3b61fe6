/// One wallet as stored: its settings and every movement of its credits, oldest first.
public struct WalletHistory: Equatable, Sendable {
    /// One wallet transaction, in Lago's vocabulary.
    public struct Transaction: Equatable, Sendable {
        /// Lago's `transaction_type`: inbound adds credits, outbound takes them.
        public enum TransactionType: String, Sendable { case inbound, outbound }

        public let createdAt: UTCInstant
        public let transactionType: TransactionType
        public let grantedCredits: ExactDecimal
        public let purchasedCredits: ExactDecimal
        /// Why, in words: "applied to invoice MIS-001-001", "granted credits topped up".
        public let reason: String
        /// The number of the invoice it pays, or of the voided invoice it returns credits of.
        public let invoiceNumber: String?

        public init(
            createdAt: UTCInstant, transactionType: TransactionType, grantedCredits: ExactDecimal, purchasedCredits: ExactDecimal,
            reason: String, invoiceNumber: String?
        ) {
            self.createdAt = createdAt
            self.transactionType = transactionType
            self.grantedCredits = grantedCredits
            self.purchasedCredits = purchasedCredits
            self.reason = reason
            self.invoiceNumber = invoiceNumber
        }
    }

    public let walletId: Int64
    public let name: String
    public let currency: String
    /// The value of one credit in `currency` (major unit).
    public let rateAmount: ExactDecimal
    public let priority: Int
    public let createdAt: UTCInstant
    /// In the order they were recorded.
    public let transactions: [Transaction]

    public init(
        walletId: Int64, name: String, currency: String, rateAmount: ExactDecimal, priority: Int, createdAt: UTCInstant,
        transactions: [Transaction]
    ) {
        self.walletId = walletId
        self.name = name
        self.currency = currency
        self.rateAmount = rateAmount
        self.priority = priority
        self.createdAt = createdAt
        self.transactions = transactions
    }

    /// What is left of the wallet's credits: inbound minus outbound, granted and purchased apart.
    public func balance() throws(BillingError) -> WalletBalance {
        var balance = WalletBalance(
            walletId: walletId, priority: priority, createdOrder: walletId, currency: currency, rateAmount: rateAmount,
            grantedCredits: .zero, purchasedCredits: .zero)
        for transaction in transactions {
            let (granted, purchased) = (transaction.grantedCredits, transaction.purchasedCredits)
            balance = transaction.transactionType == .inbound
                ? try balance.adding(granted: granted, purchased: purchased)
                : try balance.adding(granted: -granted, purchased: -purchased)
        }
        return balance
    }
}

/// A customer's wallets as `tally wallet show` reports them: each one's balance in credits (granted and
/// purchased apart) and in the currency's minor units, and its transactions in order (docs/BILLING.md,
/// wallets). The balance is the sum of the transactions listed, so the two always agree.
public struct WalletStatement: Sendable {
    /// One wallet with its balance.
    public struct Wallet: Sendable {
        public let history: WalletHistory
        public let balance: WalletBalance
        /// Granted + purchased credits left.
        public let creditsBalance: ExactDecimal
        /// `creditsBalance` × `rate_amount`, in minor units, rounded half-up once
        /// (`WalletBalance.balanceCents`), as close applies it.
        public let balanceCents: Int64
        /// Each transaction's granted + purchased credits (Lago's `credit_amount`), in the order of
        /// `history.transactions`.
        public let creditAmounts: [ExactDecimal]
    }

    public let externalCustomerId: String
    /// In creation order.
    public let wallets: [Wallet]

    /// Sums each wallet's transactions; throws when a balance has no exact value in minor units.
    public init(externalCustomerId: String, wallets: [WalletHistory]) throws(BillingError) {
        self.externalCustomerId = externalCustomerId
        var statements: [Wallet] = []
        for history in wallets {
            let balance = try history.balance()
            guard let scale = Currency.minorUnitScale(currency: history.currency) else { throw .unsupportedCurrency(history.currency) }
            guard let credits = balance.grantedCredits.adding(balance.purchasedCredits), let cents = balance.balanceCents(scale: scale) else {
                throw .tooLarge("the balance of wallet \"\(history.name)\" (\(balance.grantedCredits) + \(balance.purchasedCredits) credits × \(history.rateAmount))")
            }
            var amounts: [ExactDecimal] = []
            for transaction in history.transactions {
                guard let amount = transaction.grantedCredits.adding(transaction.purchasedCredits) else {
                    throw .tooLarge("\(transaction.grantedCredits) + \(transaction.purchasedCredits) credits of wallet \"\(history.name)\"")
                }
                amounts.append(amount)
            }
            statements.append(Wallet(history: history, balance: balance, creditsBalance: credits, balanceCents: cents, creditAmounts: amounts))
        }
        self.wallets = statements
    }

    /// The statement as JSON, its field names Lago's where Lago has one (its wallet and wallet
    /// transaction objects); credits are decimal strings, as Lago writes them.
    public var json: JSONValue {
        [
            "external_customer_id": .string(externalCustomerId),
            "wallets": .array(wallets.map { wallet in
                let history = wallet.history
                return [
                    "name": .string(history.name),
                    "currency": .string(history.currency),
                    "rate_amount": .string(history.rateAmount.description),
                    "priority": .number(String(history.priority)),
                    "created_at": .string(history.createdAt.description),
                    "credits_balance": .string(wallet.creditsBalance.description),
                    "granted_credits_balance": .string(wallet.balance.grantedCredits.description),
                    "purchased_credits_balance": .string(wallet.balance.purchasedCredits.description),
                    "balance_cents": .number(String(wallet.balanceCents)),
                    "wallet_transactions": .array(zip(history.transactions, wallet.creditAmounts).map { transaction, creditAmount in
                        [
                            "created_at": .string(transaction.createdAt.description),
                            "transaction_type": .string(transaction.transactionType.rawValue),
                            "credit_amount": .string(creditAmount.description),
                            "granted_credits": .string(transaction.grantedCredits.description),
                            "purchased_credits": .string(transaction.purchasedCredits.description),
                            "reason": .string(transaction.reason),
                            "invoice_number": transaction.invoiceNumber.map(JSONValue.string) ?? .null,
                        ]
                    }),
                ]
            }),
        ]
    }
}
