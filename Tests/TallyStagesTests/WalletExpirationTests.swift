import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md (wallets): a wallet's `expiration_at` stops it paying invoices of periods that end
/// at or after it.
@Suite struct WalletExpirationTests {
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
}
