import TallyCore
import TallyPostgres

/// The credit notes of issued invoices (`credit_notes`, `credit_note_items`) and what is left of
/// their credit: their credit amount less the credits (`credits.credit_note_id`) of live invoices.
public struct CreditNoteStore {
    let connection: PostgresConnection

    /// A stored credit note, as its document needs it.
    public struct Record: Sendable {
        public let id: Int64
        public let lagoId: String
        public let number: String
        public let sequentialId: Int
        public let invoiceId: Int64
        public let invoiceLagoId: String
        public let invoiceNumber: String
        public let invoicePeriod: String
        public let customerId: Int64
        public let reason: String
        public let description: String?
        public let issuingDate: String
        public let currency: String
        public let couponsAdjustmentAmount: ExactDecimal
        public let subTotalExcludingTaxesAmountCents: Int64
        public let taxesAmountCents: Int64
        public let totalAmountCents: Int64
        public let creditAmountCents: Int64
        public let refundAmountCents: Int64
        public let balanceAmountCents: Int64
        public let appliedTaxes: [AppliedTax]
        public let createdAt: UTCInstant
        /// Each item: its Lago id, the fee's Lago id, and the amount.
        public let items: [(lagoId: String, feeLagoId: String, amountCents: Int64)]
    }

    /// What earlier credit notes of invoice `invoiceId` took: per fee (by Lago id), and refunded.
    public func credited(invoiceId: Int64) throws -> (perFee: [String: Int64], refunded: Int64) {
        struct Item: Decodable { let feeLagoId: String; let amountCents: Int64 }
        var perFee: [String: Int64] = [:]
        for row in try connection.query("""
            SELECT f.lago_id::text AS fee_lago_id, sum(t.amount_cents)::bigint AS amount_cents
            FROM credit_note_items t JOIN credit_notes n ON n.id = t.credit_note_id JOIN fees f ON f.id = t.fee_id
            WHERE n.invoice_id = $1 GROUP BY 1
            """, [invoiceId], as: Item.self) {
            perFee[row.feeLagoId] = row.amountCents
        }
        let refunded: Int64 = try connection.queryValue("""
            SELECT coalesce(sum(refund_amount_cents), 0)::bigint AS refunded FROM credit_notes WHERE invoice_id = $1
            """, [invoiceId], column: "refunded")
        return (perFee, refunded)
    }

    /// Stores a credit note of invoice `invoiceId` (of `customerId`) numbered after the invoice's
    /// earlier ones (`<invoice number>-CN<n>`); returns its id and number.
    public func insert(
        invoiceId: Int64, invoiceNumber: String, customerId: Int64, currency: String, amounts: CreditNoteAmounts,
        feeLagoIds: [String], reason: CreditNoteReason, description: String?, issuingDate: String
    ) throws -> (id: Int64, number: String) {
        let sequence: Int = try connection.queryValue("""
            SELECT coalesce(max(sequential_id), 0) + 1 AS next FROM credit_notes WHERE invoice_id = $1
            """, [invoiceId], column: "next")
        let digits = String(sequence)
        let number = "\(invoiceNumber)-CN\(String(repeating: "0", count: max(0, 3 - digits.count)))\(digits)"
        let id: Int64 = try connection.queryValue("""
            INSERT INTO credit_notes (number, invoice_id, customer_id, sequential_id, reason, description, issuing_date, currency,
                                      coupons_adjustment_amount, sub_total_excluding_taxes_amount_cents, taxes_amount_cents,
                                      total_amount_cents, credit_amount_cents, refund_amount_cents, applied_taxes)
            VALUES ($1, $2, $3, $4, $5, $6, $7::date, $8, $9::numeric, $10, $11, $12, $13, $14, $15::jsonb) RETURNING id
            """, [number, invoiceId, customerId, sequence, reason.rawValue, description, issuingDate, currency,
                  amounts.couponsAdjustment, amounts.subTotalExcludingTaxesAmountCents, amounts.taxesAmountCents,
                  amounts.totalAmountCents, amounts.creditAmountCents, amounts.refundAmountCents,
                  AppliedTax.json(amounts.appliedTaxes)], column: "id")
        for (position, item) in amounts.items.enumerated() {
            try connection.execute("""
                INSERT INTO credit_note_items (credit_note_id, fee_id, amount_cents, position)
                SELECT $1, id, $3, $4 FROM fees WHERE lago_id = $2::uuid
                """, [id, feeLagoIds[item.fee], item.amountCents, position])
        }
        return (id, number)
    }

    /// The credit left on each credit note of `customerIds`, oldest first, by customer id: its credit
    /// amount less what live invoices took, but those in `excluding` (about to be voided). Credit
    /// notes with nothing left are left out.
    public func balances(customerIds: [Int64], excluding: [Int64] = []) throws -> [Int64: [CreditNoteBalance]] {
        guard !customerIds.isEmpty else { return [:] }
        struct Row: Decodable { let id: Int64; let customerId: Int64; let number: String; let currency: String; let balance: Int64 }
        var balances: [Int64: [CreditNoteBalance]] = [:]
        for row in try connection.query("""
            SELECT n.id, n.customer_id, n.number, n.currency,
                   (n.credit_amount_cents - coalesce((
                       SELECT sum(c.amount_cents) FROM credits c JOIN invoices i ON i.id = c.invoice_id
                       WHERE c.credit_note_id = n.id AND i.status <> 'voided' AND i.id <> ALL ($2::bigint[])), 0))::bigint AS balance
            FROM credit_notes n WHERE n.customer_id = ANY ($1::bigint[]) ORDER BY n.id
            """, [customerIds, excluding], as: Row.self) where row.balance > 0 {
            balances[row.customerId, default: []].append(
                CreditNoteBalance(creditNoteId: row.id, number: row.number, currency: row.currency, balanceCents: row.balance))
        }
        return balances
    }

