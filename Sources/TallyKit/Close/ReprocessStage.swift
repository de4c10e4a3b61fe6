import TallyCore

/// Why `tally reprocess` did nothing.
public enum ReprocessError: Error, CustomStringConvertible {
    /// No customer has this external id.
    case unknownCustomer(String)
    /// No customer has a live invoice for the period.
    case periodNotClosed(String)
    /// Invoices to void were voided by someone else between reading and writing them.
    case invoicesChanged(period: String)

    public var description: String {
        switch self {
        case .unknownCustomer(let id):
            "no customer has external_id \"\(id)\": check --customer against the catalog"
        case .periodNotClosed(let period):
            "period \(period) is not closed for any customer, so there is nothing to reprocess: run tally close --period \(period) first"
        case .invoicesChanged(let period):
            "invoices of \(period) were voided by another process while reprocessing; nothing was changed: run tally reprocess again"
        }
    }
}

/// `tally reprocess` (SPEC §9): re-rates a closed period from the usage rollups, which hold every
/// stored event, late ones included, with the current catalog, exactly as close would rate it now.
///
/// An invoice whose fee lines come out the same stays as it is. Every other one is replaced in one
/// transaction: the old invoice is voided (it keeps its number), the wallet credits it took are
/// returned to their wallets as inbound transactions linked to it, and a new invoice is issued with
/// the customer's next number and wallet credits applied anew. The period's files are then rewritten
/// from the store. A dry run computes the same and writes nothing.
public struct ReprocessStage {
    let connection: PostgresConnection
    let outDirectory: String

    public init(connection: PostgresConnection, outDirectory: String) {
        self.connection = connection
        self.outDirectory = outDirectory
    }

    /// Reprocesses the calendar month `year`-`month` for every customer with a live invoice for it,
    /// or only for the customer whose external id is `customer`.
    public func reprocess(year: Int, month: Int, customer externalId: String? = nil, dryRun: Bool = false) throws -> ReprocessSummary {
        guard let label = BillingPeriod(year: year, month: month, timezone: "UTC")?.label else {
            preconditionFailure("\(year)-\(month) is not a calendar month")
        }
        let context = try BillingContext.load(from: connection)
        var summary = ReprocessSummary(period: label, dryRun: dryRun)
        var customers = context.customers
        if let externalId {
            customers = customers.filter { $0.definition.externalId == externalId }
            guard !customers.isEmpty else { throw ReprocessError.unknownCustomer(externalId) }
        }
        let live = try liveInvoices(period: label)
        guard !live.isEmpty else { throw ReprocessError.periodNotClosed(label) }

        var pairs: [(customer: BillingContext.CustomerRecord, period: BillingPeriod, invoice: LiveInvoice)] = []
        for customer in customers {
            guard let period = BillingPeriod(year: year, month: month, timezone: customer.timezone) else { continue }
            if let invoice = live[customer.id] {
                pairs.append((customer, period, invoice))
            } else if externalId != nil || !context.activeSubscriptions(of: customer, in: period).isEmpty {
                summary.notClosed.append(customer.definition.externalId)
            }
        }

        let plans = try compare(pairs, context: context)
        let changed = plans.filter { !$0.changes.isEmpty }
        var issued: [Int64: IssuedInvoice] = [:]
        if !dryRun && !changed.isEmpty {
            try Interruption.check()
            let invoices = try connection.transaction { try reissue(changed, prefix: context.documentNumberPrefix) }
            for (plan, invoice) in zip(changed, invoices) { issued[plan.invoice.id] = invoice }
        }
        for plan in plans {
            let invoice = plan.invoice
            let reissued = issued[invoice.id]
            let outcome: ReprocessedInvoice.Outcome = plan.changes.isEmpty ? .unchanged : dryRun ? .wouldReissue : .reissued
            let new = reissued.map {
                InvoiceAmounts(feesAmountCents: $0.feesAmountCents, prepaidCreditAmountCents: $0.prepaidCreditAmountCents,
                               totalAmountCents: $0.totalAmountCents)
            } ?? (plan.changes.isEmpty ? invoice.amounts : plan.newAmounts)
            summary.invoices.append(ReprocessedInvoice(
                customer: plan.draft.customer.definition.externalId, period: label,
                currency: plan.changes.isEmpty ? invoice.currency : plan.draft.currency,
                outcome: outcome, oldNumber: invoice.number, newNumber: reissued?.number, old: invoice.amounts, new: new,
                changes: plan.changes))
            if !plan.changes.isEmpty { summary.unpriced += plan.unpriced }
        }
        if !dryRun {
            summary.filesWritten = try InvoiceFiles(connection: connection, outDirectory: outDirectory).write(periods: [label])
        }
        return summary
    }

