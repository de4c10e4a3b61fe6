import TallyCore
import TallyPostgres

/// Invoices and their fees. An invoice, its fees and its wallet debits are written together,
/// inside the caller's transaction; a customer has at most one live (not voided) period invoice per
/// period, and a pay-in-advance subscription at most one live start invoice.
public struct InvoiceStore {
    let connection: PostgresConnection

    // MARK: Issuing

    /// The periods (`YYYY-MM`) each customer has a live period invoice for, by customer id (start
    /// invoices left out).
    public func livePeriods() throws -> [Int64: Set<String>] {
        struct Row: Decodable { let customerId: Int64; let period: String }
        var periods: [Int64: Set<String>] = [:]
        for row in try connection.query(
            "SELECT customer_id, period FROM invoices WHERE status <> 'voided' AND starting_subscription_id IS NULL", as: Row.self) {
            periods[row.customerId, default: []].insert(row.period)
        }
        return periods
    }

    /// Each customer's highest invoice sequence so far, by customer id (customers without invoices left out).
    public func lastSequences(customerIds: [Int64]) throws -> [Int64: Int] {
        struct Row: Decodable { let customerId: Int64; let sequence: Int }
        let rows = try connection.query("""
            SELECT customer_id, max(sequential_id) AS sequence FROM invoices
            WHERE customer_id = ANY ($1::bigint[]) GROUP BY customer_id
            """, [customerIds], as: Row.self)
        return Dictionary(rows.map { ($0.customerId, $0.sequence) }, uniquingKeysWith: max)
    }

