import Testing
import TallyCore
import TallyPostgres
@testable import TallyStore

/// Invoices and their fees: written as `InvoiceIssuer` numbered and settled them, read back
/// exactly, one live invoice per customer and period.
@Suite struct InvoiceStoreTests {
    static let october = utcPeriod(2026, 10)

    /// Expects `record` to be `issued`, stored with id `id`: every header field and every fee, in order.
    static func expect(
        _ record: InvoiceRecord, isIssued issued: IssuedDraft, id: Int64, status: InvoiceStatus = .finalized,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let header = record.header, draft = issued.draft, totals = issued.totals
        #expect(header.id == id, sourceLocation: sourceLocation)
        #expect(header.number == issued.number, sourceLocation: sourceLocation)
        #expect(header.sequentialId == issued.sequentialId, sourceLocation: sourceLocation)
        #expect(header.customerId == draft.customer.id, sourceLocation: sourceLocation)
        #expect(header.period == draft.period.label, sourceLocation: sourceLocation)
        #expect(header.issuingDate == draft.period.issuingDate, sourceLocation: sourceLocation)
        #expect(header.currency == draft.currency, sourceLocation: sourceLocation)
        #expect(header.status == status, sourceLocation: sourceLocation)
        #expect((header.voidedAt != nil) == (status == .voided), "voided_at is set exactly when voided", sourceLocation: sourceLocation)
        #expect(header.paymentStatus == issued.paymentStatus, sourceLocation: sourceLocation)
        #expect(header.feesAmountCents == totals.feesAmountCents, sourceLocation: sourceLocation)
        #expect(header.taxesAmountCents == totals.taxesAmountCents, sourceLocation: sourceLocation)
        #expect(header.subTotalExcludingTaxesAmountCents == totals.subTotalExcludingTaxesAmountCents, sourceLocation: sourceLocation)
        #expect(header.subTotalIncludingTaxesAmountCents == totals.subTotalIncludingTaxesAmountCents, sourceLocation: sourceLocation)
        #expect(header.prepaidCreditAmountCents == totals.prepaidCreditAmountCents, sourceLocation: sourceLocation)
        #expect(header.prepaidGrantedCreditAmountCents == totals.prepaidGrantedCreditAmountCents, sourceLocation: sourceLocation)
        #expect(header.prepaidPurchasedCreditAmountCents == totals.prepaidPurchasedCreditAmountCents, sourceLocation: sourceLocation)
        #expect(header.totalAmountCents == totals.totalAmountCents, sourceLocation: sourceLocation)

        #expect(record.fees.count == draft.fees.count, "fees", sourceLocation: sourceLocation)
        for (index, (stored, line)) in zip(record.fees, draft.fees).enumerated() {
            let fee = line.fee
            let same = stored.subscriptionId == line.subscriptionId && stored.kind == fee.kind && stored.itemCode == fee.itemCode
                && stored.itemName == fee.itemName && stored.invoiceDisplayName == fee.invoiceDisplayName
                && stored.filterInvoiceDisplayName == fee.filterInvoiceDisplayName && stored.filters == fee.filters
                && stored.units == fee.units && stored.eventsCount == fee.eventsCount && stored.preciseAmount == fee.preciseAmount
                && stored.amountCents == fee.amountCents && stored.from == fee.from && stored.to == fee.to
            #expect(same, "fee \(index) of \(issued.number): stored \(stored), issued \(fee)", sourceLocation: sourceLocation)
        }
    }

