import Testing
import TallyCore

/// Numbering and wallet settlement across a batch of drafts, without a database.
@Suite struct InvoiceIssuerTests {
    let catalog: StoredCatalog
    let acme: StoredCatalog.CustomerRecord
    let globex: StoredCatalog.CustomerRecord

    init() throws {
        catalog = try HandBuilt.catalog()
        acme = try #require(catalog.customer(id: HandBuilt.acmeId))
        globex = try #require(catalog.customer(id: HandBuilt.globexId))
    }

    /// The customer's draft for `month` of 2026 without usage: $100 plan fee per subscription
    /// (Acme holds two, Globex one), all started before October.
    func draft(_ customer: StoredCatalog.CustomerRecord, month: Int) throws -> InvoiceDraft {
        let period = try HandBuilt.period(2026, month, customer.billingTimezone)
        return try #require(try InvoiceDraft.rate(customer: customer, period: period, catalog: catalog, usage: [:])).draft
    }

    func wallet(_ id: Int64, granted: String = "0", purchased: String = "0") throws -> WalletBalance {
        WalletBalance(walletId: id, priority: 50, createdOrder: id, currency: "USD", rateAmount: ExactDecimal(1),
                      grantedCredits: try HandBuilt.decimal(granted), purchasedCredits: try HandBuilt.decimal(purchased))
    }

    @Test func theDraftsAreWhatTheseTestsAssume() throws {
        #expect(try draft(acme, month: 10).fees.map(\.fee.amountCents) == [10_000, 10_000])
        #expect(try draft(globex, month: 10).fees.map(\.fee.amountCents) == [10_000])
        #expect(catalog.documentNumberPrefix == "MIS")
    }

    @Test func numbersContinueEachCustomersSequence() throws {
        var issuer = InvoiceIssuer(prefix: "MIS", lastSequences: [HandBuilt.acmeId: 2], wallets: [:])
        let acmeInvoice = try issuer.issue(try draft(acme, month: 10))
        #expect(acmeInvoice.number == "MIS-001-003")
        #expect(acmeInvoice.sequentialId == 3)
        // Globex has no invoice yet: its sequence starts at 1, whatever Acme's is.
        let globexInvoice = try issuer.issue(try draft(globex, month: 10))
        #expect(globexInvoice.number == "MIS-002-001")
        #expect(globexInvoice.sequentialId == 1)
    }

    @Test func twoInvoicesOfOneCustomerInOneBatchGetConsecutiveNumbers() throws {
        var issuer = InvoiceIssuer(prefix: "MIS", lastSequences: [HandBuilt.acmeId: 2], wallets: [:])
        let october = try issuer.issue(try draft(acme, month: 10))
        let globexOctober = try issuer.issue(try draft(globex, month: 10))
        let november = try issuer.issue(try draft(acme, month: 11))
        #expect([october.number, november.number] == ["MIS-001-003", "MIS-001-004"])
        #expect(globexOctober.number == "MIS-002-001")
        #expect(november.summary.period == "2026-11")
        #expect(november.summary.customer == "acme")
    }

    @Test func theSecondInvoiceOfABatchSeesTheBalanceTheFirstLeft() throws {
        // $300 of credits ($100 granted, $200 purchased) for two invoices of $200.
        var issuer = InvoiceIssuer(
            prefix: "MIS", lastSequences: [:],
            wallets: [HandBuilt.acmeId: [try wallet(5, granted: "100", purchased: "200")]])
        let october = try issuer.issue(try draft(acme, month: 10))
        #expect(october.totals.feesAmountCents == 20_000)
        #expect(october.totals.prepaidGrantedCreditAmountCents == 10_000)
        #expect(october.totals.prepaidPurchasedCreditAmountCents == 10_000)
        #expect(october.totals.totalAmountCents == 0)
        #expect(october.debits.map(\.walletId) == [5])

        let november = try issuer.issue(try draft(acme, month: 11))
        #expect(november.totals.feesAmountCents == 20_000)
        #expect(november.totals.prepaidCreditAmountCents == 10_000, "only the $100 October left")
        #expect(november.totals.prepaidGrantedCreditAmountCents == 0, "October took every granted credit")
        #expect(november.totals.totalAmountCents == 10_000)
        #expect(november.debits == [WalletDebit(walletId: 5, grantedCredits: .zero, purchasedCredits: ExactDecimal(100),
                                                grantedAmountCents: 0, purchasedAmountCents: 10_000)])

        let december = try issuer.issue(try draft(acme, month: 12))
        #expect(december.debits.isEmpty, "the wallet is empty")
        #expect(december.totals.totalAmountCents == 20_000)
    }

    @Test func aCustomerSpendsOnlyItsOwnWallets() throws {
        var issuer = InvoiceIssuer(
            prefix: "MIS", lastSequences: [:],
            wallets: [HandBuilt.acmeId: [try wallet(5, purchased: "50")], HandBuilt.globexId: [try wallet(6, purchased: "30")]])
        let globexInvoice = try issuer.issue(try draft(globex, month: 10))
        #expect(globexInvoice.debits.map(\.walletId) == [6])
        #expect(globexInvoice.totals.prepaidCreditAmountCents == 3_000)
        let acmeInvoice = try issuer.issue(try draft(acme, month: 10))
        #expect(acmeInvoice.debits.map(\.walletId) == [5])
        #expect(acmeInvoice.totals.prepaidCreditAmountCents == 5_000, "Globex's invoice left Acme's wallet whole")
    }

    @Test func paymentIsSucceededExactlyWhenNothingIsLeftToPay() throws {
        let period = try HandBuilt.period(2026, 10, acme.billingTimezone)
        var issuer = InvoiceIssuer(
            prefix: "MIS", lastSequences: [:],
            wallets: [HandBuilt.acmeId: [try wallet(5, purchased: "250")], HandBuilt.globexId: [try wallet(6, purchased: "99.99")]])

        let empty = try issuer.issue(InvoiceDraft(customer: acme, period: period, currency: "USD", fees: []))
        #expect(empty.totals.totalAmountCents == 0)
        #expect(empty.paymentStatus == .succeeded)

        let covered = try issuer.issue(try draft(acme, month: 10))  // $200 of $250
        #expect(covered.totals.totalAmountCents == 0)
        #expect(covered.paymentStatus == .succeeded)

        let partly = try issuer.issue(try draft(acme, month: 11))  // $200, $50 left
        #expect(partly.totals.totalAmountCents == 15_000)
        #expect(partly.paymentStatus == .pending)

        let oneCentShort = try issuer.issue(try draft(globex, month: 10))  // $100, $99.99 held
        #expect(oneCentShort.totals.totalAmountCents == 1)
        #expect(oneCentShort.paymentStatus == .pending)

        var withoutWallets = InvoiceIssuer(prefix: "MIS", lastSequences: [:], wallets: [:])
        let unpaid = try withoutWallets.issue(try draft(globex, month: 10))
        #expect(unpaid.totals.totalAmountCents == 10_000)
        #expect(unpaid.paymentStatus == .pending)
    }
}
