import Foundation
import TallyCore

/// Stores one invoice with its fees and wallet debits in a single transaction (SPEC §7, §8).
struct InvoiceWriter {
    let connection: PostgresConnection

    func issue(
        customer: BillingContext.CustomerRecord, period: BillingPeriod, currency: String,
        fees: [(subscriptionId: Int64, fee: DraftFee)], prefix: String
    ) throws -> IssuedInvoice {
        try connection.transaction {
            let customerId = String(customer.id)
            // Serialises numbering and wallet debits per customer against any concurrent writer.
            try connection.execute("SELECT id FROM customers WHERE id = $1 FOR UPDATE", [customerId])
            let wallets = try walletBalances(customerId: customerId)
            let debits = WalletLedger.debits(
                invoiceTotalCents: fees.reduce(0) { $0 + $1.fee.amountCents }, currency: currency, wallets: wallets)
            let totals = InvoiceTotals(feeAmountsCents: fees.map(\.fee.amountCents), debits: debits)
            let sequence = Int(try connection.execute(
                "SELECT coalesce(max(sequential_id), 0) + 1 FROM invoices WHERE customer_id = $1", [customerId]).scalar!)!
            let number = InvoiceNumber.format(prefix: prefix, customerSequence: customer.sequentialId, invoiceSequence: sequence)
            let issuingDate = period.next.from.localDate(in: period.timezone)
            let invoiceId = try connection.execute("""
                INSERT INTO invoices (number, customer_id, sequential_id, period, period_from, period_to, issuing_date,
                    currency, status, payment_status, fees_amount_cents, taxes_amount_cents,
                    sub_total_excluding_taxes_amount_cents, sub_total_including_taxes_amount_cents,
                    prepaid_credit_amount_cents, prepaid_granted_credit_amount_cents, prepaid_purchased_credit_amount_cents,
                    total_amount_cents)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'finalized', $9, $10, $11, $12, $13, $14, $15, $16, $17)
                RETURNING id
                """, [
                    number, customerId, String(sequence), period.label, period.from.description, period.to.description,
                    issuingDate, currency, totals.totalAmountCents == 0 ? "succeeded" : "pending",
                    String(totals.feesAmountCents), String(totals.taxesAmountCents),
                    String(totals.subTotalExcludingTaxesAmountCents), String(totals.subTotalIncludingTaxesAmountCents),
                    String(totals.prepaidCreditAmountCents), String(totals.prepaidGrantedCreditAmountCents),
                    String(totals.prepaidPurchasedCreditAmountCents), String(totals.totalAmountCents),
                ]).scalar!
            for (position, entry) in fees.enumerated() {
                let fee = entry.fee
                try connection.execute("""
                    INSERT INTO fees (invoice_id, subscription_id, fee_type, item_code, item_name, invoice_display_name,
                        filter_invoice_display_name, filters, units, events_count, precise_amount, amount_cents, unpriced,
                        from_date, to_date, position)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8::json, $9::numeric, $10, $11::numeric, $12, $13, $14, $15, $16)
                    """, [
                        invoiceId, String(entry.subscriptionId), fee.kind.rawValue, fee.itemCode, fee.itemName,
                        fee.invoiceDisplayName, fee.filterInvoiceDisplayName, fee.filters.map(Self.filtersJSON),
                        fee.units.description, String(fee.eventsCount), fee.preciseAmount.description,
                        String(fee.amountCents), fee.unpriced ? "true" : "false",
                        fee.from.description, fee.to.description, String(position),
                    ])
            }
            for debit in debits {
                try connection.execute("""
                    INSERT INTO wallet_transactions (wallet_id, direction, granted_credits, purchased_credits, reason, invoice_id)
                    VALUES ($1, 'outbound', $2::numeric, $3::numeric, 'applied to invoice ' || $4, $5)
                    """, [String(debit.walletId), debit.grantedCredits.description, debit.purchasedCredits.description, number, invoiceId])
            }
            return IssuedInvoice(
                number: number, customer: customer.definition.externalId, period: period.label, currency: currency,
                feesAmountCents: totals.feesAmountCents, prepaidCreditAmountCents: totals.prepaidCreditAmountCents,
                totalAmountCents: totals.totalAmountCents, feeCount: fees.count)
        }
    }

    /// The customer's wallets with what is left of their granted and purchased credits.
    private func walletBalances(customerId: String) throws -> [WalletBalance] {
        try connection.execute("""
            SELECT w.id, w.priority, w.currency, w.rate_amount::text,
                   coalesce(sum(CASE t.direction WHEN 'inbound' THEN t.granted_credits ELSE -t.granted_credits END), 0)::text,
                   coalesce(sum(CASE t.direction WHEN 'inbound' THEN t.purchased_credits ELSE -t.purchased_credits END), 0)::text
            FROM wallets w LEFT JOIN wallet_transactions t ON t.wallet_id = w.id
            WHERE w.customer_id = $1
            GROUP BY w.id ORDER BY w.id
            """, [customerId]).rows.map { row in
            WalletBalance(
                walletId: Int64(row[0]!)!, priority: Int(row[1]!)!, createdOrder: Int64(row[0]!)!, currency: row[2]!,
                rateAmount: ExactDecimal(decimalString: row[3]!)!,
                grantedCredits: ExactDecimal(decimalString: row[4]!)!, purchasedCredits: ExactDecimal(decimalString: row[5]!)!)
        }
    }

    static func filtersJSON(_ filters: [FilterCondition]) -> String {
        JSONValue.object(JSONObject(filters.map { ($0.key, .array($0.values.map { .string($0) })) })).serialized
    }
}

extension UTCInstant {
    /// The calendar date of this instant in `timezone`, as YYYY-MM-DD.
    func localDate(in timezone: String) -> String {
        let seconds = microsecondsSinceEpoch / 1_000_000
        let offset = TimeZone(identifier: timezone)?.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds))) ?? 0
        let local = UTCInstant(microsecondsSinceEpoch: microsecondsSinceEpoch + Int64(offset) * 1_000_000).civil
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(local.year, 4))-\(pad(local.month, 2))-\(pad(local.day, 2))"
    }
}