    @Test func issuedInvoicesAreReadBackExactlyAsIssued() throws {
        let db = try TestStore()
        let catalog = try SmallCatalog.save(in: db.store)
        let alpha = try catalog.requireCustomer("alpha"), beta = try catalog.requireCustomer("beta")
        let alphaDraft = try db.draft("alpha", Self.october, catalog: catalog, usage: try SmallCatalog.alphaUsage(catalog))
        let betaDraft = try db.draft("beta", Self.october, catalog: catalog)
        #expect(alphaDraft.fees.map(\.fee.amountCents) == SmallCatalog.alphaFeeCents, "the fixture rates as its comment says")

        let (issued, ids) = try db.issue([alphaDraft, betaDraft])
        #expect(ids.count == 2 && ids[0] < ids[1], "ids in issue order: \(ids)")

        let records = try db.store.invoices.records(numbers: ["ACM-002-001", "ACM-001-001", "ACM-404-001"])
        #expect(records.map(\.header.number) == ["ACM-001-001", "ACM-002-001"], "the numbers asked for that exist, in number order")
        try #require(records.count == 2)
        Self.expect(records[0], isIssued: issued[0], id: ids[0])
        Self.expect(records[1], isIssued: issued[1], id: ids[1])

        // The same figures, reasoned from the catalog rather than copied from the issuer.
        let (a, b) = (records[0].header, records[1].header)
        #expect((a.customerId, a.sequentialId, a.period, a.issuingDate, a.currency) == (alpha.id, 1, "2026-10", "2026-11-01", "USD"))
        #expect((b.customerId, b.sequentialId) == (beta.id, 1))
        #expect((a.feesAmountCents, a.prepaidCreditAmountCents, a.totalAmountCents) == (31_00, 0, 31_00))
        #expect((b.feesAmountCents, b.totalAmountCents) == (10_00, 10_00))
        #expect(a.status == .finalized && b.status == .finalized)
        #expect(a.paymentStatus == .pending && b.paymentStatus == .pending, "nothing paid them")
        #expect(a.voidedAt == nil)

        let fees = records[0].fees
        #expect(fees.map(\.kind) == [.charge, .charge, .charge, .subscription])
        #expect(fees.map(\.itemCode) == ["tokens", "tokens", "tokens", "pro"])
        #expect(fees.map(\.amountCents) == SmallCatalog.alphaFeeCents)
        #expect(fees.map(\.preciseAmount) == [ExactDecimal(15), ExactDecimal(2), ExactDecimal(4), ExactDecimal(10)])
        #expect(fees.map(\.units) == [ExactDecimal(2500), ExactDecimal(1200), ExactDecimal(1500), ExactDecimal(1)])
        #expect(fees.map(\.eventsCount) == [3, 2, 2, 0])
        #expect(fees.map(\.filterInvoiceDisplayName) == [SmallCatalog.largeModel, "Small output", nil, nil])
        #expect(fees.last?.itemName == SmallCatalog.planName)
        #expect(fees.last?.invoiceDisplayName == SmallCatalog.planName)
        #expect(fees.map { $0.filters?.map(\.key) } == [["model"], ["type", "model"], nil, nil], "filter keys keep the plan's order")
        #expect(fees.map { $0.filters?.flatMap(\.values) } == [["large"], ["output", "small"], nil, nil])
        #expect(fees.allSatisfy { $0.from == utc(2026, 10, 1) && $0.to == utc(2026, 10, 31, 23, 59, 59, microsecond: 999_999) })
        let alphaMain = try catalog.requireSubscription("alpha-main").id
        #expect(fees.allSatisfy { $0.subscriptionId == alphaMain })
        let lagoIds = records.map(\.header.lagoId) + records.flatMap { $0.fees.map(\.lagoId) }
        #expect(Set(lagoIds).count == 2 + 4 + 1, "every invoice and fee has a Lago id of its own: \(lagoIds)")
    }

    @Test func eachCustomersInvoicesAreNumberedInSequence() throws {
        let db = try TestStore()
        let catalog = try SmallCatalog.save(in: db.store)
        let alpha = try catalog.requireCustomer("alpha").id, beta = try catalog.requireCustomer("beta").id
        #expect(try db.store.invoices.lastSequences(customerIds: [alpha, beta]) == [:])
        #expect(try db.store.invoices.livePeriods() == [:])
        #expect(try db.store.transaction { try db.store.invoices.insert([]) } == [])

        try db.issue([try db.draft("alpha", Self.october, catalog: catalog), try db.draft("beta", Self.october, catalog: catalog)])
        let november = try db.issue([try db.draft("alpha", utcPeriod(2026, 11), catalog: catalog)])
        #expect(november.issued.map(\.number) == ["ACM-001-002"])
        #expect(november.issued.map(\.sequentialId) == [2])

        #expect(try db.store.invoices.lastSequences(customerIds: [alpha, beta, 999]) == [alpha: 2, beta: 1])
        #expect(try db.store.invoices.lastSequences(customerIds: [beta]) == [beta: 1])
        #expect(try db.store.invoices.livePeriods() == [alpha: ["2026-10", "2026-11"], beta: ["2026-10"]])
        #expect(try db.store.invoices.records(numbers: ["ACM-001-002"]).map(\.header.sequentialId) == [2])
        #expect(try db.rows("SELECT number FROM invoices ORDER BY id").map { $0[0] } == ["ACM-001-001", "ACM-002-001", "ACM-001-002"])
    }

