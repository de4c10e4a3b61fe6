import Testing
import TallyCore

/// docs/BILLING.md, wallets: what a top-up takes, and a statement's balances summed from its transactions.
@Suite struct WalletTopUpTests {
    private func decimal(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ExactDecimal {
        try #require(ExactDecimal(decimalString: text), sourceLocation: sourceLocation)
    }

    private func wallet(currency: String = "USD", rate: String = "1", granted: String = "0", purchased: String = "0") throws -> WalletBalance {
        WalletBalance(
            walletId: 1, priority: 50, createdOrder: 1, currency: currency, rateAmount: try decimal(rate),
            grantedCredits: try decimal(granted), purchasedCredits: try decimal(purchased))
    }

    // MARK: Credits

    @Test(arguments: [("25", "25"), ("12.50", "12.5"), ("007", "7"), ("0.000000000001", "0.000000000001"),
                      ("999999999999999.999999999999", "999999999999999.999999999999")])
    func aPlainDecimalAbove0IsTaken(text: String, value: String) throws {
        #expect(try WalletTopUp.credits(text) == decimal(value))
    }

    @Test(arguments: ["abc", "", "1e3", "+5", " 5", "5.", ".5", "1,5", "0x10"])
    func anythingButAPlainDecimalIsNotANumber(text: String) {
        #expect(throws: WalletTopUpError.notANumber(text)) { try WalletTopUp.credits(text) }
    }

    @Test(arguments: ["0", "0.000", "-1", "-0.01"])
    func zeroAndNegativeCreditsAreRefused(text: String) {
        #expect(throws: WalletTopUpError.notPositive(text)) { try WalletTopUp.credits(text) }
    }

    @Test(arguments: ["1000000000000000", "0.0000000000001"])
    func creditsBeyondTheCatalogsDigitsAreRefused(text: String) {
        #expect(throws: WalletTopUpError.tooManyDigits(text)) { try WalletTopUp.credits(text) }
    }

    // MARK: Adding to a wallet

    @Test func grantedCreditsAreAddedApartFromPurchasedOnes() throws {
        let (balance, cents) = try WalletTopUp.adding(granted: decimal("2.5"), to: wallet(rate: "0.5", granted: "1", purchased: "4"))
        #expect(balance.grantedCredits == (try decimal("3.5")))
        #expect(balance.purchasedCredits == (try decimal("4")))
        // 7.5 credits × 0.5 = 3.75 USD.
        #expect(cents == 375)
    }

    @Test func aTopUpInAZeroDecimalCurrencyIsWorthWholeUnits() throws {
        // 0.4 × 1 JPY rounds to 0; 0.5 rounds half-up to 1.
        #expect(throws: WalletTopUpError.worthNothing(credits: try decimal("0.4"), rateAmount: try decimal("1"), currency: "JPY")) {
            try WalletTopUp.adding(granted: decimal("0.4"), to: wallet(currency: "JPY"))
        }
        #expect(try WalletTopUp.adding(granted: decimal("0.5"), to: wallet(currency: "JPY")).balanceCents == 1)
    }

    @Test func aBalanceBeyond64BitMinorUnitsIsRefused() throws {
        // 92,233,720,368,547,758.07 USD is Int64.max cents: one more cent's worth is too much.
        let full = try wallet(purchased: "92233720368547758.07")
        #expect(throws: WalletTopUpError.balanceTooLarge(credits: try decimal("0.01"), currency: "USD")) {
            try WalletTopUp.adding(granted: decimal("0.01"), to: full)
        }
        #expect(try WalletTopUp.adding(granted: decimal("0.01"), to: wallet(purchased: "92233720368547758.06")).balanceCents == Int64.max)
    }

    // MARK: Statements

    @Test func aStatementsBalanceIsItsTransactionsInboundMinusOutbound() throws {
        let at = try #require(UTCInstant(year: 2026, month: 10, day: 1))
        let history = WalletHistory(
            walletId: 7, name: "credits", currency: "EUR", rateAmount: try decimal("1.5"), priority: 1, createdAt: at,
            transactions: [
                .init(createdAt: at, transactionType: .inbound, grantedCredits: try decimal("10"), purchasedCredits: try decimal("20"),
                      reason: "credits granted when the wallet was created", invoiceNumber: nil),
                .init(createdAt: at, transactionType: .outbound, grantedCredits: try decimal("10"), purchasedCredits: try decimal("0.333333333334"),
                      reason: "applied to invoice T-001-001", invoiceNumber: "T-001-001"),
                .init(createdAt: at, transactionType: .inbound, grantedCredits: try decimal("0.1"), purchasedCredits: .zero,
                      reason: WalletTopUp.reason, invoiceNumber: nil),
            ])
        let statement = try WalletStatement(externalCustomerId: "cust", wallets: [history])
        let wallet = try #require(statement.wallets.first)
        #expect(wallet.balance.grantedCredits == (try decimal("0.1")))
        #expect(wallet.balance.purchasedCredits == (try decimal("19.666666666666")))
        #expect(wallet.creditsBalance == (try decimal("19.766666666666")))
        // × 1.5 = 29.649999999999 EUR → 29.65, half-up.
        #expect(wallet.balanceCents == 2_965)
        #expect(wallet.creditAmounts == [try decimal("30"), try decimal("10.333333333334"), try decimal("0.1")])
    }
}