    // MARK: Comparing

    /// A live invoice as stored: its amounts, fee lines and the wallet credits it took.
    struct LiveInvoice {
        let id: Int64
        let number: String
        let currency: String
        let amounts: InvoiceAmounts
        var fees: [FeeLine] = []
        /// Credits taken net of any returned, per wallet, in the order they were taken.
        var credits: [WalletCredits] = []
    }

    struct WalletCredits {
        let walletId: Int64
        var granted: ExactDecimal
        var purchased: ExactDecimal
    }

    /// What reprocessing one invoice comes to: the re-rated draft, the fee lines that differ, and
    /// the amounts the new invoice would have.
    struct InvoicePlan {
        let invoice: LiveInvoice
        let draft: InvoiceDraft
        let unpriced: [UnpricedUsage]
        let changes: [FeeChange]
        let newAmounts: InvoiceAmounts
    }

    /// Re-rates each customer's period and compares the result with its live invoice.
    private func compare(
        _ pairs: [(customer: BillingContext.CustomerRecord, period: BillingPeriod, invoice: LiveInvoice)], context: BillingContext
    ) throws -> [InvoicePlan] {
        let billable = pairs.filter { !context.activeSubscriptions(of: $0.customer, in: $0.period).isEmpty }
        var rated: [Int64: RatedDraft] = [:]
        for (pair, draft) in zip(billable, try InvoiceDraft.rate(billable.map { ($0.customer, $0.period) }, context: context, connection: connection)) {
            rated[pair.customer.id] = draft
        }
        let wallets = try InvoiceWriter(connection: connection).walletBalances(customerIds: pairs.map(\.customer.id))
        return pairs.map { customer, period, invoice in
            // A customer whose subscriptions no longer reach into the period has nothing left to bill.
            let rating = rated[customer.id]
                ?? RatedDraft(draft: InvoiceDraft(customer: customer, period: period, currency: invoice.currency, fees: []), unpriced: [])
            let draft = rating.draft
            let changes = FeeChange.between(old: invoice.fees, new: draft.fees.map { FeeLine(subscriptionId: $0.subscriptionId, fee: $0.fee) })
            // The credits are applied as the writer will apply them once the old invoice's are returned.
            let balances = (wallets[customer.id] ?? []).map { $0.returning(invoice.credits) }
            let totals = draft.settle(against: balances).totals
            return InvoicePlan(
                invoice: invoice, draft: draft, unpriced: rating.unpriced, changes: changes,
                newAmounts: InvoiceAmounts(feesAmountCents: totals.feesAmountCents,
                                           prepaidCreditAmountCents: totals.prepaidCreditAmountCents,
                                           totalAmountCents: totals.totalAmountCents))
        }
    }

