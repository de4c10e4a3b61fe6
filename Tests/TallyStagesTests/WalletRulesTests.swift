import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md (wallets): a wallet's `expiration_at` stops it paying invoices of periods that end
/// at or after it; its threshold rule tops it up when an invoice leaves it at or below the threshold.
@Suite struct WalletRulesTests {
    @Test func anExpiredWalletPaysNothing() throws {
        let db = try TestDatabase()
        let wallet = CloseCatalog.wallet("expiring", customer: "cust", granted: "100")
            .replacingOccurrences(of: #""rate_amount""#, with: #""expiration_at": "2026-11-15T00:00:00Z", "rate_amount""#)
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("base", amountCents: 1_000, charges: [])],
            customers: [CloseCatalog.customer("cust")],
            subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "base", at: "2026-10-01T00:00:00Z")],
            wallets: [wallet]))
        for month in 10...11 { _ = try db.close(.month(year: 2026, month: month)) }
        // October ends before the expiration: the wallet pays its 10.00; November ends after it: nothing.
        let invoices = try db.invoices().filter { $0.customer == "cust" }
        #expect(invoices.map(\.prepaidCreditAmountCents) == [1_000, 0])
        #expect(invoices.map(\.totalAmountCents) == [0, 1_000])
    }

    @Test func aThresholdRuleTopsUpTheWalletAfterTheInvoiceThatDrainsIt() throws {
        let db = try TestDatabase()
        func catalog(rule: String) -> String {
            CloseCatalog.document(
                plans: [CloseCatalog.plan("base", amountCents: 1_000, charges: [])],
                customers: [CloseCatalog.customer("cust")],
                subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "base", at: "2026-10-01T00:00:00Z")],
                wallets: [CloseCatalog.wallet("auto", customer: "cust", granted: "15")
                    .replacingOccurrences(of: #""rate_amount""#, with: #""recurring_transaction_rules": [\#(rule)], "rate_amount""#)])
        }
        let interval = #"{"trigger": "interval", "interval": "monthly", "granted_credits": "10"}"#
        let errors = try #require(throws: CatalogErrors.self) { try db.applyCatalog(catalog(rule: interval)) }
        #expect(errors.errors.map(\.path) == ["wallets[0].recurring_transaction_rules[0].trigger"])
        try db.applyCatalog(catalog(rule: #"{"trigger": "threshold", "threshold_credits": "5", "granted_credits": "10"}"#))
        for month in 10...11 { _ = try db.close(.month(year: 2026, month: month)) }
        // 15 credits: October takes 10, leaving 5, at the threshold: 10 more; November the same.
        #expect(try db.invoices().map(\.prepaidCreditAmountCents) == [1_000, 1_000])
        let transactions = try db.walletTransactions()
        #expect(transactions.map(\.direction) == ["inbound", "outbound", "inbound", "outbound", "inbound"])
        #expect(transactions.map(\.grantedCredits) == [15, 10, 10, 10, 10])
        #expect(transactions.map(\.invoiceNumber) == [nil, "TST-001-001", nil, "TST-001-002", nil])
    }
}
