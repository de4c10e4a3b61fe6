import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md (invoices, wallets) through the pipeline: prepaid credits applied at close, by
/// currency, priority and creation order, granted before purchased, as outbound wallet transactions
/// linked to the invoice.
///
/// Every invoice here is one small-input fee of 5,000,000 tokens: 5 packages × 1.00 USD = 500 cents.
@Suite struct CloseWalletTests {
    static let invoiceCents: Int64 = Int64(packages(5_000_000, size: 1_000_000) * 100)

    static func customerWithWallets(_ wallets: [String], currency: String? = "USD") throws -> TestDatabase {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("cust", currency: currency)],
            subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "tokens", at: "2026-10-01T00:00:00Z")],
            wallets: wallets))
        try db.ingestAccepted([tokenEvent("e", subscription: "sub", at: "2026-10-10T00:00:00Z", tokens: 5_000_000)])
        return db
    }

    @Test func aWalletSmallerThanTheInvoicePaysItsWholeBalance() throws {
        // 3.0 purchased credits × 1.0 = 300 cents < 500.
        let db = try Self.customerWithWallets([CloseCatalog.wallet("credits", customer: "cust", paid: "3.0")])
        let summary = try db.close(.month(year: 2026, month: 10))
        let invoice = try db.invoice("cust", "2026-10")
        #expect(invoice.feesAmountCents == Self.invoiceCents)
        #expect(invoice.prepaidCreditAmountCents == 300)
        #expect(invoice.prepaidPurchasedCreditAmountCents == 300)
        #expect(invoice.prepaidGrantedCreditAmountCents == 0)
        #expect(invoice.totalAmountCents == Self.invoiceCents - 300)
        #expect(invoice.totalAmountCents == 200)
        #expect(invoice.paymentStatus == "pending")
        #expect(summary.issued.map(\.totalAmountCents) == [200])
        #expect(summary.issued.map(\.prepaidCreditAmountCents) == [300])

        let transactions = try db.walletTransactions()
        #expect(transactions == [
            WalletTransactionRow(wallet: "credits", direction: "inbound", grantedCredits: 0, purchasedCredits: 3, invoiceNumber: nil),
            WalletTransactionRow(wallet: "credits", direction: "outbound", grantedCredits: 0, purchasedCredits: 3,
                                 invoiceNumber: invoice.number),
        ])
        #expect(try db.walletBalanceCents("credits") == 0)

        let document = try db.invoiceDocument("2026-10", invoice.number)
        #expect(document.prepaid_credit_amount_cents == 300)
        #expect(document.total_amount_cents == 200)
        #expect(document.total_due_amount_cents == 200)
        #expect(document.payment_status == "pending")
    }

    @Test func aWalletLargerThanTheInvoicePaysAllOfIt() throws {
        // 20 credits × 0.5 USD = 10.00 USD = 1000 cents > 500: 500 cents are 500 ÷ 50 = 10 credits.
        let db = try Self.customerWithWallets([CloseCatalog.wallet("credits", customer: "cust", paid: "20", rate: "0.5")])
        _ = try db.close(.month(year: 2026, month: 10))
        let invoice = try db.invoice("cust", "2026-10")
        #expect(invoice.prepaidCreditAmountCents == Self.invoiceCents)
        #expect(invoice.totalAmountCents == 0)
        #expect(invoice.paymentStatus == "succeeded")
        let outbound = try db.walletTransactions().filter { $0.direction == "outbound" }
        #expect(outbound == [WalletTransactionRow(wallet: "credits", direction: "outbound", grantedCredits: 0,
                                                  purchasedCredits: 10, invoiceNumber: invoice.number)])
        // 1000 − 500 = 500 cents left (10 credits × 0.5 × 100).
        #expect(try db.walletBalanceCents("credits") == 500)
        let document = try db.invoiceDocument("2026-10", invoice.number)
        #expect(document.total_amount_cents == 0)
        #expect(document.payment_status == "succeeded")
    }

    @Test func aPriorityOneWalletCreatedSecondIsUsedFirst() throws {
        let db = try Self.customerWithWallets([
            CloseCatalog.wallet("older", customer: "cust", paid: "10"),                // priority 50 (default): 1000 cents
            CloseCatalog.wallet("preferred", customer: "cust", paid: "3", priority: 1), // 300 cents
        ])
        _ = try db.close(.month(year: 2026, month: 10))
        let invoice = try db.invoice("cust", "2026-10")
        // 500 = 300 from "preferred" (all of it) + 200 from "older".
        #expect(invoice.prepaidCreditAmountCents == 500)
        #expect(invoice.totalAmountCents == 0)
        let outbound = try db.walletTransactions().filter { $0.direction == "outbound" }
        #expect(outbound == [
            WalletTransactionRow(wallet: "preferred", direction: "outbound", grantedCredits: 0, purchasedCredits: 3,
                                 invoiceNumber: invoice.number),
            WalletTransactionRow(wallet: "older", direction: "outbound", grantedCredits: 0, purchasedCredits: 2,
                                 invoiceNumber: invoice.number),
        ])
        #expect(try db.walletBalanceCents("preferred") == 0)
        #expect(try db.walletBalanceCents("older") == 1000 - 200)
    }

    @Test func grantedCreditsAreUsedBeforePurchasedOnes() throws {
        // 2 granted + 10 purchased credits at 1.0: 500 cents = 200 granted + 300 purchased.
        let db = try Self.customerWithWallets([CloseCatalog.wallet("credits", customer: "cust", paid: "10", granted: "2")])
        _ = try db.close(.month(year: 2026, month: 10))
        let invoice = try db.invoice("cust", "2026-10")
        #expect(invoice.prepaidGrantedCreditAmountCents == 200)
        #expect(invoice.prepaidPurchasedCreditAmountCents == 300)
        #expect(invoice.prepaidCreditAmountCents == 500)
        #expect(invoice.totalAmountCents == 0)
        let outbound = try db.walletTransactions().filter { $0.direction == "outbound" }
        #expect(outbound == [WalletTransactionRow(wallet: "credits", direction: "outbound", grantedCredits: 2,
                                                  purchasedCredits: 3, invoiceNumber: invoice.number)])
        // (2 + 10 − 5) credits × 1.0 = 7.00 USD left.
        #expect(try db.walletBalanceCents("credits") == 700)
        let document = try db.invoiceDocument("2026-10", invoice.number)
        #expect(document.prepaid_granted_credit_amount_cents == 200)
        #expect(document.prepaid_purchased_credit_amount_cents == 300)
    }

    @Test func aWalletInAnotherCurrencyIsNotUsed() throws {
        // A customer without a currency is invoiced in its plan's, USD; the EUR wallet comes first by
        // priority but is in the wrong currency.
        let db = try Self.customerWithWallets([
            CloseCatalog.wallet("euros", customer: "cust", currency: "EUR", paid: "100", priority: 1),
            CloseCatalog.wallet("dollars", customer: "cust", paid: "1"),
        ], currency: nil)
        _ = try db.close(.month(year: 2026, month: 10))
        let invoice = try db.invoice("cust", "2026-10")
        #expect(invoice.currency == "USD")
        // Only the 100 cents of "dollars": 500 − 100 = 400 due.
        #expect(invoice.prepaidCreditAmountCents == 100)
        #expect(invoice.totalAmountCents == 400)
        #expect(invoice.paymentStatus == "pending")
        let outbound = try db.walletTransactions().filter { $0.direction == "outbound" }
        #expect(outbound.map(\.wallet) == ["dollars"])
        #expect(try db.walletBalanceCents("euros") == 10_000)
        #expect(try db.walletBalanceCents("dollars") == 0)
    }

    @Test func walletsOfEqualPriorityAreUsedInCreationOrder() throws {
        let db = try Self.customerWithWallets([
            CloseCatalog.wallet("zz-first", customer: "cust", paid: "4", priority: 7),  // 400 cents
            CloseCatalog.wallet("aa-second", customer: "cust", paid: "4", priority: 7), // 400 cents
        ])
        _ = try db.close(.month(year: 2026, month: 10))
        let invoice = try db.invoice("cust", "2026-10")
        // 500 = 400 from the first created + 100 from the second.
        let outbound = try db.walletTransactions().filter { $0.direction == "outbound" }
        #expect(outbound == [
            WalletTransactionRow(wallet: "zz-first", direction: "outbound", grantedCredits: 0, purchasedCredits: 4,
                                 invoiceNumber: invoice.number),
            WalletTransactionRow(wallet: "aa-second", direction: "outbound", grantedCredits: 0, purchasedCredits: 1,
                                 invoiceNumber: invoice.number),
        ])
        #expect(try db.walletBalanceCents("zz-first") == 0)
        #expect(try db.walletBalanceCents("aa-second") == 300)
    }

    @Test func whatAnInvoiceLeavesInAWalletPaysTheNextOneAndNoMore() throws {
        // 7 credits = 700 cents: October takes 500, November the remaining 200 of its 500.
        let db = try Self.customerWithWallets([CloseCatalog.wallet("credits", customer: "cust", paid: "5", granted: "2")])
        try db.ingestAccepted([tokenEvent("nov", subscription: "sub", at: "2026-11-10T00:00:00Z", tokens: 5_000_000)],
                              name: "november.ndjson")
        _ = try db.close(.endedBefore(UTCInstant(year: 2026, month: 12, day: 1)!))
        let october = try db.invoice("cust", "2026-10")
        let november = try db.invoice("cust", "2026-11")
        // October: granted 2 credits (200) first, then 3 purchased (300).
        #expect([october.prepaidGrantedCreditAmountCents, october.prepaidPurchasedCreditAmountCents] == [200, 300])
        #expect(october.totalAmountCents == 0)
        // November: the 2 purchased credits left (200); 500 − 200 = 300 due.
        #expect([november.prepaidGrantedCreditAmountCents, november.prepaidPurchasedCreditAmountCents] == [0, 200])
        #expect(november.totalAmountCents == 300)
        #expect(november.paymentStatus == "pending")
        #expect(try db.walletBalanceCents("credits") == 0)
        let outbound = try db.walletTransactions().filter { $0.direction == "outbound" }
        #expect(outbound.map(\.invoiceNumber) == [october.number, november.number])
    }
}
