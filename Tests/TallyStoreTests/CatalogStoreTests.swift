import Testing
import TallyCore
import TallyPostgres
@testable import TallyStore

/// The catalog tables: saving by key (created, unchanged, updated), the ids the store gives, and
/// `load`, the one way the catalog is read back.
@Suite struct CatalogStoreTests {
    static let organization = Organization(name: "Acme Cloud", documentNumberPrefix: "ACM", timezone: "UTC")
    static let metric = BillableMetric(code: "tokens", name: "Tokens", fieldName: "tokens",
                                       filters: [MetricFilter(key: "model", values: ["small", "large"])])

    static func plan(_ code: String, charges: Int = 1, amount: Int = 2) -> Plan {
        Plan(code: code, name: code.capitalized, amountCents: 10_00, currency: "USD",
             charges: (0..<charges).map { index in
                 Charge(billableMetricCode: "tokens", invoiceDisplayName: "Charge \(index)",
                        properties: .package(PackageProperties(amount: ExactDecimal(amount + index), packageSize: ExactDecimal(1000))))
             })
    }

    /// Whether `text` is shaped as a UUID: 8-4-4-4-12 lower-case hex digits.
    static func isUUID(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12]
            && groups.allSatisfy { $0.allSatisfy { "0123456789abcdef".contains($0) } }
    }

    // MARK: Saving

    @Test func theOrganizationIsCreatedThenUnchangedThenUpdated() throws {
        let db = try TestStore()
        let catalog = db.store.catalog
        #expect(try catalog.save(Self.organization) == .created)
        #expect(try catalog.save(Self.organization) == .unchanged)
        var moved = Self.organization
        moved.timezone = "Europe/Paris"
        moved.documentNumberPrefix = "ACC"
        #expect(try catalog.save(moved) == .updated)
        #expect(try catalog.save(moved) == .unchanged)
        #expect(try db.rows("SELECT name, document_number_prefix, timezone FROM organization")
                == [["Acme Cloud", "ACC", "Europe/Paris"]])
    }

    @Test func aMetricIsSavedByCodeAndItsFilterKeysFollowItsDefinition() throws {
        let db = try TestStore()
        let catalog = db.store.catalog
        #expect(try catalog.save(Self.metric) == .created)
        #expect(try catalog.save(Self.metric) == .unchanged)
        var changed = Self.metric
        changed.filters.append(MetricFilter(key: "region", values: ["eu"]))
        changed.fieldName = "count"
        #expect(try catalog.save(changed) == .updated)
        #expect(try catalog.save(changed) == .unchanged)
        #expect(try db.rows("SELECT code, field_name, filter_keys::text FROM billable_metrics")
                == [["tokens", "count", "{model,region}"]])
        #expect(try catalog.load().metrics["tokens"]?.definition == changed)
    }

    @Test func aPlanIsSavedByCodeAndKeepsItsIdWhenUpdated() throws {
        let db = try TestStore()
        let catalog = db.store.catalog
        _ = try catalog.save(Self.metric)
        let created = try catalog.save(Self.plan("pro"))
        #expect(created.change == .created)
        let id = try #require(created.id)
        let unchanged = try catalog.save(Self.plan("pro"))
        #expect(unchanged.change == .unchanged)
        #expect(unchanged.id == nil, "nothing was written")
        var euro = Self.plan("pro")
        euro.currency = "EUR"
        let updated = try catalog.save(euro)
        #expect(updated.change == .updated)
        #expect(updated.id == id)
        let other = try catalog.save(Self.plan("basic"))
        #expect(other.change == .created)
        #expect(other.id != nil && other.id != id)
        #expect(try db.scalar("SELECT currency FROM plans WHERE id = $1", [id]) == "EUR")
        #expect(try catalog.load().plans[id]?.definition == euro)
    }

    @Test func eachChangedPlanDefinitionIsKeptAsTheNextVersion() throws {
        let db = try TestStore()
        let catalog = db.store.catalog
        _ = try catalog.save(Self.metric)
        let created = try catalog.save(Self.plan("pro"))
        #expect(created.version == 1)
        let id = try #require(created.id)
        #expect(try catalog.save(Self.plan("pro")).version == nil, "an identical definition keeps no version")
        let changed = Self.plan("pro", amount: 5)
        #expect(try catalog.save(changed).version == 2)
        #expect(try catalog.save(Self.plan("basic")).version == 1, "versions count per plan")

        #expect(try catalog.load().plans[id]?.version == 2)
        #expect(try catalog.load().plans[id]?.current == RatingPlan(planId: id, version: 2, definition: changed, isVersionDefinition: true))
        #expect(try catalog.version(1, ofPlans: [id])
            == [id: RatingPlan(planId: id, version: 1, definition: Self.plan("pro"), isVersionDefinition: true)])
        #expect(try catalog.version(3, ofPlans: [id]).isEmpty)
    }

    @Test func aCustomerIsSavedByExternalIdAndKeepsItsIdWhenUpdated() throws {
        let db = try TestStore()
        let catalog = db.store.catalog
        let customer = Customer(externalId: "acme", name: "Acme", currency: "USD")
        let created = try catalog.save(customer)
        #expect(created.change == .created)
        let id = try #require(created.id)
        let unchanged = try catalog.save(customer)
        #expect(unchanged.change == .unchanged)
        #expect(unchanged.id == nil)
        var moved = customer
        moved.timezone = "America/New_York"
        let updated = try catalog.save(moved)
        #expect(updated.change == .updated)
        #expect(updated.id == id)
        #expect(try db.rows("SELECT external_id, currency, timezone, sequential_id::text FROM customers")
                == [["acme", "USD", "America/New_York", "1"]])
    }

    @Test func aSubscriptionIsSavedByExternalIdWithItsStartAndEnd() throws {
        let db = try TestStore()
        let catalog = db.store.catalog
        _ = try catalog.save(Self.metric)
        let planId = try #require(try catalog.save(Self.plan("pro")).id)
        let customerId = try #require(try catalog.save(Customer(externalId: "acme")).id)
        let start = utc(2026, 9, 15, 7, 30)
        let subscription = Subscription(externalId: "acme-main", externalCustomerId: "acme", planCode: "pro", subscriptionAt: start)
        #expect(try catalog.save(subscription, customerId: customerId, planId: planId, startedAt: start) == .created)
        #expect(try catalog.save(subscription, customerId: customerId, planId: planId, startedAt: start) == .unchanged)
        var ending = subscription
        ending.endingAt = utc(2026, 12, 31, 23, 59, 59, microsecond: 500_000)
        #expect(try catalog.save(ending, customerId: customerId, planId: planId, startedAt: start) == .updated)
        #expect(try catalog.save(ending, customerId: customerId, planId: planId, startedAt: start) == .unchanged)

        let stored = try catalog.load().requireSubscription("acme-main")
        #expect(stored.definition == ending)
        #expect(stored.customerId == customerId)
        #expect(stored.plan.id == planId)
        #expect(stored.startedAt == start)
        #expect(stored.endingAt == ending.endingAt, "microseconds survive")
        #expect(try db.count("subscriptions") == 1)
    }

    @Test func customersGetSequentialIdsInCreationOrder() throws {
        let db = try TestStore()
        let catalog = db.store.catalog
        var ids: [String: Int64] = [:]
        for name in ["carol", "alice", "bob"] {
            let id = try #require(try catalog.save(Customer(externalId: name)).id)
            ids[name] = id
        }
        // Updating one does not renumber it; the next new one comes after the others.
        #expect(try catalog.save(Customer(externalId: "carol", name: "Carol")).change == .updated)
        let dave = try #require(try catalog.save(Customer(externalId: "dave")).id)
        ids["dave"] = dave

        let customers = try catalog.load().customers
        #expect(customers.map(\.externalId) == ["carol", "alice", "bob", "dave"])
        #expect(customers.map(\.sequentialId) == [1, 2, 3, 4])
        #expect(customers.map(\.id) == ["carol", "alice", "bob", "dave"].map { ids[$0] })
        #expect(customers.first?.definition.name == "Carol")
    }

    @Test func walletsAreCreatedForACustomerAndUpdatedInPlace() throws {
        let db = try TestStore()
        let catalog = db.store.catalog
        let customerId = try #require(try catalog.save(Customer(externalId: "acme")).id)
        let wallet = Wallet(externalCustomerId: "acme", name: "Prepaid", currency: "USD", rateAmount: decimal("0.5"),
                            paidCredits: ExactDecimal(10), priority: 3)
        let id = try catalog.create(wallet, customerId: customerId)
        let second = try catalog.create(Wallet(externalCustomerId: "acme", name: "Promo", currency: "USD", rateAmount: ExactDecimal(1)),
                                        customerId: customerId)
        #expect(second != id)
        // A customer's wallets are unique by name.
        let duplicate = try #require(throws: PostgresError.self) { try catalog.create(wallet, customerId: customerId) }
        #expect(duplicate.code == .uniqueViolation)

        var raised = wallet
        raised.priority = 1
        try catalog.update(walletId: id, to: raised)
        let wallets = try catalog.load().wallets
        #expect(wallets.map(\.id) == [id, second])
        #expect(wallets.map(\.customerId) == [customerId, customerId])
        #expect(wallets.first?.definition == raised)
        #expect(try db.rows("SELECT priority::text, rate_amount::text, currency FROM wallets WHERE id = $1", [id])
                == [["1", "0.5", "USD"]])
    }

    // MARK: Loading

    @Test func loadReturnsTheSavedObjectsWithTheIdsTheStoreGaveThem() throws {
        let db = try TestStore()
        let catalog = db.store.catalog
        _ = try catalog.save(Self.organization)
        _ = try catalog.save(Self.metric)
        let plan = Self.plan("pro", charges: 2)
        let planId = try #require(try catalog.save(plan).id)
        let customer = Customer(externalId: "acme", name: "Acme", email: "billing@acme.test", currency: "USD")
        let customerId = try #require(try catalog.save(customer).id)
        let subscription = Subscription(externalId: "acme-main", externalCustomerId: "acme", planCode: "pro", name: "Main")
        let start = utc(2026, 9, 1)
        _ = try catalog.save(subscription, customerId: customerId, planId: planId, startedAt: start)
        let wallet = Wallet(externalCustomerId: "acme", name: "Prepaid", currency: "USD", rateAmount: ExactDecimal(1))
        let walletId = try catalog.create(wallet, customerId: customerId)

        let loaded = try catalog.load()
        #expect(loaded.organization == Self.organization)
        #expect(loaded.documentNumberPrefix == "ACM")
        #expect(Array(loaded.metrics.keys) == ["tokens"])
        #expect(loaded.metricDefinitions["tokens"] == Self.metric)
        #expect(Array(loaded.plans.keys) == [planId])
        #expect(loaded.plans[planId]?.definition == plan)
        let storedCustomer = try loaded.requireCustomer("acme")
        #expect(storedCustomer.id == customerId)
        #expect(storedCustomer.definition == customer)
        #expect(storedCustomer.sequentialId == 1)
        let storedSubscription = try loaded.requireSubscription("acme-main")
        #expect(storedSubscription.definition == subscription)
        #expect(storedSubscription.customerId == customerId)
        #expect(storedSubscription.plan.id == planId)
        #expect(storedSubscription.startedAt == start, "a subscription without subscription_at starts when it was saved as starting")
        #expect(storedSubscription.endingAt == nil)
        #expect(loaded.subscriptions(of: storedCustomer).map(\.externalId) == ["acme-main"])
        #expect(loaded.wallets.map(\.id) == [walletId])
        #expect(loaded.wallets.first?.definition == wallet)

        // Lago ids: the ones in the tables, UUID-shaped, one per object.
        let metricLagoId = try #require(loaded.metrics["tokens"]?.lagoId)
        let planLagoId = try #require(loaded.plans[planId]?.lagoId)
        #expect(try db.scalar("SELECT lago_id::text FROM billable_metrics") == metricLagoId)
        #expect(try db.scalar("SELECT lago_id::text FROM plans") == planLagoId)
        #expect(try db.scalar("SELECT lago_id::text FROM customers") == storedCustomer.lagoId)
        #expect(try db.scalar("SELECT lago_id::text FROM subscriptions") == storedSubscription.lagoId)
        let lagoIds = [metricLagoId, planLagoId, storedCustomer.lagoId, storedSubscription.lagoId]
        #expect(lagoIds.allSatisfy(Self.isUUID), "\(lagoIds)")
        #expect(Set(lagoIds).count == lagoIds.count)
    }

    @Test func theBillingTimezoneIsTheCustomersElseTheOrganizationsElseUTC() throws {
        let db = try TestStore()
        let catalog = db.store.catalog
        _ = try catalog.save(Customer(externalId: "tokyo", timezone: "Asia/Tokyo"))
        _ = try catalog.save(Customer(externalId: "plain"))
        var zones = try catalog.load().customers.map { "\($0.externalId) \($0.billingTimezone)" }
        #expect(zones == ["tokyo Asia/Tokyo", "plain UTC"], "without an organization")

        _ = try catalog.save(Organization(name: "Acme", timezone: "Europe/Paris"))
        zones = try catalog.load().customers.map { "\($0.externalId) \($0.billingTimezone)" }
        #expect(zones == ["tokyo Asia/Tokyo", "plain Europe/Paris"])
    }

    @Test func eachChargeHasALagoIdStableAcrossLoadsAndDistinctBetweenCharges() throws {
        let db = try TestStore()
        let catalog = db.store.catalog
        _ = try catalog.save(Self.metric)
        let proId = try #require(try catalog.save(Self.plan("pro", charges: 3)).id)
        let basicId = try #require(try catalog.save(Self.plan("basic", charges: 2)).id)
        let noneId = try #require(try catalog.save(Self.plan("none", charges: 0)).id)

        let first = try catalog.load()
        let second = try catalog.load()
        let pro = try #require(first.plans[proId]?.chargeLagoIds)
        let basic = try #require(first.plans[basicId]?.chargeLagoIds)
        #expect(pro.count == 3)
        #expect(basic.count == 2)
        #expect(first.plans[noneId]?.chargeLagoIds == [])
        #expect(second.plans[proId]?.chargeLagoIds == pro)
        #expect(second.plans[basicId]?.chargeLagoIds == basic)
        let all = pro + basic
        #expect(Set(all).count == all.count, "distinct between charges and plans: \(all)")
        #expect(all.allSatisfy(Self.isUUID), "\(all)")
        #expect(!all.contains(first.plans[proId]?.lagoId ?? ""), "a charge's id is not its plan's")

        // A charge's id goes with its place in the plan, not its price: changing the plan keeps it.
        #expect(try catalog.save(Self.plan("pro", charges: 3, amount: 7)).change == .updated)
        #expect(try catalog.load().plans[proId]?.chargeLagoIds == pro)
    }

    // MARK: Unreadable definitions

    @Test(arguments: zip(
        ["organization", "billable_metrics", "plans", "customers", "subscriptions", "wallets"],
        ["organization", "billable metric", "plan", "customer", "subscription", "wallet"]))
    func aStoredDefinitionThatNoLongerDecodesIsReportedNamingItsTable(table: String, name: String) throws {
        let db = try TestStore()
        let catalog = try SmallCatalog.save(in: db.store)
        let alpha = try catalog.requireCustomer("alpha")
        _ = try db.store.catalog.create(Wallet(externalCustomerId: "alpha", name: "Prepaid", currency: "USD", rateAmount: ExactDecimal(1)),
                                        customerId: alpha.id)
        _ = try db.store.catalog.load()  // every definition reads before it is spoilt

        try db.raw.execute("UPDATE \(table) SET definition = '{\"nonsense\": true}'")
        let error = try #require(throws: CatalogStore.UnreadableDefinition.self) { try db.store.catalog.load() }
        #expect(error.table == name)
        #expect(error.description.contains(name), "\(error)")
        #expect(!error.reason.isEmpty)
    }

    /// The charges' Lago ids are derived in SQL from the stored definition; a definition whose
    /// `charges` is not a list does not decode either, and must be reported the same way.
    @Test func aPlanWhoseChargesAreNotAListIsReportedAsUnreadable() throws {
        let db = try TestStore()
        _ = try SmallCatalog.save(in: db.store)
        try db.raw.execute(#"UPDATE plans SET definition = jsonb_set(definition, '{charges}', '"none"')"#)
        let error = #expect(throws: CatalogStore.UnreadableDefinition.self) { try db.store.catalog.load() }
        if let error { #expect(error.table == "plan") }
    }

    // MARK: The apply lock

    @Test func theApplyLockIsHeldUntilTheTransactionEnds() throws {
        let db = try TestStore()
        let key = AdvisoryLock.catalog.rawValue
        let tryLock = "SELECT pg_try_advisory_xact_lock($1)"
        let whileHeld = try db.store.transaction {
            try db.store.catalog.lockForApply()
            return try db.raw.transaction { try db.raw.textRows(tryLock, [key]) }
        }
        #expect(whileHeld == [["f"]], "another connection cannot take it")
        let afterCommit = try db.raw.transaction { try db.raw.textRows(tryLock, [key]) }
        #expect(afterCommit == [["t"]], "released at commit")
    }
}