    /// Writes `issued` (numbered and settled by `InvoiceIssuer`): each invoice with its fees, the
    /// plan each subscription was rated with, and its wallet debits, by COPY. Returns the invoices'
    /// ids, in order.
    @discardableResult
    public func insert(_ issued: [IssuedDraft]) throws -> [Int64] {
        guard !issued.isEmpty else { return [] }
        // The ids, taken in one round trip, so that invoices, fees and debits all go by COPY.
        struct Id: Decodable { let id: Int64 }
        let ids = try connection.query("SELECT nextval('invoices_id_seq') AS id FROM generate_series(1, $1)", [issued.count], as: Id.self)
            .map(\.id)
        guard ids.count == issued.count else {
            throw PostgresDecodingError(query: "nextval('invoices_id_seq')", column: "id", message: "expected \(issued.count) ids, got \(ids.count)")
        }
        try connection.copyIn("""
            COPY invoices (id, number, customer_id, sequential_id, period, period_from, period_to, issuing_date,
                currency, status, payment_status, fees_amount_cents, taxes_amount_cents,
                sub_total_excluding_taxes_amount_cents, sub_total_including_taxes_amount_cents,
                prepaid_credit_amount_cents, prepaid_granted_credit_amount_cents, prepaid_purchased_credit_amount_cents,
                total_amount_cents, starting_subscription_id, coupons_amount_cents, applied_taxes, credit_notes_amount_cents) FROM STDIN
            """) { copy in
            for (id, invoice) in zip(ids, issued) {
                let totals = invoice.totals
                try copy.writeRow([
                    id, invoice.number, invoice.draft.customer.id, invoice.sequentialId, invoice.draft.label, invoice.draft.from, invoice.draft.to,
                    invoice.draft.issuingDate, invoice.draft.currency, InvoiceStatus.finalized.rawValue, invoice.paymentStatus.rawValue,
                    totals.feesAmountCents, totals.taxesAmountCents, totals.subTotalExcludingTaxesAmountCents,
                    totals.subTotalIncludingTaxesAmountCents, totals.prepaidCreditAmountCents,
                    totals.prepaidGrantedCreditAmountCents, totals.prepaidPurchasedCreditAmountCents, totals.totalAmountCents,
                    invoice.draft.startingSubscriptionId, totals.couponsAmountCents, AppliedTax.json(invoice.settlement.appliedTaxes),
                    totals.creditNotesAmountCents,
                ])
            }
        }
        try connection.copyIn("""
            COPY fees (invoice_id, subscription_id, fee_type, item_code, item_name, invoice_display_name,
                filter_invoice_display_name, filters, units, events_count, precise_amount, amount_cents, unpriced,
                from_date, to_date, position, precise_unit_amount, amount_details,
                precise_coupons_amount, taxes_amount_cents, taxes_precise_amount, taxes_rate, applied_taxes) FROM STDIN
            """) { copy in
            for (id, invoice) in zip(ids, issued) {
                for (position, line) in invoice.draft.fees.enumerated() {
                    let fee = line.fee
                    let taxes = position < invoice.settlement.feeTaxes.count ? invoice.settlement.feeTaxes[position] : .none
                    let coupons = position < invoice.settlement.feeCoupons.count ? invoice.settlement.feeCoupons[position] : .zero
                    try copy.writeRow([
                        id, line.subscriptionId, fee.kind.rawValue, fee.itemCode, fee.itemName, fee.invoiceDisplayName,
                        fee.filterInvoiceDisplayName, fee.filters?.json.serialized, fee.units, fee.eventsCount,
                        fee.preciseAmount, fee.amountCents, fee.unpriced, fee.from, fee.to, position,
                        fee.preciseUnitAmount, fee.amountDetails.json.serialized,
                        coupons, taxes.amountCents, taxes.preciseAmount, taxes.rate, AppliedTax.json(taxes.applied),
                    ])
                }
            }
        }
        try connection.copyIn("""
            COPY invoice_subscriptions (invoice_id, subscription_id, plan_id, plan_version, plan_definition,
                                        subscription_from, subscription_to, charges_from, charges_to) FROM STDIN
            """) { copy in
            // A plan version's own definition is in plan_versions: only one with overrides applied is
            // written out, and most subscriptions share a few plans: each definition is encoded once.
            var encoded: [Int64: (plan: RatingPlan, json: String)] = [:]
            for (id, invoice) in zip(ids, issued) {
                for (subscriptionId, plan) in invoice.draft.plans.sorted(by: { $0.key < $1.key }) {
                    let json: String?
                    if plan.isVersionDefinition {
                        json = nil
                    } else if let known = encoded[plan.planId], known.plan == plan {
                        json = known.json
                    } else {
                        let text = try CatalogStore.json(plan.definition)
                        encoded[plan.planId] = (plan, text)
                        json = text
                    }
                    let billed = invoice.draft.billed[subscriptionId]
                    try copy.writeRow([id, subscriptionId, plan.planId, plan.version, json, billed?.subscriptionFrom,
                                       billed?.subscriptionTo, billed?.chargesFrom, billed?.chargesTo])
                }
            }
        }
        try connection.copyIn("COPY credits (invoice_id, applied_coupon_id, credit_note_id, amount_cents, position) FROM STDIN") { copy in
            for (id, invoice) in zip(ids, issued) {
                for (position, credit) in invoice.settlement.credits.enumerated() {
                    try copy.writeRow([id, credit.appliedCouponId, nil as Int64?, credit.amountCents, position])
                }
                let first = invoice.settlement.credits.count
                for (offset, credit) in invoice.settlement.creditNoteCredits.enumerated() {
                    try copy.writeRow([id, nil as Int64?, credit.creditNoteId, credit.amountCents, first + offset])
                }
            }
        }
        // Each invoice's debits, then the threshold top-ups they triggered: grants of their own, not
        // credits the invoice gives back when voided.
        try WalletStore(connection: connection).record(zip(ids, issued).flatMap { id, invoice in
            invoice.debits.map { debit in
                WalletStore.Transaction(walletId: debit.walletId, direction: .outbound, granted: debit.grantedCredits,
                                        purchased: debit.purchasedCredits, reason: "applied to invoice \(invoice.number)", invoiceId: id)
            } + invoice.topUps.map { grant in
                WalletStore.Transaction(walletId: grant.walletId, direction: .inbound, granted: grant.grantedCredits, purchased: .zero,
                                        reason: "threshold top-up after invoice \(invoice.number)", invoiceId: nil)
            }
        })
        return ids
    }

    /// Voids the live invoices `invoices` (id and number): each keeps its number, and the wallet
    /// credits it took (`credits`, by invoice id) go back to their wallets. Throws
    /// `InvoicesChanged` when one was no longer live.
    public func void(_ invoices: [(id: Int64, number: String)], returning credits: [Int64: [WalletCredits]]) throws {
        let voided = try connection.execute(
            "UPDATE invoices SET status = 'voided', voided_at = now() WHERE id = ANY ($1::bigint[]) AND status <> 'voided'",
            [invoices.map(\.id)])
        guard voided == invoices.count else { throw InvoicesChanged() }
        try WalletStore(connection: connection).record(invoices.flatMap { invoice in
            (credits[invoice.id] ?? []).map { taken in
                WalletStore.Transaction(walletId: taken.walletId, direction: .inbound, granted: taken.granted, purchased: taken.purchased,
                                        reason: "returned by voided invoice \(invoice.number)", invoiceId: invoice.id)
            }
        })
    }

    /// Invoices to void were voided by another process meanwhile.
    public struct InvoicesChanged: Error {}

    // MARK: Reading