    @Test func aVoidedInvoiceLeavesTheLiveListsButStaysInItsPeriodsSummary() throws {
        let db = try TestStore()
        let catalog = try SmallCatalog.save(in: db.store)
        let alpha = try catalog.requireCustomer("alpha").id, beta = try catalog.requireCustomer("beta").id
        let first = try db.issue([try db.draft("alpha", Self.october, catalog: catalog, usage: try SmallCatalog.alphaUsage(catalog)),
                                  try db.draft("beta", Self.october, catalog: catalog)])
        try db.store.transaction { try db.store.invoices.void([(first.ids[1], "ACM-002-001")], returning: [:]) }

        #expect(try db.store.invoices.live(period: "2026-10").map(\.header.number) == ["ACM-001-001"])
        #expect(try db.store.invoices.livePeriods() == [alpha: ["2026-10"]])
        let voided = try db.store.invoices.records(period: "2026-10", excluding: ["ACM-001-001"])
        try #require(voided.count == 1)
        Self.expect(voided[0], isIssued: first.issued[1], id: first.ids[1], status: .voided)
        #expect(try db.store.invoices.summary(period: "2026-10") == [
            InvoiceSummaryRow(number: "ACM-001-001", customer: "alpha", currency: "USD", status: .finalized,
                              feesAmountCents: 31_00, prepaidCreditAmountCents: 0, totalAmountCents: 31_00),
            InvoiceSummaryRow(number: "ACM-002-001", customer: "beta", currency: "USD", status: .voided,
                              feesAmountCents: 10_00, prepaidCreditAmountCents: 0, totalAmountCents: 10_00),
        ])
        #expect(try db.store.invoices.summary(period: "2026-11") == [])
        #expect(try db.store.invoices.records(period: "2026-10", excluding: ["ACM-001-001", "ACM-002-001"]).isEmpty)

        // The voided invoice keeps its number: the period's next invoice for beta is its second.
        #expect(try db.store.invoices.lastSequences(customerIds: [beta]) == [beta: 1])
        let again = try db.issue([try db.draft("beta", Self.october, catalog: catalog)])
        #expect(again.issued.map(\.number) == ["ACM-002-002"])
        #expect(try db.store.invoices.live(period: "2026-10").map(\.header.number) == ["ACM-001-001", "ACM-002-002"])
    }

    @Test func aSecondLiveInvoiceForACustomersPeriodIsRefusedWithItsFees() throws {
        let db = try TestStore()
        let catalog = try SmallCatalog.save(in: db.store)
        let usage = try SmallCatalog.alphaUsage(catalog)
        try db.issue([try db.draft("alpha", Self.october, catalog: catalog, usage: usage)])

        let error = try #require(throws: PostgresError.self) {
            try db.issue([try db.draft("alpha", Self.october, catalog: catalog, usage: usage)])
        }
        #expect(error.code == .uniqueViolation)
        #expect(Store.isRefusedStatement(error))
        #expect(try db.count("invoices") == 1)
        #expect(try db.count("fees") == 4, "the refused invoice's fees were not kept")
        #expect(try db.store.invoices.lastSequences(customerIds: [try catalog.requireCustomer("alpha").id]).values.first == 1)
    }

    @Test func aStartInvoiceStandsBesideItsMonthsPeriodInvoiceOncePerSubscription() throws {
        let db = try TestStore()
        let catalog = try SmallCatalog.save(in: db.store)
        let alpha = try catalog.requireCustomer("alpha"), subscription = try catalog.requireSubscription("alpha-main")
        let september = utcPeriod(2026, 9)
        // Started on 1 September: the start invoice bills September whole, 10.00.
        let start = try #require(try StartInvoice.draft(subscription, customer: alpha))
        #expect(start.period == september && start.issuingDate == "2026-09-01")
        let issued = try db.issue([start, try db.draft("alpha", september, catalog: catalog)])
        #expect(issued.issued.map(\.number) == ["ACM-001-001", "ACM-001-002"])

        // The period lists know only the period invoice.
        #expect(try db.store.invoices.livePeriods() == [alpha.id: ["2026-09"]])
        #expect(try db.store.invoices.live(period: "2026-09").map(\.header.number) == ["ACM-001-002"])
        let stored = try db.store.invoices.records(numbers: ["ACM-001-001"])
        try #require(stored.count == 1)
        #expect(stored[0].header.startingSubscriptionId == subscription.id)
        #expect(stored[0].fees.map(\.amountCents) == [10_00])
        #expect(stored[0].fees.map { stored[0].header.billsInAdvance($0) } == [true])

        // What close reads: September's fee was billed ahead, and the subscription is billed.
        #expect(try db.store.invoices.advanceBilling(subscriptionIds: [subscription.id], period: "2026-09", previous: "2026-08",
                                                     next: "2026-10") == [subscription.id: AdvanceBilling(periodFeeBilled: true)])
        #expect(try db.store.invoices.billedSubscriptionIds() == [subscription.id])

        // A second live start invoice for the subscription is refused.
        let error = try #require(throws: PostgresError.self) { try db.issue([start]) }
        #expect(error.code == .uniqueViolation)
        #expect(try db.count("invoices") == 2)
    }
}
