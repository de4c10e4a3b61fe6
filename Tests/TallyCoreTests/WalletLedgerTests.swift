import Testing
import TallyCore

@Suite struct WalletLedgerTests {
    private func decimal(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ExactDecimal {
        try #require(ExactDecimal(decimalString: text), sourceLocation: sourceLocation)
    }

    private func wallet(
        _ id: Int64, priority: Int = 50, created: Int64? = nil, currency: String = "USD", rate: String = "1",
        granted: String = "0", purchased: String = "0"
    ) throws -> WalletBalance {
        WalletBalance(
            walletId: id, priority: priority, createdOrder: created ?? id, currency: currency,
            rateAmount: try decimal(rate), grantedCredits: try decimal(granted), purchasedCredits: try decimal(purchased))
    }

    private func debit(
        _ id: Int64, granted: String = "0", purchased: String = "0", grantedCents: Int64 = 0, purchasedCents: Int64 = 0
    ) throws -> WalletDebit {
        WalletDebit(
            walletId: id, grantedCredits: try decimal(granted), purchasedCredits: try decimal(purchased),
            grantedAmountCents: grantedCents, purchasedAmountCents: purchasedCents)
    }

    /// The wallet as it stands after `debits` are taken from it.
    private func after(_ wallet: WalletBalance, _ debits: [WalletDebit]) -> WalletBalance {
        let taken = debits.filter { $0.walletId == wallet.walletId }
        return WalletBalance(
            walletId: wallet.walletId, priority: wallet.priority, createdOrder: wallet.createdOrder,
            currency: wallet.currency, rateAmount: wallet.rateAmount,
            grantedCredits: taken.reduce(wallet.grantedCredits) { $0 - $1.grantedCredits },
            purchasedCredits: taken.reduce(wallet.purchasedCredits) { $0 - $1.purchasedCredits })
    }

    // MARK: Balances

    @Test func balanceIsCreditsTimesRateInMinorUnits() throws {
        #expect(try wallet(1, granted: "25", purchased: "100").balanceCents(scale: 2) == 12_500)
        #expect(try wallet(1, rate: "0.5", purchased: "100").balanceCents(scale: 2) == 5_000)
        #expect(try wallet(1, rate: "0.5", purchased: "100").balanceCents(scale: 0) == 50)
        #expect(try wallet(1, purchased: "0.125").balanceCents(scale: 2) == 13)
        #expect(try wallet(1, purchased: "0.124").balanceCents(scale: 2) == 12)
    }

    // MARK: How much is applied

    @Test func aWalletCoveringPartOfTheInvoiceIsEmptied() throws {
        let debits = try WalletLedger.debits(
            invoiceTotalCents: 2_500, currency: "USD", wallets: [try wallet(1, purchased: "10")])
        #expect(debits == [try debit(1, purchased: "10", purchasedCents: 1_000)])
    }

    @Test func aWalletCoveringExactlyTheInvoiceIsEmptied() throws {
        let wallet = try wallet(1, purchased: "10")
        let debits = try WalletLedger.debits(invoiceTotalCents: 1_000, currency: "USD", wallets: [wallet])
        #expect(debits == [try debit(1, purchased: "10", purchasedCents: 1_000)])
        #expect(after(wallet, debits).balanceCents(scale: 2) == 0)
    }

    @Test func aWalletWithSurplusPaysTheWholeInvoiceAndKeepsTheRest() throws {
        let wallet = try wallet(1, granted: "25", purchased: "100")
        let debits = try WalletLedger.debits(invoiceTotalCents: 500, currency: "USD", wallets: [wallet])
        #expect(debits == [try debit(1, granted: "5", grantedCents: 500)])
        #expect(after(wallet, debits).balanceCents(scale: 2) == 12_000)
    }

    @Test func grantedCreditsArePaidBeforePurchasedOnes() throws {
        let debits = try WalletLedger.debits(
            invoiceTotalCents: 5_000, currency: "USD", wallets: [try wallet(1, granted: "25", purchased: "100")])
        #expect(debits == [try debit(1, granted: "25", purchased: "25", grantedCents: 2_500, purchasedCents: 2_500)])
    }

    @Test func nothingIsAppliedToAnInvoiceWithNothingDue() throws {
        let wallets = [try wallet(1, purchased: "10")]
        #expect(try WalletLedger.debits(invoiceTotalCents: 0, currency: "USD", wallets: wallets).isEmpty)
        #expect(try WalletLedger.debits(invoiceTotalCents: -100, currency: "USD", wallets: wallets).isEmpty)
        #expect(try WalletLedger.debits(invoiceTotalCents: 100, currency: "USD", wallets: []).isEmpty)
    }

    // MARK: Which wallets

    @Test func priorityOneIsUsedFirstEvenIfCreatedLater() throws {
        let older = try wallet(1, priority: 50, created: 1, purchased: "10")
        let preferred = try wallet(2, priority: 1, created: 2, purchased: "10")
        let debits = try WalletLedger.debits(invoiceTotalCents: 1_500, currency: "USD", wallets: [older, preferred])
        #expect(debits == [
            try debit(2, purchased: "10", purchasedCents: 1_000),
            try debit(1, purchased: "5", purchasedCents: 500),
        ])
    }

    @Test func equalPrioritiesGoByCreationOrder() throws {
        let newer = try wallet(7, priority: 10, created: 2, purchased: "10")
        let older = try wallet(9, priority: 10, created: 1, purchased: "10")
        let debits = try WalletLedger.debits(invoiceTotalCents: 300, currency: "USD", wallets: [newer, older])
        #expect(debits == [try debit(9, purchased: "3", purchasedCents: 300)])
    }

    @Test func walletsInAnotherCurrencyAreIgnored() throws {
        let euros = try wallet(1, priority: 1, currency: "EUR", purchased: "1000")
        let dollars = try wallet(2, priority: 50, purchased: "10")
        let debits = try WalletLedger.debits(invoiceTotalCents: 2_500, currency: "USD", wallets: [euros, dollars])
        #expect(debits == [try debit(2, purchased: "10", purchasedCents: 1_000)])
        #expect(try WalletLedger.debits(invoiceTotalCents: 2_500, currency: "JPY", wallets: [euros, dollars]).isEmpty)
    }

    @Test func emptyWalletsGiveNoDebitRows() throws {
        let empty = try wallet(1, priority: 1, purchased: "0")
        let dust = try wallet(2, priority: 2, purchased: "0.004")  // worth 0.4 cent: a balance of 0
        let funded = try wallet(3, priority: 3, purchased: "1")
        let debits = try WalletLedger.debits(invoiceTotalCents: 50, currency: "USD", wallets: [empty, dust, funded])
        #expect(debits == [try debit(3, purchased: "0.5", purchasedCents: 50)])
    }

    // MARK: Rates and rounding

    @Test func creditsConsumedAreCentsDividedByTheRate() throws {
        // rate 0.5: 100 credits are worth 50.00; 20.00 takes 40 credits.
        let wallet = try wallet(1, rate: "0.5", purchased: "100")
        #expect(wallet.balanceCents(scale: 2) == 5_000)
        let debits = try WalletLedger.debits(invoiceTotalCents: 2_000, currency: "USD", wallets: [wallet])
        #expect(debits == [try debit(1, purchased: "40", purchasedCents: 2_000)])
        #expect(after(wallet, debits).balanceCents(scale: 2) == 3_000)
    }

    @Test func yenCreditsUseWholeYen() throws {
        let wallet = try wallet(1, currency: "JPY", rate: "2", granted: "100", purchased: "1000")
        let debits = try WalletLedger.debits(invoiceTotalCents: 500, currency: "JPY", wallets: [wallet])
        #expect(debits == [try debit(1, granted: "100", purchased: "150", grantedCents: 200, purchasedCents: 300)])
    }

    @Test func aNonTerminatingQuotientIsRoundedUpAtTwelveDecimals() throws {
        // rate 3: 1.00 is 0.333… credits; 0.333333333334 are taken, worth a hair more than 1.00.
        let wallet = try wallet(1, rate: "3", purchased: "100")
        let debits = try WalletLedger.debits(invoiceTotalCents: 100, currency: "USD", wallets: [wallet])
        #expect(debits == [try debit(1, purchased: "0.333333333334", purchasedCents: 100)])
        #expect(after(wallet, debits).balanceCents(scale: 2) == 29_900)
    }

    @Test func aTerminatingQuotientIsExactWhateverItsDecimals() throws {
        // rate 1.048576 = 2^20 ÷ 10^6: 0.01 ÷ 1.048576 = 0.0095367431640625, 16 decimals, kept whole.
        let wallet = try wallet(1, rate: "1.048576", purchased: "100")
        let debits = try WalletLedger.debits(invoiceTotalCents: 1, currency: "USD", wallets: [wallet])
        #expect(debits == [try debit(1, purchased: "0.0095367431640625", purchasedCents: 1)])
        #expect(after(wallet, debits).balanceCents(scale: 2) == wallet.balanceCents(scale: 2).map { $0 - 1 })
    }

    @Test func aBalanceRoundedUpIsTakenWholeWithoutGoingNegative() throws {
        // 0.335 credits are worth 33.5 cents, a balance of 34: taking 34 cents takes the 0.335 credits, no more.
        let wallet = try wallet(1, purchased: "0.335")
        let debits = try WalletLedger.debits(invoiceTotalCents: 100, currency: "USD", wallets: [wallet])
        #expect(debits == [try debit(1, purchased: "0.335", purchasedCents: 34)])
        #expect(after(wallet, debits).purchasedCredits == .zero)
    }

    @Test func aPartialDebitLowersTheBalanceByExactlyTheAmountApplied() throws {
        // 0.334 + 0.334 credits are a balance of 67 cents (66.8 rounded); 33 cents leave exactly 34.
        let wallet = try wallet(1, granted: "0.334", purchased: "0.334")
        let debits = try WalletLedger.debits(invoiceTotalCents: 33, currency: "USD", wallets: [wallet])
        #expect(debits == [try debit(1, granted: "0.33", grantedCents: 33)])
        #expect(after(wallet, debits).balanceCents(scale: 2) == 34)
    }

    @Test func appliedCreditsNeverExceedTheBalanceNorTheInvoice() throws {
        let wallets = [
            try wallet(1, priority: 3, rate: "0.7", granted: "12.345", purchased: "3"),
            try wallet(2, priority: 1, rate: "1.1", purchased: "7.77"),
            try wallet(3, priority: 2, rate: "3", granted: "0.01"),
        ]
        let balance = try wallets.reduce(Int64(0)) { $0 + (try #require($1.balanceCents(scale: 2))) }
        for total in [Int64(1), 7, 854, balance - 1, balance, balance + 1, 100_000] {
            let debits = try WalletLedger.debits(invoiceTotalCents: total, currency: "USD", wallets: wallets)
            #expect(debits.reduce(0) { $0 + $1.amountCents } == min(total, balance), "invoice \(total)")
            for wallet in wallets {
                let remaining = after(wallet, debits)
                #expect(remaining.grantedCredits >= .zero && remaining.purchasedCredits >= .zero, "invoice \(total)")
            }
            #expect(debits.allSatisfy { $0.amountCents > 0 })
        }
    }
}
