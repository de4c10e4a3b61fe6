import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md (invoices) through the pipeline: invoice numbers, totals, and the period's summary.csv.
@Suite struct CloseInvoiceTests {
    @Test func numbersArePrefixCustomerSequenceAndInvoiceSequence() throws {
        let db = try TestDatabase()
        // "zed" is created before "amy": customer sequences follow creation, not names.
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", amountCents: 1000, charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("zed"), CloseCatalog.customer("amy")],
            subscriptions: [
                CloseCatalog.subscription("zed-sub", customer: "zed", plan: "tokens", at: "2026-09-01T00:00:00Z"),
                CloseCatalog.subscription("amy-sub", customer: "amy", plan: "tokens", at: "2026-09-01T00:00:00Z"),
            ]))
        let september = try db.close(.month(year: 2026, month: 9))
        #expect(september.issued.map(\.number) == ["TST-001-001", "TST-002-001"])
        #expect(september.issued.map(\.customer) == ["zed", "amy"])
        let october = try db.close(.month(year: 2026, month: 10))
        #expect(october.issued.map(\.number) == ["TST-001-002", "TST-002-002"])
        #expect(october.issued.map(\.customer) == ["zed", "amy"])

        let stored = try db.invoices().map { "\($0.period) \($0.customer) \($0.number)" }
        #expect(stored == ["2026-09 zed TST-001-001", "2026-09 amy TST-002-001",
                           "2026-10 zed TST-001-002", "2026-10 amy TST-002-002"])
        #expect(try db.scalar("SELECT count(DISTINCT number) = count(*) FROM invoices") == "t")
        for (period, number, customer) in [("2026-09", "TST-001-001", "zed"), ("2026-09", "TST-002-001", "amy"),
                                           ("2026-10", "TST-001-002", "zed"), ("2026-10", "TST-002-002", "amy")] {
            let document = try db.invoiceDocument(period, number)
            #expect(document.number == number)
            #expect(document.customer.external_id == customer)
            #expect(document.status == "finalized")
            #expect(document.invoice_type == "subscription")
        }
        // A customer created by a later catalog apply takes the next customer sequence.
        try db.applyCatalog(CloseCatalog.document(
            plans: [], customers: [CloseCatalog.customer("late")],
            subscriptions: [CloseCatalog.subscription("late-sub", customer: "late", plan: "tokens", at: "2026-11-01T00:00:00Z")]))
        let november = try db.close(.month(year: 2026, month: 11))
        #expect(november.issued.map(\.number) == ["TST-001-003", "TST-002-003", "TST-003-001"])
    }

    @Test func totalsAddUpInTheStoreTheJSONAndTheSummaryCSV() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", amountCents: 2500, charges: [CloseCatalog.perFilterCharge])],
            customers: [CloseCatalog.customer("alpha"), CloseCatalog.customer("beta")],
            subscriptions: [
                CloseCatalog.subscription("alpha-1", customer: "alpha", plan: "tokens", at: "2026-09-01T00:00:00Z"),
                CloseCatalog.subscription("alpha-2", customer: "alpha", plan: "tokens", at: "2026-09-01T00:00:00Z"),
                CloseCatalog.subscription("beta-1", customer: "beta", plan: "tokens", at: "2026-09-01T00:00:00Z"),
            ],
            wallets: [CloseCatalog.wallet("credits", customer: "alpha", paid: "12.34")]))
        try db.ingestAccepted([
            tokenEvent("a1", subscription: "alpha-1", at: "2026-10-02T00:00:00Z", tokens: 1_200_000, model: "small", type: "input"),
            tokenEvent("a2", subscription: "alpha-1", at: "2026-10-03T00:00:00Z", tokens: 900_000, model: "large", type: "output"),
            tokenEvent("a3", subscription: "alpha-2", at: "2026-10-04T00:00:00Z", tokens: 3_000_000, model: "large", type: "input"),
            tokenEvent("b1", subscription: "beta-1", at: "2026-10-05T00:00:00Z", tokens: 4_000_001, model: "small", type: "output"),
        ])
        _ = try db.close(.month(year: 2026, month: 10))

        // alpha: small-input ⌈1.2⌉ = 2 × 1.00 = 200; large-output ⌈0.9⌉ = 1 × 4.00 = 400; subscription 2500;
        //        large-input 3 × 3.00 = 900; subscription 2500. Fees 6500; wallet 12.34 → 1234; total 5266.
        // beta:  small-output ⌈4.000001⌉ = 5 × 2.00 = 1000; subscription 2500. Fees 3500; no wallet.
        let expected: [(customer: String, fees: [Int64], credits: Int64)] = [
            ("alpha", [200, 400, 2500, 900, 2500], 1234),
            ("beta", [1000, 2500], 0),
        ]
        let invoices = try db.invoices()
        try #require(invoices.count == 2)
        for (invoice, expectation) in zip(invoices, expected) {
            #expect(invoice.customer == expectation.customer)
            let fees = try db.fees(of: invoice)
            #expect(fees.map(\.amountCents) == expectation.fees)
            let feesTotal = expectation.fees.reduce(0, +)
            #expect(invoice.feesAmountCents == feesTotal)
            #expect(invoice.feesAmountCents == fees.map(\.amountCents).reduce(0, +))
            #expect(invoice.taxesAmountCents == 0)
            #expect(invoice.subTotalExcludingTaxesAmountCents == feesTotal)
            #expect(invoice.subTotalIncludingTaxesAmountCents == feesTotal)
            #expect(invoice.prepaidCreditAmountCents == expectation.credits)
            #expect(invoice.totalAmountCents == feesTotal - expectation.credits)

            let document = try db.invoiceDocument("2026-10", invoice.number)
            #expect(document.fees_amount_cents == feesTotal)
            #expect(document.fees.map(\.amount_cents).reduce(0, +) == feesTotal)
            #expect(document.sub_total_including_taxes_amount_cents == feesTotal)
            #expect(document.prepaid_credit_amount_cents == expectation.credits)
            #expect(document.total_amount_cents == feesTotal - expectation.credits)
            #expect(document.total_due_amount_cents == feesTotal - expectation.credits)
        }
        #expect(invoices.map(\.totalAmountCents) == [6500 - 1234, 3500])

        let rows = try db.summaryRows("2026-10")
        try #require(rows.count == 3, "a header and one row per invoice")
        let header = rows[0]
        func column(_ name: String) throws -> Int { try #require(header.firstIndex(of: name), "summary.csv has \(name)") }
        let (number, customer, currency, status) = (try column("number"), try column("customer"), try column("currency"), try column("status"))
        let (fees, credits, total) = (try column("fees_amount_cents"), try column("prepaid_credit_amount_cents"),
                                      try column("total_amount_cents"))
        for (row, invoice) in zip(rows.dropFirst(), invoices) {
            #expect(row.count == header.count)
            #expect(row[number] == invoice.number)
            #expect(row[customer] == invoice.customer)
            #expect(row[currency] == "USD")
            #expect(row[status] == "finalized")
        }
        #expect(rows.dropFirst().map { [$0[customer], $0[fees], $0[credits], $0[total]] } == [
            ["alpha", "6500", "1234", "5266"],
            ["beta", "3500", "0", "3500"],
        ])
    }

    /// A customer id a spreadsheet would run as a formula is written as text in summary.csv.
    @Test func summaryFieldsThatLookLikeFormulasAreWrittenAsText() throws {
        let db = try TestDatabase()
        try db.applyCatalog(CloseCatalog.document(
            plans: [CloseCatalog.plan("tokens", amountCents: 1000, charges: [])],
            customers: [CloseCatalog.customer("=1+2"), CloseCatalog.customer("-plain"), CloseCatalog.customer("@SUM(A1)")],
            subscriptions: [
                CloseCatalog.subscription("s1", customer: "=1+2", plan: "tokens", at: "2026-09-01T00:00:00Z"),
                CloseCatalog.subscription("s2", customer: "-plain", plan: "tokens", at: "2026-09-01T00:00:00Z"),
                CloseCatalog.subscription("s3", customer: "@SUM(A1)", plan: "tokens", at: "2026-09-01T00:00:00Z"),
            ]))
        _ = try db.close(.month(year: 2026, month: 9))
        let summary = try String(contentsOfFile: "\(db.outDirectory)/invoices/2026-09/summary.csv", encoding: .utf8)
        let customers = summary.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[1] }
        #expect(customers == ["'=1+2", "'-plain", "'@SUM(A1)"])
    }
}
