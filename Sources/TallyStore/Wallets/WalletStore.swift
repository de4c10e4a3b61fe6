import TallyCore
import TallyPostgres

/// Wallet transactions: every movement of prepaid credits. A wallet's balance is the sum of its
/// transactions, inbound minus outbound, granted and purchased credits kept apart.
public struct WalletStore {
    let connection: PostgresConnection

    /// One movement of credits into or out of a wallet.
    public struct Transaction: Sendable {
        public enum Direction: String, Sendable { case inbound, outbound }

        public let walletId: Int64
        public let direction: Direction
        public let granted: ExactDecimal
        public let purchased: ExactDecimal
        /// Why, in words: "applied to invoice MIS-001-001".
        public let reason: String
        /// The invoice it pays, or the voided invoice it returns credits of.
        public let invoiceId: Int64?

        public init(walletId: Int64, direction: Direction, granted: ExactDecimal, purchased: ExactDecimal, reason: String, invoiceId: Int64?) {
            self.walletId = walletId
            self.direction = direction
            self.granted = granted
            self.purchased = purchased
            self.reason = reason
            self.invoiceId = invoiceId
        }
    }

    /// Records `transactions` in one COPY.
    public func record(_ transactions: [Transaction]) throws {
        guard !transactions.isEmpty else { return }
        try connection.copyIn("""
            COPY wallet_transactions (wallet_id, direction, granted_credits, purchased_credits, reason, invoice_id) FROM STDIN
            """) { copy in
            for transaction in transactions {
                try copy.writeRow([transaction.walletId, transaction.direction.rawValue, transaction.granted,
                                   transaction.purchased, transaction.reason, transaction.invoiceId])
            }
        }
    }

    /// The customer's wallets in creation order, each with its transactions in the order they were
    /// recorded and the number of the invoice each is linked to; read in one statement, so the
    /// transactions are those of one moment.
    public func histories(customerId: Int64) throws -> [WalletHistory] {
        struct Row: Decodable {
            let walletId: Int64, name: String, currency: String, rateAmount: ExactDecimal, priority: Int, walletCreatedAt: UTCInstant
            let direction: String?, granted: ExactDecimal?, purchased: ExactDecimal?, reason: String?, createdAt: UTCInstant?
            let invoiceNumber: String?
        }
        let rows = try connection.query("""
            SELECT w.id AS wallet_id, w.name, w.currency, w.rate_amount, w.priority, w.created_at AS wallet_created_at,
                   t.direction, t.granted_credits AS granted, t.purchased_credits AS purchased, t.reason, t.created_at,
                   i.number AS invoice_number
            FROM wallets w
            LEFT JOIN wallet_transactions t ON t.wallet_id = w.id
            LEFT JOIN invoices i ON i.id = t.invoice_id
            WHERE w.customer_id = $1
            ORDER BY w.id, t.id
            """, [customerId], as: Row.self)
        var histories: [WalletHistory] = []
        var transactions: [WalletHistory.Transaction] = []
        for (index, row) in rows.enumerated() {
            if let direction = row.direction {
                guard let type = WalletHistory.Transaction.TransactionType(rawValue: direction), let granted = row.granted,
                      let purchased = row.purchased, let reason = row.reason, let createdAt = row.createdAt
                else {
                    throw UnreadableTransaction(
                        walletId: row.walletId,
                        reason: "its direction \"\(direction)\" is neither inbound nor outbound, or its credits, reason or created_at are NULL")
                }
                transactions.append(WalletHistory.Transaction(
                    createdAt: createdAt, transactionType: type, grantedCredits: granted, purchasedCredits: purchased,
                    reason: reason, invoiceNumber: row.invoiceNumber))
            }
            // The wallet's last row: every transaction of it is read.
            if index == rows.count - 1 || rows[index + 1].walletId != row.walletId {
                histories.append(WalletHistory(
                    walletId: row.walletId, name: row.name, currency: row.currency, rateAmount: row.rateAmount,
                    priority: row.priority, createdAt: row.walletCreatedAt, transactions: transactions))
                transactions = []
            }
        }
        return histories
    }

    /// A stored wallet transaction that does not read back as one (edited by hand).
    public struct UnreadableTransaction: Error, CustomStringConvertible {
        public let walletId: Int64
        public let reason: String
        public var description: String { "a transaction of wallet id \(walletId) cannot be read: \(reason)" }
    }