    /// The amounts each applied coupon of `customerIds` took from live invoices, by applied coupon
    /// id, in invoice order; the credits of the invoices `excluding` are left out (about to be voided).
    public func couponCredits(customerIds: [Int64], excluding: [Int64] = []) throws -> [Int64: [Int64]] {
        struct Row: Decodable { let appliedCouponId: Int64; let amountCents: Int64 }
        var credits: [Int64: [Int64]] = [:]
        try connection.forEachRow("""
            SELECT c.applied_coupon_id, c.amount_cents FROM credits c
            JOIN applied_coupons a ON a.id = c.applied_coupon_id JOIN invoices i ON i.id = c.invoice_id
            WHERE a.customer_id = ANY ($1::bigint[]) AND i.status <> 'voided' AND i.id <> ALL ($2::bigint[])
            ORDER BY c.invoice_id, c.position
            """, [customerIds, excluding], as: Row.self) { row in credits[row.appliedCouponId, default: []].append(row.amountCents) }
        return credits
    }

    /// The live period invoices of `period` (`YYYY-MM`), with their fees, in number order: start
    /// invoices left out.
    public func live(period: String) throws -> [InvoiceRecord] {
        try read(Self.liveOfPeriod, [period])
    }

    /// The invoices numbered `numbers`, with their fees, in number order.
    public func records(numbers: [String]) throws -> [InvoiceRecord] {
        try read(Self.byNumbers, [numbers])
    }

    /// Every invoice of `period` (`YYYY-MM`) but those numbered `excluded`, with their fees, in number order.
    public func records(period: String, excluding excluded: [String]) throws -> [InvoiceRecord] {
        try read(Self.ofPeriodExcept, [period, excluded])
    }

    /// The plan each subscription of the invoices `invoiceIds` was rated with, by invoice id then
    /// subscription id. Invoices issued before plan versions were kept (schema version 8) have none.
    public func ratedPlans(invoiceIds: [Int64]) throws -> [Int64: [Int64: RatingPlan]] {
        struct Row: Decodable {
            let invoiceId: Int64; let subscriptionId: Int64; let planId: Int64; let planVersion: Int; let planDefinition: String
            let isVersionDefinition: Bool
        }
        var plans: [Int64: [Int64: RatingPlan]] = [:]
        for row in try connection.query("""
            SELECT s.invoice_id, s.subscription_id, s.plan_id, s.plan_version,
                   coalesce(s.plan_definition, v.definition)::text AS plan_definition,
                   s.plan_definition IS NULL AS is_version_definition
            FROM invoice_subscriptions s
            LEFT JOIN plan_versions v ON v.plan_id = s.plan_id AND v.version = s.plan_version
            WHERE s.invoice_id = ANY ($1::bigint[])
            """, [invoiceIds], as: Row.self) {
            let definition = try CatalogStore.decode(Plan.self, row.planDefinition, table: "invoice subscription",
                                                     key: "invoice \(row.invoiceId), subscription \(row.subscriptionId)")
            plans[row.invoiceId, default: [:]][row.subscriptionId] = RatingPlan(
                planId: row.planId, version: row.planVersion, definition: definition, isVersionDefinition: row.isVersionDefinition)
        }
        return plans
    }

    /// Every invoice of `period`, voided ones included, in number order.
    public func summary(period: String) throws -> [InvoiceSummaryRow] {
        struct Row: Decodable {
            let number: String, customer: String, currency: String, status: InvoiceStatus
            let feesAmountCents: Int64, prepaidCreditAmountCents: Int64, totalAmountCents: Int64
            var summary: InvoiceSummaryRow {
                InvoiceSummaryRow(number: number, customer: customer, currency: currency, status: status,
                                  feesAmountCents: feesAmountCents, prepaidCreditAmountCents: prepaidCreditAmountCents,
                                  totalAmountCents: totalAmountCents)
            }
        }
        return try connection.query("""
            SELECT i.number, c.external_id AS customer, i.currency, i.status, i.fees_amount_cents,
                   i.prepaid_credit_amount_cents, i.total_amount_cents
            FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE i.period = $1 ORDER BY i.number
            """, [period], as: Row.self).map(\.summary)
    }

    // MARK: Invoice records

    /// Which invoices `read` reads: a condition on `i` (invoices), and its parameters.
    private static let liveOfPeriod: StaticString = "i.period = $1 AND i.status <> 'voided' AND i.starting_subscription_id IS NULL"
    private static let byNumbers: StaticString = "i.number = ANY ($1::text[])"
    private static let ofPeriodExcept: StaticString = "i.period = $1 AND i.number <> ALL ($2::text[])"

