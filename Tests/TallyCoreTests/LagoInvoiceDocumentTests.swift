import Testing
import TallyCore

/// Lago's invoice JSON, built from a hand-made invoice and catalog: no database, no files.
@Suite struct LagoInvoiceDocumentTests {
    /// The amounts differ from one another on purpose, so that a field written from its neighbour shows.
    func header(
        customerId: Int64 = HandBuilt.acmeId, number: String = "MIS-001-003", status: InvoiceStatus = .finalized,
        paymentStatus: PaymentStatus = .pending, voidedAt: UTCInstant? = nil
    ) throws -> InvoiceRecord.Header {
        InvoiceRecord.Header(
            id: 7, lagoId: "inv-lago-7", sequentialId: 3, number: number, customerId: customerId, period: "2026-10",
            issuingDate: "2026-11-01", currency: "USD", status: status, paymentStatus: paymentStatus,
            feesAmountCents: 12_345, taxesAmountCents: 11, subTotalExcludingTaxesAmountCents: 12_346,
            subTotalIncludingTaxesAmountCents: 12_357, prepaidCreditAmountCents: 2_000,
            prepaidGrantedCreditAmountCents: 500, prepaidPurchasedCreditAmountCents: 1_500, totalAmountCents: 10_357,
            voidedAt: voidedAt, createdAt: try HandBuilt.instant(2026, 11, 1, 12, 0, 0, microsecond: 999_999))
    }

    func fee(
        _ lagoId: String, subscription: Int64, kind: DraftFee.Kind = .charge, code: String = "ai_tokens",
        filterName: String? = nil, filters: [FilterCondition]? = nil, units: String = "1", events: Int = 1,
        precise: String = "1", cents: Int64 = 100
    ) throws -> InvoiceRecord.Fee {
        InvoiceRecord.Fee(
            lagoId: lagoId, subscriptionId: subscription, kind: kind, itemCode: code,
            itemName: kind == .charge ? "AI tokens" : "Pro", invoiceDisplayName: kind == .charge ? "Tokens" : "Pro plan",
            filterInvoiceDisplayName: filterName, filters: filters, units: try HandBuilt.decimal(units), eventsCount: events,
            preciseAmount: try HandBuilt.decimal(precise), amountCents: cents,
            from: try HandBuilt.instant(2026, 10, 1, 4), to: try HandBuilt.instant(2026, 11, 1, 3, 59, 59, microsecond: 999_999))
    }

    /// Acme's October invoice: a small-input bucket and the plan fee of `sub-b`, the default bucket of `sub-a`.
    func acmeInvoice(voidedAt: UTCInstant? = nil, status: InvoiceStatus = .finalized) throws -> InvoiceRecord {
        InvoiceRecord(header: try header(status: status, voidedAt: voidedAt), fees: [
            try fee("fee-1", subscription: HandBuilt.subBId, filterName: "small-input", filters: HandBuilt.smallInput,
                    units: "123456789012345678.123456789", events: 42, precise: "246913578024691356.246913578", cents: 246_914),
            try fee("fee-2", subscription: HandBuilt.subAId, units: "0.5", events: 1, precise: "1", cents: 100),
            try fee("fee-3", subscription: HandBuilt.subBId, kind: .subscription, code: "pro", units: "1", events: 0,
                    precise: "100", cents: 10_000),
        ])
    }

    func document(_ invoice: InvoiceRecord, catalog: StoredCatalog? = nil) throws -> JSONObject {
        let document = try LagoInvoiceDocument(invoice, catalog: try catalog ?? HandBuilt.catalog())
        return try #require(document.json.objectValue)
    }

    @Test func theInvoiceFieldsAreTheRecordsOwn() throws {
        let invoice = try acmeInvoice()
        let built = try LagoInvoiceDocument(invoice, catalog: try HandBuilt.catalog())
        #expect(built.number == "MIS-001-003")
        #expect(built.period == "2026-10")
        let json = try #require(built.json.objectValue)
        #expect(json["lago_id"] == "inv-lago-7")
        #expect(json["number"] == "MIS-001-003")
        #expect(json["sequential_id"] == 3)
        #expect(json["status"] == "finalized")
        #expect(json["payment_status"] == "pending")
        #expect(json["currency"] == "USD")
        #expect(json["issuing_date"] == "2026-11-01")
        #expect(json["payment_due_date"] == "2026-11-01")
        #expect(json["invoice_type"] == "subscription")
    }

