import Foundation
import Testing
import TallyCore
@testable import TallyStages

/// docs/BILLING.md (wallets) through `tally wallet top-up` and `tally wallet show`: granted credits
/// added as one inbound transaction, taken by the next close like any other credits (by priority,
/// granted before purchased), and every refusal writing nothing.
///
/// The invoices here are one small-input fee of 5,000,000 tokens: 5 packages × 1.00 USD = 500 cents.
@Suite struct WalletCommandTests {
    static let invoiceCents: Int64 = Int64(packages(5_000_000, size: 1_000_000) * 100)

    /// Customer `cust` (USD) with subscription `sub`, `wallets`, and October's 5,000,000 small-input tokens.
    static func customerWithWallets(_ wallets: [String]) throws -> TestDatabase {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("cust"), CloseCatalog.customer("other")],
            subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "tokens", at: "2026-10-01T00:00:00Z")],
            wallets: wallets))
        try db.ingestAccepted([tokenEvent("e", subscription: "sub", at: "2026-10-10T00:00:00Z", tokens: 5_000_000)])
        return db
    }

    static func topUp(_ db: TestDatabase, customer: String = "cust", wallet: String, granted: String) throws -> WalletTopUpReport {
        try WalletStage.topUp(customer: customer, wallet: wallet, granted: granted, database: db.database)
    }

    /// The reasons of every wallet transaction, oldest first.
    static func reasons(_ db: TestDatabase) throws -> [String?] {
        try db.rows("SELECT reason FROM wallet_transactions ORDER BY id").map { $0[0] }
    }

    // MARK: Top-up

    @Test func aTopUpAddsGrantedCreditsAsOneInboundTransaction() throws {
        let db = try Self.customerWithWallets([CloseCatalog.wallet("credits", customer: "cust", paid: "3", granted: "1")])
        let report = try Self.topUp(db, wallet: "credits", granted: "12.5")

        #expect(report.grantedCredits == ExactDecimal(decimalString: "12.5"))
        // 1 + 12.5 granted, 3 purchased: 16.5 credits × 1.0 = 16.50 USD.
        #expect(report.balance.grantedCredits == ExactDecimal(decimalString: "13.5"))
        #expect(report.balance.purchasedCredits == ExactDecimal(3))
        #expect(report.balanceCents == 1_650)
        #expect(try db.walletTransactions() == [
            WalletTransactionRow(wallet: "credits", direction: "inbound", grantedCredits: 1, purchasedCredits: 3, invoiceNumber: nil),
            WalletTransactionRow(wallet: "credits", direction: "inbound", grantedCredits: 12.5, purchasedCredits: 0, invoiceNumber: nil),
        ])
        #expect(try Self.reasons(db) == ["credits granted when the wallet was created", "granted credits topped up"])
        #expect(try db.walletBalanceCents("credits") == 1_650)
    }

    @Test func aCloseTakesToppedUpCreditsByPriorityGrantedBeforePurchased() throws {
        let db = try Self.customerWithWallets([
            CloseCatalog.wallet("first", customer: "cust", paid: "3", priority: 1),    // 300 cents
            CloseCatalog.wallet("second", customer: "cust", paid: "10", priority: 2),  // 1000 cents
        ])
        _ = try Self.topUp(db, wallet: "second", granted: "1.25")
        _ = try db.close(.month(year: 2026, month: 10))
        let invoice = try db.invoice("cust", "2026-10")

        // 500 = 300 from "first" (priority 1, all purchased) + 200 from "second": its 1.25 granted
        // credits (125 cents) first, then 0.75 purchased (75 cents).
        #expect(invoice.feesAmountCents == Self.invoiceCents)
        #expect(invoice.prepaidCreditAmountCents == 500)
        #expect(invoice.prepaidGrantedCreditAmountCents == 125)
        #expect(invoice.prepaidPurchasedCreditAmountCents == 300 + 75)
        #expect(invoice.totalAmountCents == 0)
        #expect(try db.walletTransactions().filter { $0.direction == "outbound" } == [
            WalletTransactionRow(wallet: "first", direction: "outbound", grantedCredits: 0, purchasedCredits: 3, invoiceNumber: invoice.number),
            WalletTransactionRow(wallet: "second", direction: "outbound", grantedCredits: 1.25, purchasedCredits: 0.75,
                                 invoiceNumber: invoice.number),
        ])

        let statement = try WalletStage.show(customer: "cust", database: db.database)
        #expect(statement.wallets.map(\.history.name) == ["first", "second"])
        let first = statement.wallets[0], second = statement.wallets[1]
        #expect(first.creditsBalance == .zero)
        #expect(first.balanceCents == 0)
        // 10 − 0.75 = 9.25 purchased credits left, 0 granted: 925 cents.
        #expect(second.balance.grantedCredits == .zero)
        #expect(second.balance.purchasedCredits == ExactDecimal(decimalString: "9.25"))
        #expect(second.balanceCents == 925)
        #expect(try db.walletBalanceCents("second") == 925)
        #expect(second.history.transactions.map(\.transactionType) == [.inbound, .inbound, .outbound])
        #expect(second.history.transactions.map(\.reason)
            == ["credits granted when the wallet was created", "granted credits topped up", "applied to invoice \(invoice.number)"])
        #expect(second.history.transactions.map(\.invoiceNumber) == [nil, nil, invoice.number])
        #expect(second.history.transactions.map(\.grantedCredits) == [.zero, ExactDecimal(decimalString: "1.25"), ExactDecimal(decimalString: "1.25")])
        #expect(second.history.transactions.map(\.purchasedCredits) == [ExactDecimal(10), .zero, ExactDecimal(decimalString: "0.75")])
    }

    @Test func theBalanceIsRoundedHalfUpToTheMinorUnit() throws {
        // 0.125 credits × 1.0 = 0.125 USD → 13 cents; 0.124 → 12.
        let db = try Self.customerWithWallets([
            CloseCatalog.wallet("up", customer: "cust"), CloseCatalog.wallet("down", customer: "cust"),
        ])
        #expect(try Self.topUp(db, wallet: "up", granted: "0.125").balanceCents == 13)
        #expect(try Self.topUp(db, wallet: "down", granted: "0.124").balanceCents == 12)
        let statement = try WalletStage.show(customer: "cust", database: db.database)
        #expect(statement.wallets.map(\.balanceCents) == [13, 12])
    }

    // MARK: Refusals

    @Test func anUnknownWalletIsRefusedWithTheCustomersWalletsAndNothingIsWritten() throws {
        let db = try Self.customerWithWallets([
            CloseCatalog.wallet("credits", customer: "cust", paid: "3"), CloseCatalog.wallet("promo", customer: "cust"),
            CloseCatalog.wallet("theirs", customer: "other"),
        ])
        let before = try db.walletTransactions()
        let error = try #require(throws: WalletCommandError.self) { try Self.topUp(db, wallet: "credit", granted: "5") }
        guard case .unknownWallet(let name, let customer, let known) = error else {
            Issue.record("expected an unknown wallet, got \(error)")
            return
        }
        #expect(name == "credit")
        #expect(customer == "cust")
        #expect(known == ["credits", "promo"])
        #expect(error.description == #"customer "cust" has no wallet named "credit"; its wallets are "credits", "promo""#)
        #expect(try db.walletTransactions() == before)
        #expect(before.count == 1)
    }

    @Test func aCustomerWithoutWalletsIsToldToCreateOne() throws {
        let db = try Self.customerWithWallets([CloseCatalog.wallet("credits", customer: "cust")])
        let error = try #require(throws: WalletCommandError.self) { try Self.topUp(db, customer: "other", wallet: "credits", granted: "5") }
        #expect(error.description.contains("it has no wallet: create one in the catalog file"), "\(error)")
        #expect(try db.count("wallet_transactions") == 0)
    }

    @Test func anUnknownCustomerIsRefusedWithTheCustomersThatExist() throws {
        let db = try Self.customerWithWallets([CloseCatalog.wallet("credits", customer: "cust", paid: "3")])
        let topUp = try #require(throws: WalletCommandError.self) { try Self.topUp(db, customer: "cus", wallet: "credits", granted: "5") }
        #expect(topUp.description == #"no customer has external_id "cus"; customers are "cust", "other""#)
        let show = try #require(throws: WalletCommandError.self) { try WalletStage.show(customer: "cus", database: db.database) }
        #expect(show.description == topUp.description)
        #expect(try db.count("wallet_transactions") == 1)
    }

    @Test(arguments: ["0", "0.0", "-5", "-0.5", "abc", "", " 5", "+5", "5 ", "1e3", "1,5", ".5", "5.", "NaN"])
    func creditsThatAreNotADecimalAbove0AreRefused(granted: String) throws {
        let db = try Self.customerWithWallets([CloseCatalog.wallet("credits", customer: "cust", paid: "3")])
        let error = try #require(throws: WalletCommandError.self) { try Self.topUp(db, wallet: "credits", granted: granted) }
        guard case .invalidCredits(let reason) = error else {
            Issue.record("expected invalid credits, got \(error)")
            return
        }
        #expect(reason == .notANumber(granted) || reason == .notPositive(granted), "\(reason)")
        #expect(error.description.contains("must be a decimal number > 0"), "\(error)")
        #expect(error.description.contains(#"(got "\#(granted)")"#), "\(error)")
        #expect(try db.count("wallet_transactions") == 1)
    }

    @Test(arguments: ["1234567890123456", "0.0000000000001", "1.1234567890123"])
    func creditsBeyondTheCatalogsDigitsAreRefused(granted: String) throws {
        let db = try Self.customerWithWallets([CloseCatalog.wallet("credits", customer: "cust")])
        let error = try #require(throws: WalletCommandError.self) { try Self.topUp(db, wallet: "credits", granted: granted) }
        #expect(error.description == "credits to top up must have at most 15 digits before the decimal point and 12 after it, "
            + #"the most Tally bills exactly (got "\#(granted)")"#)
        #expect(try db.count("wallet_transactions") == 0)
    }

    @Test func theMostDigitsTheCatalogTakesAreTakenExactly() throws {
        let db = try Self.customerWithWallets([CloseCatalog.wallet("credits", customer: "cust", rate: "0.000001")])
        let report = try Self.topUp(db, wallet: "credits", granted: "999999999999999.999999999999")
        #expect(report.balance.grantedCredits == ExactDecimal(decimalString: "999999999999999.999999999999"))
        // × 0.000001 = 999999999.999999999999999999 USD → 100000000000 cents, half-up.
        #expect(report.balanceCents == 100_000_000_000)
    }

    @Test func aTopUpWorthLessThanHalfAMinorUnitIsRefused() throws {
        let db = try Self.customerWithWallets([CloseCatalog.wallet("credits", customer: "cust", rate: "1.0")])
        // 0.004 × 1.0 = 0.004 USD: 0 cents. 0.005 is half a cent: 1 cent, taken.
        let error = try #require(throws: WalletCommandError.self) { try Self.topUp(db, wallet: "credits", granted: "0.004") }
        guard case .refusedTopUp(_, _, let reason) = error, case .worthNothing = reason else {
            Issue.record("expected a top-up worth nothing, got \(error)")
            return
        }
        #expect(error.description.hasPrefix(#"wallet "credits" of customer "cust": 0.004 credits at rate_amount 1 are worth less than half a minor unit of USD"#),
                "\(error)")
        #expect(try db.count("wallet_transactions") == 0)
        #expect(try Self.topUp(db, wallet: "credits", granted: "0.005").balanceCents == 1)
        #expect(try db.count("wallet_transactions") == 1)
    }

    @Test func aTopUpThatWouldOverflowTheBalanceIsRefused() throws {
        // 90,000,000,000 credits × 1,000,000 USD = 9 × 10^18 cents, just under Int64.max (≈ 9.22 × 10^18).
        let db = try Self.customerWithWallets([CloseCatalog.wallet("big", customer: "cust", paid: "90000000000", rate: "1000000")])
        // + 3 × 10^9 credits = 9.3 × 10^18 cents: too much.
        let error = try #require(throws: WalletCommandError.self) { try Self.topUp(db, wallet: "big", granted: "3000000000") }
        guard case .refusedTopUp(_, _, .balanceTooLarge) = error else {
            Issue.record("expected a balance too large, got \(error)")
            return
        }
        #expect(error.description.contains("more than Tally can hold in a balance (9223372036854775807 minor units of USD)"), "\(error)")
        #expect(try db.count("wallet_transactions") == 1)
        // + 10^9 credits = 9.1 × 10^18 cents: fits.
        #expect(try Self.topUp(db, wallet: "big", granted: "1000000000").balanceCents == 9_100_000_000_000_000_000)
    }

    @Test func changingCatalogCreditsPointsToTheTopUpCommand() throws {
        let wallet = { (granted: String) in CloseCatalog.wallet("AI Credits", customer: "cust", paid: "3", granted: granted) }
        let db = try Self.customerWithWallets([wallet("1")])
        let errors = try #require(throws: CatalogErrors.self) {
            try db.applyCatalog(CloseCatalog.document(
                plans: [CloseCatalog.plan("tokens", charges: [CloseCatalog.perFilterCharge])],
                customers: [CloseCatalog.customer("cust"), CloseCatalog.customer("other")],
                subscriptions: [CloseCatalog.subscription("sub", customer: "cust", plan: "tokens", at: "2026-10-01T00:00:00Z")],
                wallets: [wallet("5")]))
        }
        #expect(errors.errors.map(\.path) == ["wallets[0]"])
        #expect(errors.description.contains("add granted credits with `tally wallet top-up --customer cust --wallet 'AI Credits' --granted CREDITS`"),
                "\(errors)")
    }

    // MARK: Show

    @Test func showGivesEachWalletInLagosVocabulary() throws {
        let db = try Self.customerWithWallets([
            CloseCatalog.wallet("credits", customer: "cust", paid: "2", granted: "1", rate: "0.5", priority: 3),
            CloseCatalog.wallet("empty", customer: "cust"),
        ])
        _ = try Self.topUp(db, wallet: "credits", granted: "4")
        _ = try db.close(.month(year: 2026, month: 10))
        let number = try db.invoice("cust", "2026-10").number

        let text = try WalletStage.show(customer: "cust", database: db.database).json.serialized
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(document["external_customer_id"] as? String == "cust")
        let wallets = try #require(document["wallets"] as? [[String: Any]])
        #expect(wallets.map { $0["name"] as? String } == ["credits", "empty"])
        let credits = wallets[0]
        #expect(credits["currency"] as? String == "USD")
        #expect(credits["rate_amount"] as? String == "0.5")
        #expect(credits["priority"] as? Int == 3)
        // 1 + 4 granted + 2 purchased = 7 credits × 0.5 = 3.50 USD, all taken by the 5.00 invoice.
        #expect(credits["credits_balance"] as? String == "0")
        #expect(credits["granted_credits_balance"] as? String == "0")
        #expect(credits["purchased_credits_balance"] as? String == "0")
        #expect(credits["balance_cents"] as? Int == 0)
        let transactions = try #require(credits["wallet_transactions"] as? [[String: Any]])
        #expect(transactions.map { $0["transaction_type"] as? String } == ["inbound", "inbound", "outbound"])
        #expect(transactions.map { $0["granted_credits"] as? String } == ["1", "4", "5"])
        #expect(transactions.map { $0["purchased_credits"] as? String } == ["2", "0", "2"])
        #expect(transactions.map { $0["credit_amount"] as? String } == ["3", "4", "7"])
        #expect(transactions.map { $0["invoice_number"] as? String } == [nil, nil, number])
        #expect(transactions[2]["invoice_number"] is String)
        #expect(transactions[0]["invoice_number"] is NSNull)
        #expect(transactions.allSatisfy { ($0["created_at"] as? String)?.hasSuffix("Z") == true })
        #expect(Set(transactions[0].keys) == ["created_at", "transaction_type", "credit_amount", "granted_credits",
                                              "purchased_credits", "reason", "invoice_number"])
        let empty = wallets[1]
        #expect(empty["balance_cents"] as? Int == 0)
        #expect((empty["wallet_transactions"] as? [Any])?.isEmpty == true)
    }

    @Test func showReadsATopUpAtOnce() throws {
        let db = try Self.customerWithWallets([CloseCatalog.wallet("credits", customer: "cust", paid: "3")])
        #expect(try WalletStage.show(customer: "cust", database: db.database).wallets.map(\.balanceCents) == [300])
        _ = try Self.topUp(db, wallet: "credits", granted: "2")
        let statement = try WalletStage.show(customer: "cust", database: db.database)
        #expect(statement.wallets.map(\.balanceCents) == [500])
        #expect(statement.wallets.map(\.balance.grantedCredits) == [ExactDecimal(2)])
        #expect(statement.wallets.map(\.balance.purchasedCredits) == [ExactDecimal(3)])
        #expect(try WalletStage.show(customer: "other", database: db.database).wallets.isEmpty)
    }

    // MARK: The command line

    /// Runs the `tally` binary against the test's database: its exit status, stdout and stderr.
    static func tally(_ db: TestDatabase, _ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = try TallyBinary.url()
        process.arguments = arguments + ["--database-url", db.connectionString, "--out", db.outDirectory]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, printed, said)
    }

    @Test func theCommandsExitWith2ForWhatDoesNotExistOrBadCredits() throws {
        let db = try Self.customerWithWallets([CloseCatalog.wallet("credits", customer: "cust", paid: "3")])
        let wallet = try Self.tally(db, ["wallet", "top-up", "--customer", "cust", "--wallet", "nope", "--granted", "5"])
        #expect(wallet.status == 2)
        #expect(wallet.errors.contains(#"customer "cust" has no wallet named "nope"; its wallets are "credits""#), "\(wallet.errors)")
        let customer = try Self.tally(db, ["wallet", "show", "--customer", "nobody"])
        #expect(customer.status == 2)
        #expect(customer.errors.contains(#"customers are "cust", "other""#), "\(customer.errors)")
        let negative = try Self.tally(db, ["wallet", "top-up", "--customer", "cust", "--wallet", "credits", "--granted", "-5"])
        #expect(negative.status == 2)
        #expect(negative.errors.contains(#"must be a decimal number > 0 (got "-5")"#), "\(negative.errors)")
        #expect(try db.count("wallet_transactions") == 1)
    }

    @Test func theTopUpCommandTakesTheRunLock() throws {
        let db = try Self.customerWithWallets([CloseCatalog.wallet("credits", customer: "cust", paid: "3")])
        try db.database.lockRuns(wait: false)
        let locked = try Self.tally(db, ["wallet", "top-up", "--customer", "cust", "--wallet", "credits", "--granted", "5"])
        #expect(locked.status == 4)
        #expect(locked.errors.contains("another tally run is working on this database"), "\(locked.errors)")
        #expect(try db.count("wallet_transactions") == 1)
        // Showing reads only: the lock does not stop it.
        let shown = try Self.tally(db, ["wallet", "show", "--customer", "cust"])
        #expect(shown.status == 0, "\(shown.errors)")
        #expect(shown.output.contains("balance 3 credits (0 granted, 3 purchased) = 3.00 USD"), "\(shown.output)")
    }

    @Test func theCommandsPrintWhatTheyDid() throws {
        let db = try Self.customerWithWallets([CloseCatalog.wallet("credits", customer: "cust", paid: "3")])
        let topUp = try Self.tally(db, ["wallet", "top-up", "--customer", "cust", "--wallet", "credits", "--granted", "2.5"])
        #expect(topUp.status == 0, "\(topUp.errors)")
        #expect(topUp.errors == #"topped up wallet "credits" of cust: 2.5 granted credits; balance 5.5 credits (2.5 granted, 3 purchased) = 5.50 USD"# + "\n")
        let json = try Self.tally(db, ["wallet", "show", "--customer", "cust", "--json"])
        #expect(json.status == 0, "\(json.errors)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let wallets = try #require(document["wallets"] as? [[String: Any]])
        #expect(wallets.first?["balance_cents"] as? Int == 550)
        #expect(wallets.first?["credits_balance"] as? String == "5.5")
        let text = try Self.tally(db, ["wallet", "show", "--customer", "cust"])
        #expect(text.status == 0, "\(text.errors)")
        let lines = text.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "customer cust: 1 wallet(s)")
        #expect(lines.contains { $0.hasPrefix(#"wallet "credits"  USD  rate_amount 1  priority 50  created "#) }, "\(text.output)")
        #expect(lines.contains("  balance 5.5 credits (2.5 granted, 3 purchased) = 5.50 USD"), "\(text.output)")
        #expect(lines.contains { $0.hasPrefix("  created_at") && $0.hasSuffix("reason") }, "\(text.output)")
        #expect(lines.contains { $0.contains("inbound") && $0.contains("+2.5") && $0.hasSuffix("granted credits topped up") }, "\(text.output)")
    }
}
