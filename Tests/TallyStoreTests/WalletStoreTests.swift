import Testing
import TallyCore
import TallyPostgres
@testable import TallyStore

/// Wallet transactions: balances as the sum of a wallet's movements, the debits an issued invoice
/// takes, and the credits voiding it gives back.
@Suite struct WalletStoreTests {
    static let october = utcPeriod(2026, 10)

    static func wallet(_ name: String, rate: String = "1", priority: Int = 1) -> Wallet {
        Wallet(externalCustomerId: "alpha", name: name, currency: "USD", rateAmount: decimal(rate), priority: priority)
    }

    static func grant(_ walletId: Int64, granted: String = "0", purchased: String = "0", invoiceId: Int64? = nil) -> WalletStore.Transaction {
        WalletStore.Transaction(walletId: walletId, direction: .inbound, granted: decimal(granted), purchased: decimal(purchased),
                                reason: "granted by the test", invoiceId: invoiceId)
    }

    static func balance(_ walletId: Int64, priority: Int = 1, rate: String = "1", granted: String, purchased: String) -> WalletBalance {
        WalletBalance(walletId: walletId, priority: priority, createdOrder: walletId, currency: "USD", rateAmount: decimal(rate),
                      grantedCredits: decimal(granted), purchasedCredits: decimal(purchased))
    }

    /// The small catalog, with alpha's wallet `Prepaid` (rate 1, priority 1) holding 10 granted and
    /// 100 purchased credits: 110.00 USD.
    static func prepaid() throws -> (db: TestStore, catalog: StoredCatalog, alpha: Int64, wallet: Int64) {
        let db = try TestStore()
        let catalog = try SmallCatalog.save(in: db.store)
        let alpha = try catalog.requireCustomer("alpha").id
        let wallet = try db.store.catalog.create(Self.wallet("Prepaid"), customerId: alpha)
        try db.store.wallets.record([Self.grant(wallet, granted: "10", purchased: "100")])
        return (db, catalog, alpha, wallet)
    }