    /// Each customer's wallets with what is left of their granted and purchased credits, by customer id.
    public func balances(customerIds: [Int64]) throws -> [Int64: [WalletBalance]] {
        struct Row: Decodable {
            let customerId: Int64, walletId: Int64, priority: Int, currency: String
            let rateAmount: ExactDecimal, granted: ExactDecimal, purchased: ExactDecimal, expirationMicros: Int64?
            let thresholdCredits: ExactDecimal?, thresholdGranted: ExactDecimal?
        }
        var balances: [Int64: [WalletBalance]] = [:]
        for row in try connection.query("""
            SELECT w.customer_id, w.id AS wallet_id, w.priority, w.currency, w.rate_amount,
                   (w.definition ->> 'expirationAt')::bigint AS expiration_micros,
                   (w.definition -> 'thresholdTopUp' ->> 'thresholdCredits')::numeric AS threshold_credits,
                   (w.definition -> 'thresholdTopUp' ->> 'grantedCredits')::numeric AS threshold_granted,
                   coalesce(sum(CASE t.direction WHEN 'inbound' THEN t.granted_credits ELSE -t.granted_credits END), 0) AS granted,
                   coalesce(sum(CASE t.direction WHEN 'inbound' THEN t.purchased_credits ELSE -t.purchased_credits END), 0) AS purchased
            FROM wallets w LEFT JOIN wallet_transactions t ON t.wallet_id = w.id
            WHERE w.customer_id = ANY ($1::bigint[])
            GROUP BY w.id ORDER BY w.id
            """, [customerIds], as: Row.self) {
            var balance = WalletBalance(
                walletId: row.walletId, priority: row.priority, createdOrder: row.walletId, currency: row.currency,
                rateAmount: row.rateAmount, grantedCredits: row.granted, purchasedCredits: row.purchased)
            balance.expirationAt = row.expirationMicros.map(UTCInstant.init(microsecondsSinceEpoch:))
            if let threshold = row.thresholdCredits, let granted = row.thresholdGranted {
                balance.thresholdTopUp = Wallet.ThresholdTopUp(thresholdCredits: threshold, grantedCredits: granted)
            }
            balances[row.customerId, default: []].append(balance)
        }
        return balances
    }

    /// The credits each invoice took, net of any returned, per wallet in the order they were
    /// taken, by invoice id; wallets that got everything back are left out.
    public func creditsTaken(invoiceIds: [Int64]) throws -> [Int64: [WalletCredits]] {
        struct Row: Decodable { let invoiceId: Int64, walletId: Int64, granted: ExactDecimal, purchased: ExactDecimal }
        var credits: [Int64: [WalletCredits]] = [:]
        for row in try connection.query("""
            SELECT invoice_id, wallet_id,
                   sum(CASE direction WHEN 'outbound' THEN granted_credits ELSE -granted_credits END) AS granted,
                   sum(CASE direction WHEN 'outbound' THEN purchased_credits ELSE -purchased_credits END) AS purchased
            FROM wallet_transactions WHERE invoice_id = ANY ($1::bigint[])
            GROUP BY invoice_id, wallet_id ORDER BY invoice_id, min(id)
            """, [invoiceIds], as: Row.self) where row.granted != .zero || row.purchased != .zero {
            credits[row.invoiceId, default: []].append(WalletCredits(walletId: row.walletId, granted: row.granted, purchased: row.purchased))
        }
        return credits
    }
}

extension WalletStore {
    /// A wallet transaction of an invoice, as the period's export lists it.
    public struct InvoiceTransaction: Sendable {
        public let id: Int64
        public let customer: String
        public let wallet: String
        public let currency: String
        public let rateAmount: ExactDecimal
        public let direction: String
        public let grantedCredits: ExactDecimal
        public let purchasedCredits: ExactDecimal
        public let reason: String
        public let invoiceNumber: String
        public let createdAt: UTCInstant
    }

    /// The wallet transactions of the invoices of `period` (voided ones included, with the credits
    /// their voiding returned), in the order they were recorded.
    public func transactions(period: String) throws -> [InvoiceTransaction] {
        struct Row: Decodable {
            let id: Int64, customer: String, wallet: String, currency: String, rateAmount: ExactDecimal, direction: String
            let grantedCredits: ExactDecimal, purchasedCredits: ExactDecimal, reason: String, invoiceNumber: String
            let createdAt: UTCInstant
        }
        return try connection.query("""
            SELECT t.id, c.external_id AS customer, w.name AS wallet, w.currency, w.rate_amount, t.direction, t.granted_credits,
                   t.purchased_credits, t.reason, i.number AS invoice_number, t.created_at
            FROM wallet_transactions t JOIN invoices i ON i.id = t.invoice_id JOIN wallets w ON w.id = t.wallet_id
            JOIN customers c ON c.id = w.customer_id
            WHERE i.period = $1 ORDER BY t.id
            """, [period], as: Row.self).map {
            InvoiceTransaction(id: $0.id, customer: $0.customer, wallet: $0.wallet, currency: $0.currency, rateAmount: $0.rateAmount,
                               direction: $0.direction, grantedCredits: $0.grantedCredits, purchasedCredits: $0.purchasedCredits,
                               reason: $0.reason, invoiceNumber: $0.invoiceNumber, createdAt: $0.createdAt)
        }
    }
}
