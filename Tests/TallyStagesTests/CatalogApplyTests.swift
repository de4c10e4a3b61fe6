import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md, the catalog file: applying a catalog is idempotent and atomic, errors name the file,
/// the JSON path and the rule, and wallet credits are granted once.
@Suite struct CatalogApplyTests {
    static let mistral = Repository.path("pipelines/mistral/catalog.json")
    static let catalogTables = ["organization", "billable_metrics", "plans", "customers", "subscriptions", "wallets", "wallet_transactions"]

    /// Every catalog row, as JSON text, table by table.
    static func snapshot(_ db: TestDatabase) throws -> [String: [String]] {
        var tables: [String: [String]] = [:]
        for table in catalogTables {
            tables[table] = try db.rows("SELECT to_jsonb(t)::text FROM \(table) t ORDER BY id").map { $0[0] ?? "" }
        }
        return tables
    }

    /// The Mistral catalog as a JSON object, to derive variants from.
    static func mistralDocument() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: mistral))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func json(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test func applyingTheMistralCatalogTwiceChangesNothingTheSecondTime() throws {
        let db = try TestDatabase()
        let first = try db.applyCatalog(file: Self.mistral)
        #expect(!first.changedNothing)
        #expect(first.updated.isEmpty)
        // What the file holds: 1 metric, 2 plans, 4 customers, 4 subscriptions, 4 wallets.
        #expect(try db.count("organization") == 1)
        #expect(try db.count("billable_metrics") == 1)
        #expect(try db.count("plans") == 2)
        #expect(try db.count("customers") == 4)
        #expect(try db.count("subscriptions") == 4)
        #expect(try db.count("wallets") == 4)
        let before = try Self.snapshot(db)

        let second = try db.applyCatalog(file: Self.mistral)
        #expect(second.changedNothing)
        #expect(second.created.isEmpty && second.updated.isEmpty)
        #expect(second.unchanged > 0)
        #expect(try Self.snapshot(db) == before)
    }

    @Test func subscriptionsStartAtSubscriptionAtOrWhenFirstCreated() throws {
        let db = try TestDatabase()
        try db.applyCatalog(file: Self.mistral)
        let started = "(extract(epoch FROM started_at) * 1000000)::bigint::text"
        #expect(try db.scalar("SELECT \(started) FROM subscriptions WHERE external_id = 'acme-main'")
                == String(utcMicroseconds(2026, 9, 15)))
        #expect(try db.scalar("SELECT \(started) FROM subscriptions WHERE external_id = 'hooli-main'")
                == String(utcMicroseconds(2026, 10, 15, 7)))

        try db.applyCatalog("""
            {"customers": [{"external_id": "later", "name": "Later", "currency": "USD"}],
             "subscriptions": [{"external_customer_id": "later", "plan_code": "mistral", "external_id": "later-main"}]}
            """, name: "later.json")
        #expect(try db.scalar("SELECT \(started) FROM subscriptions WHERE external_id = 'later-main'")
                == String(TestDatabase.catalogAppliedAt.microsecondsSinceEpoch))
        #expect(TestDatabase.catalogAppliedAt.microsecondsSinceEpoch == utcMicroseconds(2026, 9, 1))
    }

    @Test func walletCreditsAreGrantedOnce() throws {
        let db = try TestDatabase()
        let acmeGrants = """
            SELECT count(*), bool_and(granted_credits = 25 AND purchased_credits = 100)
            FROM wallet_transactions t JOIN wallets w ON w.id = t.wallet_id JOIN customers c ON c.id = w.customer_id
            WHERE c.external_id = 'acme' AND w.name = 'AI Credits' AND t.direction = 'inbound'
            """
        try db.applyCatalog(file: Self.mistral)
        #expect(try db.rows(acmeGrants) == [["1", "t"]])
        // Four wallets, each created with some credits: one grant each.
        #expect(try db.count("wallet_transactions") == 4)
        #expect(try db.scalar("SELECT count(*) FROM wallet_transactions WHERE direction <> 'inbound'") == "0")

        try db.applyCatalog(file: Self.mistral)
        #expect(try db.rows(acmeGrants) == [["1", "t"]])
        #expect(try db.count("wallet_transactions") == 4)
    }

    /// Plan 0's charge names a metric that does not exist; plan 1's charge has an unsupported model.
    static func catalogWithTwoErrors() throws -> String {
        var document = try mistralDocument()
        var plans = try #require(document["plans"] as? [[String: Any]])
        var charges = try #require(plans[0]["charges"] as? [[String: Any]])
        charges[0]["billable_metric_id"] = "gpu_seconds"
        plans[0]["charges"] = charges
        var eurCharges = try #require(plans[1]["charges"] as? [[String: Any]])
        eurCharges[0]["charge_model"] = "dynamic"
        plans[1]["charges"] = eurCharges
        document["plans"] = plans
        return try json(document)
    }

    @Test func aCatalogWithSeveralErrorsAppliesNothing() throws {
        let db = try TestDatabase()
        let errors = try #require(throws: CatalogErrors.self) {
            try db.applyCatalog(Self.catalogWithTwoErrors(), name: "broken.json")
        }
        #expect(!errors.errors.isEmpty)
        #expect(errors.errors.allSatisfy { $0.file == "broken.json" })
        let dynamic = errors.errors.first { $0.path.hasPrefix("plans[1].charges[0]") }
        #expect(dynamic?.path == "plans[1].charges[0].charge_model", "\(errors)")
        #expect(dynamic?.message.contains("not supported yet") == true, "\(errors)")
        #expect(dynamic?.message.contains("dynamic") == true)
        for table in Self.catalogTables {
            #expect(try db.count(table) == 0, "\(table) is empty")
        }
    }

    /// Errors come in two rounds: every error of the file itself first, then, once the file
    /// decodes, every error against its own objects and the store. Nothing is applied in either.
    @Test func referenceErrorsAreReportedOnceTheFileDecodes() throws {
        let db = try TestDatabase()
        let broken = try Self.catalogWithTwoErrors()
        let first = try #require(throws: CatalogErrors.self) { try db.applyCatalog(broken, name: "broken.json") }
        #expect(first.errors.contains { $0.path.hasPrefix("plans[1].charges[0]") && $0.message.contains("not supported yet") }, "\(first)")
        let decodable = broken.replacingOccurrences(of: "\"dynamic\"", with: "\"package\"")
        #expect(decodable != broken)
        let second = try #require(throws: CatalogErrors.self) { try db.applyCatalog(decodable, name: "broken.json") }
        #expect(second.errors.contains { $0.path.hasPrefix("plans[0].charges[0]") && $0.message.contains("gpu_seconds") }, "\(second)")
        for table in Self.catalogTables { #expect(try db.count(table) == 0, "\(table)") }
    }

    @Test func severalUnsupportedFeaturesAreAllReported() throws {
        let db = try TestDatabase()
        var document = try Self.mistralDocument()
        var metrics = try #require(document["billable_metrics"] as? [[String: Any]])
        metrics[0]["aggregation_type"] = "custom_agg"
        document["billable_metrics"] = metrics
        var plans = try #require(document["plans"] as? [[String: Any]])
        plans[0]["interval"] = "daily"
        var charges = try #require(plans[1]["charges"] as? [[String: Any]])
        charges[0]["charge_model"] = "dynamic"
        plans[1]["charges"] = charges
        document["plans"] = plans

        let errors = try #require(throws: CatalogErrors.self) {
            try db.applyCatalog(Self.json(document), name: "unsupported.json")
        }
        let paths = Set(errors.errors.map(\.path))
        #expect(paths.isSuperset(of: ["billable_metrics[0].aggregation_type", "plans[0].interval", "plans[1].charges[0].charge_model"]),
                "\(errors)")
        for error in errors.errors { #expect(error.message.contains("not supported yet"), "\(error)") }
        for table in Self.catalogTables {
            #expect(try db.count(table) == 0, "\(table) is empty")
        }
    }

    @Test func anErrorFoundAgainstTheStoreLeavesTheEarlierStateUntouched() throws {
        let db = try TestDatabase()
        try db.applyCatalog(file: Self.mistral)
        let before = try Self.snapshot(db)

        var document = try Self.mistralDocument()
        var wallets = try #require(document["wallets"] as? [[String: Any]])
        #expect(wallets[0]["external_customer_id"] as? String == "acme")
        wallets[0]["paid_credits"] = "200.0"
        document["wallets"] = wallets
        // Changes that would be valid on their own must not be applied either.
        var plans = try #require(document["plans"] as? [[String: Any]])
        plans[0]["amount_cents"] = 1000
        document["plans"] = plans
        var customers = try #require(document["customers"] as? [[String: Any]])
        customers.append(["external_id": "newco", "name": "NewCo", "currency": "USD"])
        document["customers"] = customers

        let errors = try #require(throws: CatalogErrors.self) {
            try db.applyCatalog(Self.json(document), name: "catalog-changed.json")
        }
        let error = try #require(errors.errors.first { $0.path.hasPrefix("wallets[0]") }, "\(errors)")
        #expect(errors.errors.count == 1, "\(errors)")
        #expect(error.file == "catalog-changed.json")
        #expect(error.message.contains("paid_credits"), "the error names the rule: \(error)")
        #expect(error.description.hasPrefix("catalog-changed.json: wallets[0]"))
        #expect(try Self.snapshot(db) == before)
    }

    @Test func anErrorNamesTheFileTheJSONPathAndTheRule() throws {
        let db = try TestDatabase()
        var document = try Self.mistralDocument()
        var plans = try #require(document["plans"] as? [[String: Any]])
        var charges = try #require(plans[0]["charges"] as? [[String: Any]])
        var filters = try #require(charges[0]["filters"] as? [[String: Any]])
        var properties = try #require(filters[2]["properties"] as? [String: Any])
        properties["package_size"] = 0
        filters[2]["properties"] = properties
        charges[0]["filters"] = filters
        plans[0]["charges"] = charges
        document["plans"] = plans

        let errors = try #require(throws: CatalogErrors.self) {
            try db.applyCatalog(Self.json(document), name: "bad-size.json")
        }
        try #require(errors.errors.count == 1, "\(errors)")
        let error = errors.errors[0]
        #expect(error.file == "bad-size.json")
        #expect(error.path == "plans[0].charges[0].filters[2].properties.package_size")
        #expect(!error.message.isEmpty)
        #expect(error.description == "bad-size.json: plans[0].charges[0].filters[2].properties.package_size: \(error.message)")
        #expect(try db.count("plans") == 0)
    }

    @Test func anUnparseableFileSaysWhere() throws {
        let db = try TestDatabase()
        let errors = try #require(throws: CatalogErrors.self) {
            try db.applyCatalog("{\n  \"plans\": [\n    {\"code\": }\n  ]\n}\n", name: "syntax.json")
        }
        let error = try #require(errors.errors.first)
        #expect(error.file == "syntax.json")
        #expect(error.message.contains("line 3"), "\(error)")
    }

    @Test func theSeedCatalogWithoutDefaultChargePropertiesApplies() throws {
        let db = try TestDatabase()
        let seed = Repository.path("pipelines/mistral/catalog-seed.json")
        let report = try db.applyCatalog(file: seed)
        #expect(!report.created.isEmpty)
        #expect(try db.count("billable_metrics") == 1)
        #expect(try db.count("plans") == 1)
        #expect(try db.count("customers") == 1)
        #expect(try db.count("subscriptions") == 1)
        #expect(try db.count("wallets") == 1)
        #expect(try db.count("wallet_transactions") == 1)
        #expect(try db.applyCatalog(file: seed).changedNothing)
    }

    /// GMT+5 is UTC+5 to Foundation and UTC−5 to PostgreSQL: a timezone written as an offset is
    /// refused with its path, before anything is applied; IANA names, Etc/GMT+5 included, are taken.
    @Test(arguments: ["GMT+5", "UTC+5", "GMT+0530"])
    func aTimezoneWrittenAsAnOffsetIsRefused(zone: String) throws {
        let db = try TestDatabase()
        let catalog = CloseCatalog.document(plans: [], customers: [CloseCatalog.customer("acme", timezone: zone)], subscriptions: [])
        let errors = try #require(throws: CatalogErrors.self) { try db.applyCatalog(catalog) }
        #expect(errors.errors.map(\.path) == ["customers[0].timezone"])
        #expect(errors.description.contains("not an offset"))
        #expect(try db.count("customers") == 0)
        try db.applyCatalog(CloseCatalog.document(plans: [], customers: [CloseCatalog.customer("acme", timezone: "Etc/GMT-5")],
                                                   subscriptions: [], organizationTimezone: "Asia/Kolkata"))
        #expect(try db.scalar("SELECT timezone FROM customers") == "Etc/GMT-5")
    }

    @Test func aNULInACatalogStringIsAnErrorAtItsPath() throws {
        let db = try TestDatabase()
        let catalog = CloseCatalog.document(plans: [], customers: [#"{"external_id": "acme", "name": "Ac\u0000me"}"#], subscriptions: [])
        let errors = try #require(throws: CatalogErrors.self) { try db.applyCatalog(catalog) }
        #expect(errors.errors.map(\.path) == ["customers[0].name"])
        #expect(errors.description.contains("NUL"))
    }

    @Test func aCatalogWithAByteOrderMarkApplies() throws {
        let db = try TestDatabase()
        let catalog = CloseCatalog.document(plans: [], customers: [CloseCatalog.customer("acme")], subscriptions: [])
        let path = try db.write("bom.json", [0xEF, 0xBB, 0xBF] + Array(catalog.utf8))
        #expect(try db.applyCatalog(file: path).created.contains("customer acme"))
        // An error still points at the line and column of the document.
        let broken = try db.write("bom-broken.json", [0xEF, 0xBB, 0xBF] + Array("{\n  \"plans\": [,]\n}".utf8))
        let errors = try #require(throws: CatalogErrors.self) { try db.applyCatalog(file: broken) }
        #expect(errors.description.contains("line 2, column 13"), "\(errors)")
    }
}