    private func read(_ condition: StaticString, _ parameters: [any PostgresEncodable]) throws -> [InvoiceRecord] {
        let headers = try connection.query("""
            SELECT i.id, i.lago_id, i.sequential_id, i.number, i.customer_id, i.period, i.issuing_date, i.currency,
                   i.status, i.payment_status, i.fees_amount_cents, i.taxes_amount_cents,
                   i.sub_total_excluding_taxes_amount_cents, i.sub_total_including_taxes_amount_cents,
                   i.prepaid_credit_amount_cents, i.prepaid_granted_credit_amount_cents,
                   i.prepaid_purchased_credit_amount_cents, i.total_amount_cents, i.voided_at, i.created_at,
                   i.period_to, i.starting_subscription_id, i.coupons_amount_cents, i.applied_taxes::text AS applied_taxes,
                   i.credit_notes_amount_cents
            FROM invoices i WHERE \(condition) ORDER BY i.number
            """, parameters, as: HeaderRow.self)
        guard !headers.isEmpty else { return [] }
        var fees: [Int64: [InvoiceRecord.Fee]] = [:]
        for row in try connection.query("""
            SELECT f.invoice_id, f.lago_id, f.subscription_id, f.fee_type, f.item_code, f.item_name, f.invoice_display_name,
                   f.filter_invoice_display_name, f.filters::text AS filters, f.units, f.events_count, f.precise_amount, f.amount_cents,
                   f.from_date, f.to_date, f.precise_unit_amount, f.amount_details::text AS amount_details,
                   f.precise_coupons_amount, f.taxes_amount_cents, f.taxes_precise_amount, f.taxes_rate,
                   f.applied_taxes::text AS applied_taxes
            FROM fees f WHERE f.invoice_id = ANY ($1::bigint[]) ORDER BY f.invoice_id, f.position
            """, [headers.map(\.id)], as: FeeRow.self) {
            fees[row.invoiceId, default: []].append(try row.fee())
        }
        var billed: [Int64: [Int64: BilledPeriod]] = [:]
        struct BilledRow: Decodable {
            let invoiceId: Int64, subscriptionId: Int64
            let subscriptionFrom: UTCInstant, subscriptionTo: UTCInstant, chargesFrom: UTCInstant, chargesTo: UTCInstant
        }
        for row in try connection.query("""
            SELECT invoice_id, subscription_id, subscription_from, subscription_to, charges_from, charges_to
            FROM invoice_subscriptions WHERE invoice_id = ANY ($1::bigint[]) AND subscription_from IS NOT NULL
            """, [headers.map(\.id)], as: BilledRow.self) {
            billed[row.invoiceId, default: [:]][row.subscriptionId] = BilledPeriod(
                subscriptionFrom: row.subscriptionFrom, subscriptionTo: row.subscriptionTo, chargesFrom: row.chargesFrom,
                chargesTo: row.chargesTo)
        }
        var credits: [Int64: [InvoiceRecord.Credit]] = [:]
        struct CreditRow: Decodable {
            let invoiceId: Int64; let lagoId: String; let appliedCouponId: Int64?; let creditNoteId: Int64?; let amountCents: Int64
            let creditNoteLagoId: String?; let creditNoteNumber: String?
        }
        for row in try connection.query("""
            SELECT c.invoice_id, c.lago_id, c.applied_coupon_id, c.credit_note_id, c.amount_cents,
                   n.lago_id::text AS credit_note_lago_id, n.number AS credit_note_number
            FROM credits c LEFT JOIN credit_notes n ON n.id = c.credit_note_id WHERE c.invoice_id = ANY ($1::bigint[])
            ORDER BY c.invoice_id, c.position
            """, [headers.map(\.id)], as: CreditRow.self) {
            var credit = InvoiceRecord.Credit(lagoId: row.lagoId, appliedCouponId: row.appliedCouponId, amountCents: row.amountCents)
            if let id = row.creditNoteId, let lagoId = row.creditNoteLagoId, let number = row.creditNoteNumber {
                credit.creditNote = (id, lagoId, number)
            }
            credits[row.invoiceId, default: []].append(credit)
        }
        return try headers.map {
            InvoiceRecord(header: try $0.header, fees: fees[$0.id] ?? [], billed: billed[$0.id] ?? [:], credits: credits[$0.id] ?? [])
        }
    }