    @Test func everyAmountIsWrittenFromItsOwnField() throws {
        let json = try document(try acmeInvoice())
        let expected: [(String, JSONValue)] = [
            ("fees_amount_cents", 12_345), ("taxes_amount_cents", 11),
            ("sub_total_excluding_taxes_amount_cents", 12_346), ("sub_total_including_taxes_amount_cents", 12_357),
            ("prepaid_credit_amount_cents", 2_000), ("prepaid_granted_credit_amount_cents", 500),
            ("prepaid_purchased_credit_amount_cents", 1_500),
            ("total_amount_cents", 10_357), ("total_due_amount_cents", 10_357),
            // What Tally does not model yet: no coupons, credit notes, progressive billing or payments.
            ("coupons_amount_cents", 0), ("credit_notes_amount_cents", 0),
            ("progressive_billing_credit_amount_cents", 0), ("total_paid_amount_cents", 0),
        ]
        for (key, value) in expected {
            #expect(json[key] == value, "\(key)")
        }
        let amountKeys = json.keys.filter { $0.hasSuffix("_amount_cents") }.sorted()
        #expect(amountKeys == expected.map(\.0).sorted(), "no *_amount_cents field is left untested")
    }

    @Test func instantsAreWrittenToTheWholeSecondBelow() throws {
        let json = try document(try acmeInvoice())
        #expect(json["created_at"] == "2026-11-01T12:00:00Z")
        #expect(json["voided_at"] == .null)
        let fees = try #require(json["fees"]?.arrayElements)
        let first = try #require(fees.first?.objectValue)
        #expect(first["from_date"] == "2026-10-01T04:00:00Z")
        #expect(first["to_date"] == "2026-11-01T03:59:59Z")
    }

    @Test func aVoidedInvoiceHasItsVoidingInstant() throws {
        let voidedAt = try HandBuilt.instant(2026, 11, 5, 8, 30, 15, microsecond: 500_000)
        let json = try document(try acmeInvoice(voidedAt: voidedAt, status: .voided))
        #expect(json["status"] == "voided")
        #expect(json["voided_at"] == "2026-11-05T08:30:15Z")
    }

    @Test func theCustomerObjectIsTheBilledCustomer() throws {
        let json = try document(try acmeInvoice())
        let customer = try #require(json["customer"]?.objectValue)
        #expect(customer["lago_id"] == "cust-acme")
        #expect(customer["external_id"] == "acme")
        #expect(customer["sequential_id"] == 1)
        #expect(customer["name"] == "Acme")
        #expect(customer["timezone"] == "America/New_York")
        #expect(customer["applicable_timezone"] == "America/New_York")
        #expect(customer["created_at"] == "2026-09-01T08:00:00Z")
        #expect(customer["updated_at"] == "2026-09-02T09:30:15Z")
    }

    @Test func theApplicableTimezoneFollowsTheBillingTimezoneRule() throws {
        let globexInvoice = InvoiceRecord(
            header: try header(customerId: HandBuilt.globexId, number: "MIS-002-001"),
            fees: [try fee("fee-c", subscription: HandBuilt.subCId)])

        let withOrganization = try #require(try document(globexInvoice)["customer"]?.objectValue)
        #expect(withOrganization["timezone"] == .null)
        #expect(withOrganization["applicable_timezone"] == "Europe/Paris")

        let catalog = try HandBuilt.catalog(organization: nil)
        let withoutOrganization = try #require(try document(globexInvoice, catalog: catalog)["customer"]?.objectValue)
        #expect(withoutOrganization["applicable_timezone"] == "UTC")

        // The customer's own timezone wins over the organization's.
        let acme = try #require(try document(try acmeInvoice())["customer"]?.objectValue)
        #expect(acme["applicable_timezone"] == "America/New_York")
    }

    @Test func oneSubscriptionObjectPerSubscriptionBilledSortedByExternalId() throws {
        // sub-b (id 100) is billed twice and first; sub-a (id 101) once; sub-c is Globex's and not billed.
        let json = try document(try acmeInvoice())
        let subscriptions = try #require(json["subscriptions"]?.arrayElements).map { try #require($0.objectValue) }
        #expect(subscriptions.map { $0["external_id"] } == ["sub-a", "sub-b"])
        #expect(subscriptions.map { $0["lago_id"] } == ["lago-sub-a", "lago-sub-b"])
        for subscription in subscriptions {
            #expect(subscription["lago_customer_id"] == "cust-acme")
            #expect(subscription["external_customer_id"] == "acme")
            #expect(subscription["plan_code"] == "pro")
            #expect(subscription["started_at"] == "2026-09-01T00:00:00Z")
        }
    }

