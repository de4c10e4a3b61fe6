import TallyCore

/// An invoice rated but not yet stored: a customer's fees for one period.
struct InvoiceDraft {
    let customer: BillingContext.CustomerRecord
    let period: BillingPeriod
    let currency: String
    let fees: [(subscriptionId: Int64, fee: DraftFee)]

    /// The wallet debits this invoice takes from `wallets` and the totals they leave (SPEC §7, §8).
    func settle(against wallets: [WalletBalance]) -> (debits: [WalletDebit], totals: InvoiceTotals) {
        let debits = WalletLedger.debits(
            invoiceTotalCents: fees.reduce(0) { $0 + $1.fee.amountCents }, currency: currency, wallets: wallets)
        return (debits, InvoiceTotals(feeAmountsCents: fees.map(\.fee.amountCents), debits: debits))
    }
}

/// Stores invoices with their fees and wallet debits (SPEC §7, §8). Each invoice is written whole
/// in one transaction; invoices are committed in batches, so a crash loses at most a batch, which
/// the next close issues again, with the same numbers.
struct InvoiceWriter {
    let connection: PostgresConnection
    static let batchSize = 2_500

    /// Issues `drafts` batch by batch, calling `committed` with each batch once it is committed.
    func issue(_ drafts: [InvoiceDraft], prefix: String, committed: ([IssuedInvoice]) throws -> Void = { _ in }) throws -> [IssuedInvoice] {
        var issued: [IssuedInvoice] = []
        for start in stride(from: 0, to: drafts.count, by: Self.batchSize) {
            let batch = drafts[start..<min(start + Self.batchSize, drafts.count)]
            try Interruption.check()
            let invoices = try connection.transaction { try insert(batch, prefix: prefix) }
            CrashPoint.reach("close-after-batch")
            issued += invoices
            try committed(invoices)
        }
        return issued
    }

    /// Stores `drafts` inside the caller's open transaction, each with the customer's next invoice
    /// number and the wallet credits its balances hold at this point of the transaction.
    func insert(_ drafts: some Collection<InvoiceDraft>, prefix: String) throws -> [IssuedInvoice] {
        let customerIds = Array(Set(drafts.map(\.customer.id)))
        var wallets = try walletBalances(customerIds: customerIds)
        var sequences: [Int64: Int] = [:]
        for row in try connection.execute(
            "SELECT customer_id, max(sequential_id) FROM invoices WHERE customer_id = ANY ($1::bigint[]) GROUP BY customer_id",
            [PostgresArray.bigint(customerIds)]).rows {
            sequences[Int64(row[0]!)!] = Int(row[1]!)!
        }
        // The invoices' ids, taken in one round trip so that invoices, fees and debits all go by COPY.
        var invoiceIds = try connection.execute(
            "SELECT nextval('invoices_id_seq') FROM generate_series(1, $1)", [String(drafts.count)]).rows.map { $0[0]! }.makeIterator()
        var invoiceRows: [[String?]] = []
        var feeRows: [[String?]] = []
        var debitRows: [[String?]] = []
        var issued: [IssuedInvoice] = []
        for draft in drafts {
            let customer = draft.customer
            let (debits, totals) = draft.settle(against: wallets[customer.id] ?? [])
            wallets[customer.id] = (wallets[customer.id] ?? []).map { $0.after(debits) }
            let sequence = (sequences[customer.id] ?? 0) + 1
            sequences[customer.id] = sequence
            let number = InvoiceNumber.format(prefix: prefix, customerSequence: customer.sequentialId, invoiceSequence: sequence)
            let period = draft.period
            let invoiceId = invoiceIds.next()!
            invoiceRows.append([
                invoiceId, number, String(customer.id), String(sequence), period.label, period.from.description, period.to.description,
                period.issuingDate, draft.currency, "finalized",
                totals.totalAmountCents == 0 ? "succeeded" : "pending",
                String(totals.feesAmountCents), String(totals.taxesAmountCents),
                String(totals.subTotalExcludingTaxesAmountCents), String(totals.subTotalIncludingTaxesAmountCents),
                String(totals.prepaidCreditAmountCents), String(totals.prepaidGrantedCreditAmountCents),
                String(totals.prepaidPurchasedCreditAmountCents), String(totals.totalAmountCents),
            ])
            for (position, entry) in draft.fees.enumerated() {
                let fee = entry.fee
                feeRows.append([
                    invoiceId, String(entry.subscriptionId), fee.kind.rawValue, fee.itemCode, fee.itemName,
                    fee.invoiceDisplayName, fee.filterInvoiceDisplayName, fee.filters.map(Self.filtersJSON),
                    fee.units.description, String(fee.eventsCount), fee.preciseAmount.description,
                    String(fee.amountCents), fee.unpriced ? "t" : "f", fee.from.description, fee.to.description, String(position),
                ])
            }
            for debit in debits {
                debitRows.append([String(debit.walletId), "outbound", debit.grantedCredits.description,
                                  debit.purchasedCredits.description, "applied to invoice \(number)", invoiceId])
            }
            issued.append(IssuedInvoice(
                number: number, customer: customer.definition.externalId, period: period.label, currency: draft.currency,
                feesAmountCents: totals.feesAmountCents, prepaidCreditAmountCents: totals.prepaidCreditAmountCents,
                totalAmountCents: totals.totalAmountCents, feeCount: draft.fees.count))
        }
        try connection.copyIn("""
            COPY invoices (id, number, customer_id, sequential_id, period, period_from, period_to, issuing_date,
                currency, status, payment_status, fees_amount_cents, taxes_amount_cents,
                sub_total_excluding_taxes_amount_cents, sub_total_including_taxes_amount_cents,
                prepaid_credit_amount_cents, prepaid_granted_credit_amount_cents, prepaid_purchased_credit_amount_cents,
                total_amount_cents) FROM STDIN
            """) { copy in
            for row in invoiceRows { try copy.writeRow(row) }
        }
        try connection.copyIn("""
            COPY fees (invoice_id, subscription_id, fee_type, item_code, item_name, invoice_display_name,
                filter_invoice_display_name, filters, units, events_count, precise_amount, amount_cents, unpriced,
                from_date, to_date, position) FROM STDIN
            """) { copy in
            for row in feeRows { try copy.writeRow(row) }
        }
        try connection.copyIn("""
            COPY wallet_transactions (wallet_id, direction, granted_credits, purchased_credits, reason, invoice_id) FROM STDIN
            """) { copy in
            for row in debitRows { try copy.writeRow(row) }
        }
        return issued
    }