    private struct HeaderRow: Decodable {
        let id: Int64, lagoId: String, sequentialId: Int, number: String, customerId: Int64, period: String
        let issuingDate: String, currency: String, status: InvoiceStatus, paymentStatus: PaymentStatus
        let feesAmountCents: Int64, taxesAmountCents: Int64
        let subTotalExcludingTaxesAmountCents: Int64, subTotalIncludingTaxesAmountCents: Int64
        let prepaidCreditAmountCents: Int64, prepaidGrantedCreditAmountCents: Int64, prepaidPurchasedCreditAmountCents: Int64
        let totalAmountCents: Int64, voidedAt: UTCInstant?, createdAt: UTCInstant
        let periodTo: UTCInstant, startingSubscriptionId: Int64?
        let couponsAmountCents: Int64, appliedTaxes: String?, creditNotesAmountCents: Int64

        var header: InvoiceRecord.Header {
            get throws {
                var header = InvoiceRecord.Header(
                id: id, lagoId: lagoId, sequentialId: sequentialId, number: number, customerId: customerId, period: period,
                issuingDate: issuingDate, currency: currency, status: status, paymentStatus: paymentStatus,
                feesAmountCents: feesAmountCents, taxesAmountCents: taxesAmountCents,
                subTotalExcludingTaxesAmountCents: subTotalExcludingTaxesAmountCents,
                subTotalIncludingTaxesAmountCents: subTotalIncludingTaxesAmountCents,
                prepaidCreditAmountCents: prepaidCreditAmountCents, prepaidGrantedCreditAmountCents: prepaidGrantedCreditAmountCents,
                prepaidPurchasedCreditAmountCents: prepaidPurchasedCreditAmountCents, totalAmountCents: totalAmountCents,
                voidedAt: voidedAt, createdAt: createdAt, periodTo: periodTo, startingSubscriptionId: startingSubscriptionId)
                header.couponsAmountCents = couponsAmountCents
                header.creditNotesAmountCents = creditNotesAmountCents
                guard let taxes = AppliedTax.list(json: appliedTaxes) else {
                    throw PostgresDecodingError(query: "invoice \(number)", column: "applied_taxes", message: "\(appliedTaxes ?? "") is not a list of taxes")
                }
                header.appliedTaxes = taxes
                return header
            }
        }
    }

    private struct FeeRow: Decodable {
        let invoiceId: Int64, lagoId: String, subscriptionId: Int64, feeType: DraftFee.Kind, itemCode: String, itemName: String
        let invoiceDisplayName: String?, filterInvoiceDisplayName: String?, filters: String?
        let units: ExactDecimal, eventsCount: Int, preciseAmount: ExactDecimal, amountCents: Int64
        let fromDate: UTCInstant, toDate: UTCInstant
        let preciseUnitAmount: ExactDecimal?, amountDetails: String?
        let preciseCouponsAmount: ExactDecimal, taxesAmountCents: Int64, taxesPreciseAmount: ExactDecimal, taxesRate: ExactDecimal
        let appliedTaxes: String?

        func fee() throws -> InvoiceRecord.Fee {
            var details: AmountDetails?
            if let amountDetails {
                guard let parsed = try? JSONParser.parse(amountDetails) else {
                    throw PostgresDecodingError(query: "fees of invoice \(invoiceId)", column: "amount_details",
                                                message: "\(amountDetails) is not JSON")
                }
                details = AmountDetails(json: parsed)
            }
            var conditions: [FilterCondition]?
            if let filters {
                guard let parsed = (try? JSONParser.parse(filters)).flatMap({ [FilterCondition](json: $0) }) else {
                    throw PostgresDecodingError(query: "fees of invoice \(invoiceId)", column: "filters",
                                                message: "\(filters) is not an object of value lists")
                }
                conditions = parsed
            }
            var fee = InvoiceRecord.Fee(
                lagoId: lagoId, subscriptionId: subscriptionId, kind: feeType, itemCode: itemCode, itemName: itemName,
                invoiceDisplayName: invoiceDisplayName, filterInvoiceDisplayName: filterInvoiceDisplayName, filters: conditions,
                units: units, eventsCount: eventsCount, preciseAmount: preciseAmount, amountCents: amountCents,
                from: fromDate, to: toDate, preciseUnitAmount: preciseUnitAmount, amountDetails: details)
            guard let applied = AppliedTax.list(json: appliedTaxes) else {
                throw PostgresDecodingError(query: "fees of invoice \(invoiceId)", column: "applied_taxes",
                                            message: "\(appliedTaxes ?? "") is not a list of taxes")
            }
            fee.preciseCouponsAmount = preciseCouponsAmount
            fee.taxes = FeeTaxes(applied: applied, rate: taxesRate, preciseAmount: taxesPreciseAmount, amountCents: taxesAmountCents)
            return fee
        }
    }
}