    /// The period's live invoices by customer id, with their fee lines and wallet credits.
    private func liveInvoices(period: String) throws -> [Int64: LiveInvoice] {
        var invoices: [Int64: LiveInvoice] = [:]
        var customerOf: [Int64: Int64] = [:]
        for row in try connection.execute("""
            SELECT id, number, customer_id, currency, fees_amount_cents, prepaid_credit_amount_cents, total_amount_cents
            FROM invoices WHERE period = $1 AND status <> 'voided'
            """, [period]).rows {
            let id = Int64(row[0]!)!
            let customerId = Int64(row[2]!)!
            customerOf[id] = customerId
            invoices[customerId] = LiveInvoice(
                id: id, number: row[1]!, currency: row[3]!,
                amounts: InvoiceAmounts(feesAmountCents: Int64(row[4]!)!, prepaidCreditAmountCents: Int64(row[5]!)!,
                                        totalAmountCents: Int64(row[6]!)!))
        }
        guard !invoices.isEmpty else { return [:] }
        let ids = PostgresArray.bigint(Array(customerOf.keys))
        for row in try connection.execute("""
            SELECT f.invoice_id, f.subscription_id, s.external_id, f.fee_type, f.item_code, f.filters::text,
                   f.filter_invoice_display_name, f.units::text, f.events_count, f.amount_cents
            FROM fees f JOIN subscriptions s ON s.id = f.subscription_id
            WHERE f.invoice_id = ANY ($1::bigint[]) ORDER BY f.invoice_id, f.position
            """, [ids]).rows {
            let line = FeeLine(
                key: FeeLine.Key(subscriptionId: Int64(row[1]!)!, feeType: row[3]!, itemCode: row[4]!, filters: row[5]),
                externalSubscriptionId: row[2]!, filterInvoiceDisplayName: row[6],
                filterValues: try row[5].map { try JSONParser.parse($0) },
                figures: FeeFigures(units: ExactDecimal(decimalString: row[7]!)!, eventsCount: Int(row[8]!)!,
                                    amountCents: Int64(row[9]!)!))
            invoices[customerOf[Int64(row[0]!)!]!]!.fees.append(line)
        }
        for row in try connection.execute("""
            SELECT invoice_id, wallet_id,
                   sum(CASE direction WHEN 'outbound' THEN granted_credits ELSE -granted_credits END)::text,
                   sum(CASE direction WHEN 'outbound' THEN purchased_credits ELSE -purchased_credits END)::text
            FROM wallet_transactions WHERE invoice_id = ANY ($1::bigint[])
            GROUP BY invoice_id, wallet_id ORDER BY invoice_id, min(id)
            """, [ids]).rows {
            let credits = WalletCredits(walletId: Int64(row[1]!)!, granted: ExactDecimal(decimalString: row[2]!)!,
                                        purchased: ExactDecimal(decimalString: row[3]!)!)
            guard credits.granted != .zero || credits.purchased != .zero else { continue }
            invoices[customerOf[Int64(row[0]!)!]!]!.credits.append(credits)
        }
        return invoices
    }

    // MARK: Writing

    /// Voids the planned invoices, returns their credits and issues their replacements, inside the
    /// caller's transaction. Returns the new invoices in plan order.
    private func reissue(_ plans: [InvoicePlan], prefix: String) throws -> [IssuedInvoice] {
        let ids = plans.map(\.invoice.id)
        let voided = try connection.execute(
            "UPDATE invoices SET status = 'voided', voided_at = now() WHERE id = ANY ($1::bigint[]) AND status <> 'voided'",
            [PostgresArray.bigint(ids)])
        guard voided.affected == ids.count else { throw ReprocessError.invoicesChanged(period: plans[0].draft.period.label) }
        try connection.copyIn("""
            COPY wallet_transactions (wallet_id, direction, granted_credits, purchased_credits, reason, invoice_id) FROM STDIN
            """) { copy in
            for plan in plans {
                for credits in plan.invoice.credits {
                    try copy.writeRow([String(credits.walletId), "inbound", credits.granted.description, credits.purchased.description,
                                       "returned by voided invoice \(plan.invoice.number)", String(plan.invoice.id)])
                }
            }
        }
        return try InvoiceWriter(connection: connection).insert(plans.map(\.draft), prefix: prefix)
    }
}

extension WalletBalance {
    /// The balance once `credits` taken from wallets are given back (those of other wallets leave it as it is).
    fileprivate func returning(_ credits: [ReprocessStage.WalletCredits]) -> WalletBalance {
        let given = credits.filter { $0.walletId == walletId }
        return adding(granted: given.reduce(.zero) { $0 + $1.granted }, purchased: given.reduce(.zero) { $0 + $1.purchased })
    }
}