    @Test func everyFeeIsLinkedToTheInvoiceCustomerAndSubscription() throws {
        let json = try document(try acmeInvoice())
        let fees = try #require(json["fees"]?.arrayElements).map { try #require($0.objectValue) }
        #expect(fees.map { $0["lago_id"] } == ["fee-1", "fee-2", "fee-3"], "in invoice order")
        #expect(fees.map { $0["external_subscription_id"] } == ["sub-b", "sub-a", "sub-b"])
        for fee in fees {
            #expect(fee["lago_invoice_id"] == "inv-lago-7")
            #expect(fee["lago_customer_id"] == "cust-acme")
            #expect(fee["external_customer_id"] == "acme")
            #expect(fee["amount_currency"] == "USD")
        }
        #expect(fees.map { $0["amount_cents"] } == [246_914, 100, 10_000])
        #expect(fees.map { $0["events_count"] } == [42, 1, 0])
        #expect(fees.map { $0["item"]?.objectValue?["type"] } == ["charge", "charge", "subscription"])
        #expect(fees.map { $0["item"]?.objectValue?["code"] } == ["ai_tokens", "ai_tokens", "pro"])
    }

    @Test func unitsAndPreciseAmountsAreExactDecimalStrings() throws {
        let json = try document(try acmeInvoice())
        let fees = try #require(json["fees"]?.arrayElements).map { try #require($0.objectValue) }
        // Digits beyond what a Double holds: a detour through floating point would change them.
        #expect(fees[0]["units"] == "123456789012345678.123456789")
        #expect(fees[0]["precise_amount"] == "246913578024691356.246913578")
        #expect(fees[1]["units"] == "0.5")
        #expect(fees[2]["units"] == "1")
        #expect(fees[2]["precise_amount"] == "100")
    }

    @Test func itemFiltersKeepTheFiltersOrderAndAreNullForADefaultBucket() throws {
        let json = try document(try acmeInvoice())
        let items = try #require(json["fees"]?.arrayElements).map { try #require($0.objectValue?["item"]?.objectValue) }
        let filters = try #require(items[0]["filters"]?.objectValue)
        #expect(filters.keys == ["type", "model"])
        #expect(filters["type"] == ["input"])
        #expect(filters["model"] == ["small"])
        #expect(items[0]["filter_invoice_display_name"] == "small-input")
        #expect(items[1]["filters"] == .null)
        #expect(items[1]["filter_invoice_display_name"] == .null)
        #expect(items[2]["filters"] == .null)
    }

    @Test func aCustomerMissingFromTheCatalogIsAnErrorNotACrash() throws {
        let invoice = InvoiceRecord(header: try header(customerId: 99), fees: [try fee("fee-1", subscription: HandBuilt.subAId)])
        let catalog = try HandBuilt.catalog()
        #expect(throws: LagoInvoiceDocument.MissingObject.self) { try LagoInvoiceDocument(invoice, catalog: catalog) }
    }

    @Test func aSubscriptionMissingFromTheCatalogIsAnErrorNotACrash() throws {
        let invoice = InvoiceRecord(header: try header(), fees: [
            try fee("fee-1", subscription: HandBuilt.subAId), try fee("fee-2", subscription: 999),
        ])
        let catalog = try HandBuilt.catalog()
        let error = #expect(throws: LagoInvoiceDocument.MissingObject.self) { try LagoInvoiceDocument(invoice, catalog: catalog) }
        #expect(error?.description.contains("999") == true)
    }

    /// A true-up names its parent (the default bucket before it) and the parent names it back, as
    /// Lago's `lago_true_up_parent_fee_id` and `lago_true_up_fee_id`; the true-up's item is a charge.
    @Test func aTrueUpAndItsParentNameEachOther() throws {
        let invoice = InvoiceRecord(header: try header(), fees: [
            try fee("fee-1", subscription: HandBuilt.subBId, filterName: "small-input", filters: HandBuilt.smallInput),
            try fee("fee-2", subscription: HandBuilt.subBId, units: "0", events: 0, precise: "0", cents: 0),
            try fee("fee-3", subscription: HandBuilt.subBId, kind: .chargeTrueUp, units: "1", events: 0, precise: "8", cents: 800),
            try fee("fee-4", subscription: HandBuilt.subBId, kind: .commitment, code: "pro", units: "1", events: 0,
                    precise: "15", cents: 1500),
        ])
        let fees = try #require(try document(invoice)["fees"]?.arrayElements).map { try #require($0.objectValue) }
        #expect(fees.map { $0["lago_true_up_fee_id"] } == [.null, "fee-3", .null, .null])
        #expect(fees.map { $0["lago_true_up_parent_fee_id"] } == [.null, .null, "fee-2", .null])
        #expect(fees.map { $0["item"]?.objectValue?["type"] } == ["charge", "charge", "charge", "commitment"])
        #expect(fees[3]["item"]?.objectValue?["code"] == "pro")
        #expect(fees[2]["amount_cents"] == 800)
    }
}
