import Testing
import TallyCore

/// The stored catalog built from values: timezones, live subscriptions, consistency.
@Suite struct StoredCatalogTests {
    let paris = Organization(name: "Mistral AI", timezone: "Europe/Paris")

    @Test func theCustomersTimezoneWinsThenTheOrganizationsThenUTC() {
        let tokyo = Customer(externalId: "c", timezone: "Asia/Tokyo")
        let plain = Customer(externalId: "c")
        #expect(StoredCatalog.billingTimezone(of: tokyo, organization: paris) == "Asia/Tokyo")
        #expect(StoredCatalog.billingTimezone(of: tokyo, organization: nil) == "Asia/Tokyo")
        #expect(StoredCatalog.billingTimezone(of: plain, organization: paris) == "Europe/Paris")
        #expect(StoredCatalog.billingTimezone(of: plain, organization: nil) == "UTC")
    }

    @Test func eachCustomerRecordCarriesItsBillingTimezone() throws {
        let catalog = try HandBuilt.catalog()
        #expect(catalog.customer(externalId: "acme")?.billingTimezone == "America/New_York")
        #expect(catalog.customer(externalId: "globex")?.billingTimezone == "Europe/Paris")
        let alone = try HandBuilt.catalog(organization: nil)
        #expect(alone.customer(externalId: "globex")?.billingTimezone == "UTC")
        #expect(alone.documentNumberPrefix == "INV")
        #expect(catalog.documentNumberPrefix == "MIS")
    }

    @Test func theIngestCatalogGivesEachSubscriptionItsCustomersTimezone() throws {
        let zones = try HandBuilt.catalog().ingestCatalog.subscriptions.compactMapValues(\.first?.billingTimezone)
        #expect(zones == ["sub-a": "America/New_York", "sub-b": "America/New_York", "sub-c": "Europe/Paris"])
    }

    @Test func aPeriodBillsTheSubscriptionsLiveAtSomeInstantOfIt() throws {
        let october = try HandBuilt.period(2026, 10)  // UTC: 2026-10-01T00:00:00Z ... 2026-10-31T23:59:59.999999Z
        func spec(_ id: Int64, _ name: String, from: UTCInstant, until: UTCInstant? = nil, customer: Int64 = HandBuilt.acmeId)
            -> HandBuilt.SubscriptionSpec {
            HandBuilt.SubscriptionSpec(id: id, externalId: name, customerId: customer, startedAt: from, endingAt: until)
        }
        let catalog = try HandBuilt.catalog(subscriptions: [
            spec(1, "running", from: try HandBuilt.instant(2026, 9, 1)),
            spec(2, "starts-after", from: try HandBuilt.instant(2026, 11, 1)),
            spec(3, "ended-before", from: try HandBuilt.instant(2026, 8, 1),
                 until: try HandBuilt.instant(2026, 9, 30, 23, 59, 59, microsecond: 999_999)),
            spec(4, "starts-last-microsecond", from: october.to),
            spec(5, "ends-first-microsecond", from: try HandBuilt.instant(2026, 8, 1), until: october.from),
            spec(6, "within", from: try HandBuilt.instant(2026, 10, 10), until: try HandBuilt.instant(2026, 10, 20)),
            spec(7, "other-customer", from: try HandBuilt.instant(2026, 9, 1), customer: HandBuilt.globexId),
        ])
        let acme = try #require(catalog.customer(id: HandBuilt.acmeId))
        #expect(catalog.activeSubscriptions(of: acme, in: october).map(\.externalId)
                == ["running", "starts-last-microsecond", "ends-first-microsecond", "within"])
        #expect(catalog.subscriptions(of: acme).count == 6)
    }

    @Test func theSameSubscriptionIsLiveInTheMonthsOfItsCustomersTimezone() throws {
        // Starts 2026-11-01T02:00:00Z: still October 31 in New York, already November in UTC.
        let catalog = try HandBuilt.catalog(subscriptions: [
            HandBuilt.SubscriptionSpec(id: 1, externalId: "late-start", customerId: HandBuilt.acmeId,
                                       startedAt: try HandBuilt.instant(2026, 11, 1, 2)),
        ])
        let acme = try #require(catalog.customer(id: HandBuilt.acmeId))
        #expect(catalog.activeSubscriptions(of: acme, in: try HandBuilt.period(2026, 10, "America/New_York")).count == 1)
        #expect(catalog.activeSubscriptions(of: acme, in: try HandBuilt.period(2026, 10, "UTC")).isEmpty)
    }

    @Test func aSubscriptionNamingAPlanNotGivenIsAnInconsistency() throws {
        let subscription = HandBuilt.SubscriptionSpec(
            id: 1, externalId: "orphan", customerId: HandBuilt.acmeId, planId: 99, startedAt: try HandBuilt.instant(2026, 9, 1))
        let error = #expect(throws: StoredCatalog.Inconsistency.self) {
            try HandBuilt.catalog(subscriptions: [subscription])
        }
        #expect(error?.description.contains("orphan") == true)
    }

    @Test func aSubscriptionNamingACustomerNotGivenIsAnInconsistency() throws {
        let subscription = HandBuilt.SubscriptionSpec(
            id: 1, externalId: "stray", customerId: 42, startedAt: try HandBuilt.instant(2026, 9, 1))
        #expect(throws: StoredCatalog.Inconsistency.self) { try HandBuilt.catalog(subscriptions: [subscription]) }
    }
}