    @Test func aWalletsBalanceIsTheSumOfItsTransactions() throws {
        let db = try TestStore()
        let catalog = try SmallCatalog.save(in: db.store)
        let alpha = try catalog.requireCustomer("alpha").id, beta = try catalog.requireCustomer("beta").id
        let promo = try db.store.catalog.create(Self.wallet("Promo", rate: "0.5", priority: 2), customerId: alpha)
        let prepaid = try db.store.catalog.create(Self.wallet("Prepaid"), customerId: alpha)
        #expect(try db.store.wallets.balances(customerIds: [alpha, beta]) == [alpha: [
            Self.balance(promo, priority: 2, rate: "0.5", granted: "0", purchased: "0"),
            Self.balance(prepaid, granted: "0", purchased: "0"),
        ]], "wallets without transactions hold nothing; customers without wallets are left out")

        try db.store.wallets.record([
            Self.grant(promo, granted: "5", purchased: "10"),
            Self.grant(prepaid, granted: "0.333333333333"),
            WalletStore.Transaction(walletId: promo, direction: .outbound, granted: ExactDecimal(1), purchased: decimal("2.5"),
                                    reason: "taken by the test", invoiceId: nil),
        ])
        #expect(try db.store.wallets.balances(customerIds: [alpha, beta]) == [alpha: [
            Self.balance(promo, priority: 2, rate: "0.5", granted: "4", purchased: "7.5"),
            Self.balance(prepaid, granted: "0.333333333333", purchased: "0"),
        ]])
        #expect(try db.store.wallets.balances(customerIds: [beta]) == [:])
        try db.store.wallets.record([])
        #expect(try db.count("wallet_transactions") == 3, "recording nothing writes nothing")
    }

    @Test func anIssuedInvoicesDebitsLowerTheBalanceByTheCreditsItTook() throws {
        let (db, catalog, alpha, wallet) = try Self.prepaid()
        // 31.00 due: the 10 granted credits (10.00) go first, then 21 of the purchased ones (21.00).
        let (issued, ids) = try db.issue([try db.draft("alpha", Self.october, catalog: catalog, usage: try SmallCatalog.alphaUsage(catalog)),
                                          try db.draft("beta", Self.october, catalog: catalog)])
        #expect(issued[0].debits == [WalletDebit(walletId: wallet, grantedCredits: ExactDecimal(10), purchasedCredits: ExactDecimal(21),
                                                 grantedAmountCents: 10_00, purchasedAmountCents: 21_00)])

        let records = try db.store.invoices.records(numbers: issued.map(\.number))
        try #require(records.count == 2)
        let header = records[0].header
        #expect((header.feesAmountCents, header.prepaidCreditAmountCents, header.prepaidGrantedCreditAmountCents,
                 header.prepaidPurchasedCreditAmountCents, header.totalAmountCents) == (31_00, 31_00, 10_00, 21_00, 0))
        #expect(header.paymentStatus == .succeeded, "nothing is left to pay")
        #expect(records[1].header.paymentStatus == .pending, "beta has no wallet")
        #expect(records[1].header.totalAmountCents == 10_00)

        #expect(try db.store.wallets.balances(customerIds: [alpha]) == [alpha: [Self.balance(wallet, granted: "0", purchased: "79")]])
        #expect(try db.store.wallets.creditsTaken(invoiceIds: ids)
                == [ids[0]: [WalletCredits(walletId: wallet, granted: ExactDecimal(10), purchased: ExactDecimal(21))]])
        #expect(try db.rows("""
            SELECT direction, granted_credits::text, purchased_credits::text, reason FROM wallet_transactions WHERE invoice_id = $1
            """, [ids[0]]) == [["outbound", "10", "21", "applied to invoice ACM-001-001"]])
    }

    @Test func voidingAnInvoiceReturnsTheCreditsItTookAndVoidingItAgainIsRefused() throws {
        let (db, catalog, alpha, wallet) = try Self.prepaid()
        let (issued, ids) = try db.issue([try db.draft("alpha", Self.october, catalog: catalog, usage: try SmallCatalog.alphaUsage(catalog))])
        let number = issued[0].number
        let taken = try db.store.wallets.creditsTaken(invoiceIds: ids)
        #expect(try db.store.wallets.balances(customerIds: [alpha]) == [alpha: [Self.balance(wallet, granted: "0", purchased: "79")]])

        try db.store.transaction { try db.store.invoices.void([(ids[0], number)], returning: taken) }
        let record = try #require(try db.store.invoices.records(numbers: [number]).first)
        #expect(record.header.status == .voided)
        #expect(record.header.voidedAt != nil)
        #expect(record.fees.count == 4, "a voided invoice keeps its fees")
        #expect(try db.store.invoices.livePeriods() == [:])
        #expect(try db.store.wallets.balances(customerIds: [alpha]) == [alpha: [Self.balance(wallet, granted: "10", purchased: "100")]],
                "the balance is back to what it was before the invoice")
        #expect(try db.store.wallets.creditsTaken(invoiceIds: ids) == [:], "the invoice took nothing it did not give back")
        #expect(try db.rows("""
            SELECT direction, granted_credits::text, purchased_credits::text, reason FROM wallet_transactions
            WHERE invoice_id = $1 ORDER BY id
            """, [ids[0]]) == [["outbound", "10", "21", "applied to invoice ACM-001-001"],
                               ["inbound", "10", "21", "returned by voided invoice ACM-001-001"]])

        let transactions = try db.count("wallet_transactions")
        #expect(throws: InvoiceStore.InvoicesChanged.self) {
            try db.store.transaction { try db.store.invoices.void([(ids[0], number)], returning: taken) }
        }
        #expect(try db.count("wallet_transactions") == transactions, "no credits returned twice")
        #expect(try db.store.wallets.balances(customerIds: [alpha]) == [alpha: [Self.balance(wallet, granted: "10", purchased: "100")]])
    }

    @Test func voidingSeveralInvoicesOfWhichOneIsNoLongerLiveVoidsNone() throws {
        let (db, catalog, alpha, wallet) = try Self.prepaid()
        let (issued, ids) = try db.issue([try db.draft("alpha", Self.october, catalog: catalog, usage: try SmallCatalog.alphaUsage(catalog)),
                                          try db.draft("beta", Self.october, catalog: catalog)])
        try db.store.transaction { try db.store.invoices.void([(ids[1], issued[1].number)], returning: [:]) }
        let taken = try db.store.wallets.creditsTaken(invoiceIds: ids)

        #expect(throws: InvoiceStore.InvoicesChanged.self) {
            try db.store.transaction {
                try db.store.invoices.void([(ids[0], issued[0].number), (ids[1], issued[1].number)], returning: taken)
            }
        }
        #expect(try db.store.invoices.records(numbers: [issued[0].number]).map(\.header.status) == [.finalized])
        #expect(try db.store.wallets.balances(customerIds: [alpha]) == [alpha: [Self.balance(wallet, granted: "0", purchased: "79")]])
    }

    @Test func creditsTakenAreNetOfReturnsPerWalletInTheOrderTaken() throws {
        let db = try TestStore()
        let catalog = try SmallCatalog.save(in: db.store)
        let alpha = try catalog.requireCustomer("alpha").id
        // Created first (the lower id) but used second, by priority.
        let big = try db.store.catalog.create(Self.wallet("Big", priority: 2), customerId: alpha)
        let small = try db.store.catalog.create(Self.wallet("Small", priority: 1), customerId: alpha)
        try db.store.wallets.record([Self.grant(big, purchased: "100"), Self.grant(small, granted: "5")])

        // 31.00 due: all 5 credits of Small (5.00), then 26 purchased credits of Big.
        let (_, ids) = try db.issue([try db.draft("alpha", Self.october, catalog: catalog, usage: try SmallCatalog.alphaUsage(catalog))])
        let id = ids[0]
        #expect(try db.store.wallets.creditsTaken(invoiceIds: [id]) == [id: [
            WalletCredits(walletId: small, granted: ExactDecimal(5), purchased: .zero),
            WalletCredits(walletId: big, granted: .zero, purchased: ExactDecimal(26)),
        ]])

        try db.store.wallets.record([Self.grant(small, granted: "5", invoiceId: id)])
        #expect(try db.store.wallets.creditsTaken(invoiceIds: [id]) == [id: [WalletCredits(walletId: big, granted: .zero, purchased: ExactDecimal(26))]],
                "a wallet that got everything back is left out")
        try db.store.wallets.record([Self.grant(big, purchased: "6", invoiceId: id)])
        #expect(try db.store.wallets.creditsTaken(invoiceIds: [id]) == [id: [WalletCredits(walletId: big, granted: .zero, purchased: ExactDecimal(20))]])
        #expect(try db.store.wallets.creditsTaken(invoiceIds: []) == [:])
    }
}