    /// The credit notes numbered `numbers`, or all of those of the invoices `invoiceIds`, in number order.
    public func records(numbers: [String] = [], invoiceIds: [Int64] = []) throws -> [Record] {
        struct Row: Decodable {
            let id: Int64, lagoId: String, number: String, sequentialId: Int, invoiceId: Int64, invoiceLagoId: String
            let invoiceNumber: String, invoicePeriod: String, customerId: Int64, reason: String, description: String?
            let issuingDate: String, currency: String, couponsAdjustmentAmount: ExactDecimal
            let subTotalExcludingTaxesAmountCents: Int64, taxesAmountCents: Int64, totalAmountCents: Int64
            let creditAmountCents: Int64, refundAmountCents: Int64, balance: Int64, appliedTaxes: String?, createdAt: UTCInstant
        }
        let rows = try connection.query("""
            SELECT n.id, n.lago_id::text AS lago_id, n.number, n.sequential_id, n.invoice_id, i.lago_id::text AS invoice_lago_id,
                   i.number AS invoice_number, i.period AS invoice_period, n.customer_id, n.reason, n.description,
                   n.issuing_date::text AS issuing_date, n.currency, n.coupons_adjustment_amount,
                   n.sub_total_excluding_taxes_amount_cents, n.taxes_amount_cents, n.total_amount_cents, n.credit_amount_cents,
                   n.refund_amount_cents,
                   (n.credit_amount_cents - coalesce((
                       SELECT sum(c.amount_cents) FROM credits c JOIN invoices v ON v.id = c.invoice_id
                       WHERE c.credit_note_id = n.id AND v.status <> 'voided'), 0))::bigint AS balance,
                   n.applied_taxes::text AS applied_taxes, n.created_at
            FROM credit_notes n JOIN invoices i ON i.id = n.invoice_id
            WHERE n.number = ANY ($1::text[]) OR n.invoice_id = ANY ($2::bigint[]) ORDER BY n.number
            """, [numbers, invoiceIds], as: Row.self)
        struct Item: Decodable { let creditNoteId: Int64; let lagoId: String; let feeLagoId: String; let amountCents: Int64 }
        var items: [Int64: [(lagoId: String, feeLagoId: String, amountCents: Int64)]] = [:]
        for row in try connection.query("""
            SELECT t.credit_note_id, t.lago_id::text AS lago_id, f.lago_id::text AS fee_lago_id, t.amount_cents
            FROM credit_note_items t JOIN fees f ON f.id = t.fee_id WHERE t.credit_note_id = ANY ($1::bigint[])
            ORDER BY t.credit_note_id, t.position
            """, [rows.map(\.id)], as: Item.self) {
            items[row.creditNoteId, default: []].append((row.lagoId, row.feeLagoId, row.amountCents))
        }
        return try rows.map { row in
            guard let taxes = AppliedTax.list(json: row.appliedTaxes) else {
                throw PostgresDecodingError(query: "credit note \(row.number)", column: "applied_taxes", message: "not a list of taxes")
            }
            return Record(
                id: row.id, lagoId: row.lagoId, number: row.number, sequentialId: row.sequentialId, invoiceId: row.invoiceId,
                invoiceLagoId: row.invoiceLagoId, invoiceNumber: row.invoiceNumber, invoicePeriod: row.invoicePeriod,
                customerId: row.customerId, reason: row.reason, description: row.description, issuingDate: row.issuingDate,
                currency: row.currency, couponsAdjustmentAmount: row.couponsAdjustmentAmount,
                subTotalExcludingTaxesAmountCents: row.subTotalExcludingTaxesAmountCents, taxesAmountCents: row.taxesAmountCents,
                totalAmountCents: row.totalAmountCents, creditAmountCents: row.creditAmountCents,
                refundAmountCents: row.refundAmountCents, balanceAmountCents: row.balance, appliedTaxes: taxes,
                createdAt: row.createdAt, items: items[row.id] ?? [])
        }
    }

    /// The numbers of the credit notes whose credit the invoices numbered `invoiceNumbers` took:
    /// their balances changed with those invoices. Empty at once when no credit note exists.
    public func numbers(creditedOn invoiceNumbers: [String]) throws -> [String] {
        struct Row: Decodable { let number: String }
        guard !invoiceNumbers.isEmpty,
              try connection.queryValue("SELECT EXISTS (SELECT 1 FROM credit_notes) AS any", column: "any", as: Bool.self)
        else { return [] }
        return try connection.query("""
            SELECT DISTINCT n.number FROM credits c JOIN credit_notes n ON n.id = c.credit_note_id
            JOIN invoices i ON i.id = c.invoice_id WHERE i.number = ANY ($1::text[]) ORDER BY 1
            """, [invoiceNumbers], as: Row.self).map(\.number)
    }

    /// The ids of the invoices among `invoiceIds` that have credit notes.
    public func creditedInvoices(_ invoiceIds: [Int64]) throws -> Set<Int64> {
        struct Row: Decodable { let invoiceId: Int64 }
        return Set(try connection.query("SELECT DISTINCT invoice_id FROM credit_notes WHERE invoice_id = ANY ($1::bigint[])",
                                        [invoiceIds], as: Row.self).map(\.invoiceId))
    }
}

extension Store {
    public var creditNotes: CreditNoteStore { CreditNoteStore(connection: connection) }
}
