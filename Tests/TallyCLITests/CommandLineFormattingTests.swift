import Foundation
import Testing
import TallyCore
@testable import tally

/// What the command line reads and prints, apart from any database.
@Suite struct CommandLineFormattingTests {
    // MARK: --period YYYY-MM

    @Test(arguments: [("2026-10", 2026, 10), ("2000-01", 2000, 1), ("2026-12", 2026, 12), ("9998-12", 9998, 12)])
    func aYearAndMonthAreRead(text: String, year: Int, month: Int) throws {
        let parsed = try #require(Close.month(text))
        #expect(parsed.0 == year)
        #expect(parsed.1 == month)
    }

    @Test(arguments: [
        "2026-13", "2026-00", "2026-1", "26-10", "1999-01", "2026-10-01", "", "2026", "2026/10", "202610", " 2026-10",
        "2026-1a", "20261-10", "-2026-10",
    ])
    func anythingButYYYYMMFrom2000IsRefused(text: String) {
        #expect(Close.month(text) == nil)
    }

    /// A sign where a digit belongs is refused, though `Int("+1")` would read it as 1; the core's
    /// `BillingPeriod.parse` agrees.
    @Test(arguments: ["2026-+1", "+202-10", "2026-+9"])
    func aSignInPlaceOfADigitIsRefused(text: String) {
        #expect(BillingPeriod.parse(label: text, timezone: "UTC") == nil)
        #expect(Close.month(text) == nil)
    }

    // MARK: Money for people

    @Test(arguments: [
        (Int64(123_456), "USD", "1234.56 USD"), (5, "USD", "0.05 USD"), (-150, "EUR", "-1.50 EUR"), (1_000, "JPY", "1000 JPY"),
        (0, "USD", "0.00 USD"), (-5, "GBP", "-0.05 GBP"), (100, "CHF", "1.00 CHF"), (-1_000, "KRW", "-1000 KRW"),
        (Int64.min, "USD", "-92233720368547758.08 USD"),
    ] as [(Int64, String, String)])
    func minorUnitsAreWrittenWithTheirCurrencysDecimals(cents: Int64, currency: String, text: String) {
        #expect(Close.money(cents, currency) == text)
    }

    // MARK: Global options before the command

    @Test(arguments: [
        (["--home", "/h", "ingest", "a.csv"], ["ingest", "a.csv", "--home", "/h"]),
        (["--out=/o", "close"], ["close", "--out=/o"]),
        (["--database-url", "postgres://u@h/db?x=1", "--out=/o", "--home", "/h", "close", "--period", "2026-10"],
         ["close", "--period", "2026-10", "--database-url", "postgres://u@h/db?x=1", "--out=/o", "--home", "/h"]),
        (["--database-url=postgres://u@h/db?sslmode=require", "db", "migrate"],
         ["db", "migrate", "--database-url=postgres://u@h/db?sslmode=require"]),
        // Before a `--`, so that they stay options and the files after it stay files.
        (["--home", "/h", "ingest", "--", "--home", "-x.csv"], ["ingest", "--home", "/h", "--", "--home", "-x.csv"]),
        (["--out", "/o", "ingest", "a.csv", "--"], ["ingest", "a.csv", "--out", "/o", "--"]),
        // Already after the command, or not a global option: as they are.
        (["ingest", "a.csv", "--home", "/h"], ["ingest", "a.csv", "--home", "/h"]),
        (["--json", "--home", "/h", "close"], ["--json", "--home", "/h", "close"]),
        (["--homes", "/h", "close"], ["--homes", "/h", "close"]),
        (["--out-dir=/o", "close"], ["--out-dir=/o", "close"]),
        // A global option without its value is left for ArgumentParser to complain about.
        (["--home"], ["--home"]),
        ([], []),
    ] as [([String], [String])])
    func globalOptionsBeforeTheCommandMoveAfterIt(arguments: [String], moved: [String]) {
        #expect(GlobalOptions.movedAfterCommand(arguments) == moved)
    }

    // MARK: Reprocess's lines

    @Test func repriceIsAFlagOfReprocessOffByDefault() throws {
        #expect(try Reprocess.parse(["--period", "2026-10", "--reprice", "--dry-run"]).reprice)
        #expect(try !Reprocess.parse(["--period", "2026-10", "--dry-run"]).reprice)
    }