    /// Each customer's wallets with what is left of their granted and purchased credits.
    func walletBalances(customerIds: [Int64]) throws -> [Int64: [WalletBalance]] {
        var balances: [Int64: [WalletBalance]] = [:]
        for row in try connection.execute("""
            SELECT w.customer_id, w.id, w.priority, w.currency, w.rate_amount::text,
                   coalesce(sum(CASE t.direction WHEN 'inbound' THEN t.granted_credits ELSE -t.granted_credits END), 0)::text,
                   coalesce(sum(CASE t.direction WHEN 'inbound' THEN t.purchased_credits ELSE -t.purchased_credits END), 0)::text
            FROM wallets w LEFT JOIN wallet_transactions t ON t.wallet_id = w.id
            WHERE w.customer_id = ANY ($1::bigint[])
            GROUP BY w.id ORDER BY w.id
            """, [PostgresArray.bigint(customerIds)]).rows {
            balances[Int64(row[0]!)!, default: []].append(WalletBalance(
                walletId: Int64(row[1]!)!, priority: Int(row[2]!)!, createdOrder: Int64(row[1]!)!, currency: row[3]!,
                rateAmount: ExactDecimal(decimalString: row[4]!)!,
                grantedCredits: ExactDecimal(decimalString: row[5]!)!, purchasedCredits: ExactDecimal(decimalString: row[6]!)!))
        }
        return balances
    }

    /// A charge filter's values as the `fees.filters` column stores them: `{"model":["small"]}`.
    static func filtersJSON(_ filters: [FilterCondition]) -> String {
        filtersValue(filters).serialized
    }

    static func filtersValue(_ filters: [FilterCondition]) -> JSONValue {
        .object(JSONObject(filters.map { ($0.key, .array($0.values.map { .string($0) })) }))
    }
}

extension WalletBalance {
    /// The balance left once `debits` are taken (debits of other wallets leave it as it is).
    func after(_ debits: [WalletDebit]) -> WalletBalance {
        let taken = debits.filter { $0.walletId == walletId }
        return adding(granted: taken.reduce(.zero) { $0 - $1.grantedCredits },
                      purchased: taken.reduce(.zero) { $0 - $1.purchasedCredits })
    }

    /// The balance with `granted` and `purchased` credits added (negative amounts take them).
    func adding(granted: ExactDecimal, purchased: ExactDecimal) -> WalletBalance {
        WalletBalance(
            walletId: walletId, priority: priority, createdOrder: createdOrder, currency: currency, rateAmount: rateAmount,
            grantedCredits: grantedCredits + granted, purchasedCredits: purchasedCredits + purchased)
    }
}
