import TallyCore
import TallyPostgres

/// What the live invoices say of plan fees billed in advance (docs/BILLING.md, pay-in-advance plan fees).
extension InvoiceStore {
    /// The subscriptions (store ids) some live invoice bills or rated: the ones a start invoice is no
    /// longer due for.
    public func billedSubscriptionIds() throws -> Set<Int64> {
        struct Row: Decodable { let subscriptionId: Int64 }
        let rows = try connection.query("""
            SELECT s.subscription_id FROM invoice_subscriptions s JOIN invoices i ON i.id = s.invoice_id
            WHERE i.status <> 'voided'
            UNION
            SELECT f.subscription_id FROM fees f JOIN invoices i ON i.id = f.invoice_id
            WHERE i.status <> 'voided'
            """, as: Row.self)
        return Set(rows.map(\.subscriptionId))
    }

    /// For the subscriptions `subscriptionIds` and the month labelled `period`: which already had
    /// that month's plan fee billed ahead (on their live start invoice of that month, or as the
    /// advance fee of a live invoice of `previous`), and which already had the fee of `next` billed
    /// in arrears (its period invoice issued first). Subscriptions with neither are left out.
    public func advanceBilling(subscriptionIds: [Int64], period: String, previous: String, next: String) throws -> [Int64: AdvanceBilling] {
        guard !subscriptionIds.isEmpty else { return [:] }
        struct Row: Decodable { let subscriptionId: Int64; let periodFeeBilled: Bool; let nextFeeBilled: Bool }
        var billing: [Int64: AdvanceBilling] = [:]
        for row in try connection.query("""
            SELECT f.subscription_id,
                   bool_or((i.starting_subscription_id IS NOT NULL AND i.period = $2)
                           OR (i.starting_subscription_id IS NULL AND i.period = $3 AND f.from_date > i.period_to)) AS period_fee_billed,
                   bool_or(i.starting_subscription_id IS NULL AND i.period = $4 AND f.from_date <= i.period_to) AS next_fee_billed
            FROM fees f JOIN invoices i ON i.id = f.invoice_id
            WHERE i.status <> 'voided' AND f.fee_type = 'subscription' AND f.subscription_id = ANY ($1::bigint[])
              AND i.period IN ($2, $3, $4)
            GROUP BY f.subscription_id
            """, [subscriptionIds, period, previous, next], as: Row.self) {
            billing[row.subscriptionId] = AdvanceBilling(periodFeeBilled: row.periodFeeBilled, nextFeeBilled: row.nextFeeBilled)
        }
        return billing
    }
}