    func line(
        _ subscription: String, type: String = "charge", code: String = "ai_tokens", displayName: String? = nil,
        filters: [FilterCondition]? = nil, units: Int, events: Int, cents: Int64
    ) -> FeeLine {
        FeeLine(key: FeeLine.Key(subscriptionId: subscription == "sub-a" ? 1 : 2, feeType: type, itemCode: code,
                                 filters: filters?.json.serialized),
                externalSubscriptionId: subscription, filterInvoiceDisplayName: displayName, filterValues: filters?.json,
                figures: FeeFigures(units: ExactDecimal(units), eventsCount: events, amountCents: cents))
    }

    let smallInput = [FilterCondition(key: "model", values: ["small"]), FilterCondition(key: "type", values: ["input"])]

    @Test func aChangedLineShowsBothFigures() throws {
        let changes = FeeChange.between(
            old: [line("sub-a", displayName: "small-input", filters: smallInput, units: 5_000_000, events: 1, cents: 500)],
            new: [line("sub-a", displayName: "small-input", filters: smallInput, units: 9_000_000, events: 2, cents: 900)])
        let change = try #require(changes.first)
        #expect(changes.count == 1)
        #expect(Reprocess.describe(change, money: { Close.money($0, "USD") })
                == "changed  sub-a charge ai_tokens small-input: units 5000000 → 9000000, events 1 → 2, amount 5.00 USD → 9.00 USD")
    }

    @Test func addedAndRemovedLinesShowTheirOwnFigures() throws {
        let changes = FeeChange.between(
            old: [line("sub-a", filters: [FilterCondition(key: "model", values: ["large"])], units: 7, events: 7, cents: 70)],
            new: [
                line("sub-b", units: 3, events: 3, cents: 30),
                line("sub-b", type: "subscription", code: "pro", units: 1, events: 0, cents: 10_000),
            ])
        #expect(changes.map(\.kind) == [.added, .added, .removed])
        let described = changes.map { Reprocess.describe($0, money: { Close.money($0, "EUR") }) }
        #expect(described == [
            "added    sub-b charge ai_tokens (default): units 3, events 3, amount 0.30 EUR",
            "added    sub-b subscription fee pro: units 1, events 0, amount 100.00 EUR",
            #"removed  sub-a charge ai_tokens {"model":["large"]}: units 7, events 7, amount 0.70 EUR"#,
        ])
    }

    /// A file error says which file and why, in words, not a Foundation domain and code.
    @Test func aFileErrorNamesTheFileAndTheReason() {
        let error = CocoaError(.fileWriteNoPermission, userInfo: [
            NSFilePathErrorKey: "/srv/tally/out/runs",
            NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES)),
        ])
        #expect(Terminal.describe(error) == "/srv/tally/out/runs: Permission denied")
    }

    // MARK: tally wallet show

    @Test func aWalletStatementReadsAsATableForPeople() throws {
        let at = try #require(UTCInstant(year: 2026, month: 11, day: 1, hour: 7, minute: 10, second: 40, microsecond: 938_027))
        let history = WalletHistory(
            walletId: 1, name: "AI Credits", currency: "USD", rateAmount: ExactDecimal(1), priority: 50, createdAt: at,
            transactions: [
                .init(createdAt: at, transactionType: .inbound, grantedCredits: ExactDecimal(25), purchasedCredits: ExactDecimal(100),
                      reason: "credits granted when the wallet was created", invoiceNumber: nil),
                .init(createdAt: at, transactionType: .outbound, grantedCredits: ExactDecimal(25), purchasedCredits: ExactDecimal(100),
                      reason: "applied to invoice MIS-001-001", invoiceNumber: "MIS-001-001"),
                .init(createdAt: at, transactionType: .inbound, grantedCredits: try #require(ExactDecimal(decimalString: "12.5")),
                      purchasedCredits: .zero, reason: "granted credits topped up", invoiceNumber: nil),
            ])
        let text = WalletShow.text(try WalletStatement(externalCustomerId: "acme", wallets: [history]))
        #expect(text == """
            customer acme: 1 wallet(s)

            wallet "AI Credits"  USD  rate_amount 1  priority 50  created 2026-11-01T07:10:40Z
              balance 12.5 credits (12.5 granted, 0 purchased) = 12.50 USD
              created_at            type      granted  purchased  invoice      reason
              2026-11-01T07:10:40Z  inbound       +25       +100               credits granted when the wallet was created
              2026-11-01T07:10:40Z  outbound      -25       -100  MIS-001-001  applied to invoice MIS-001-001
              2026-11-01T07:10:40Z  inbound     +12.5          0               granted credits topped up

            """)
        #expect(WalletShow.text(try WalletStatement(externalCustomerId: "hooli", wallets: [])) == "customer hooli has no wallet\n")
    }
}
