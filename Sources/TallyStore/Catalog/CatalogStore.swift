import Foundation
import TallyCore
import TallyPostgres

/// The catalog tables: organization, billable metrics, plans, customers, subscriptions, wallets.
///
/// Each object is kept as its definition (the core type, as JSON) beside the columns the other
/// tables join on. `load` is the one way the catalog is read back.
public struct CatalogStore {
    let connection: PostgresConnection

    /// What saving one object did.
    public enum Change: Sendable, Equatable {
        case created
        case updated
        /// The stored definition was already this one: nothing was written.
        case unchanged
    }

    /// A stored definition that no longer decodes into its core type (edited by hand, or written
    /// by a newer Tally).
    public struct UnreadableDefinition: Error, CustomStringConvertible {
        public let table: String
        public let key: String
        public let reason: String
        public var description: String { "the stored definition of \(table) \"\(key)\" cannot be read: \(reason)" }
    }

    // MARK: Reading

    /// The whole catalog, with the ids the store gave each object.
    public func load() throws -> StoredCatalog {
        struct Definition: Decodable { let definition: String }
        struct MetricRow: Decodable { let lagoId: String; let definition: String }
        struct PlanRow: Decodable { let id: Int64; let lagoId: String; let definition: String; let chargeLagoIds: String; let version: Int? }
        struct CustomerRow: Decodable {
            let id: Int64; let lagoId: String; let sequentialId: Int; let definition: String
            let createdAt: UTCInstant; let updatedAt: UTCInstant
        }
        struct SubscriptionRow: Decodable {
            let id: Int64; let lagoId: String; let customerId: Int64; let planId: Int64; let definition: String
            let startedAt: UTCInstant; let endingAt: UTCInstant?; let terminatedAt: UTCInstant?; let createdAt: UTCInstant
            let previousSubscriptionId: Int64?; let superseded: Bool
        }
        struct WalletRow: Decodable { let id: Int64; let customerId: Int64; let definition: String }
        struct TaxRow: Decodable { let lagoId: String; let code: String; let definition: String }
        struct CouponRow: Decodable { let id: Int64; let lagoId: String; let code: String; let definition: String }
        struct AppliedCouponRow: Decodable {
            let id: Int64; let lagoId: String; let customerId: Int64; let definition: String; let createdAt: UTCInstant
        }

        let organization = try connection.queryFirst("SELECT definition::text AS definition FROM organization", as: Definition.self)
            .map { try Self.decode(Organization.self, $0.definition, table: "organization", key: "1") }
        let metrics = try connection.query("SELECT lago_id, definition::text AS definition FROM billable_metrics", as: MetricRow.self)
            .map { row in
                StoredCatalog.Metric(lagoId: row.lagoId,
                                     definition: try Self.decode(BillableMetric.self, row.definition, table: "billable metric", key: row.lagoId))
            }
        // A charge's Lago id: the md5 of its plan's Lago id and its index, shaped as a UUID.
        let plans = try connection.query("""
            SELECT p.id, p.lago_id, p.definition::text AS definition,
                   coalesce((SELECT json_agg(md5(p.lago_id::text || ':' || i)::uuid ORDER BY i)
                             FROM generate_series(0, CASE jsonb_typeof(p.definition -> 'charges')
                                                     WHEN 'array' THEN jsonb_array_length(p.definition -> 'charges') ELSE 0 END - 1) i),
                            '[]')::text AS charge_lago_ids,
                   (SELECT max(v.version) FROM plan_versions v WHERE v.plan_id = p.id) AS version
            FROM plans p
            """, as: PlanRow.self).map { row in
            let plan = try Self.decode(Plan.self, row.definition, table: "plan", key: String(row.id))
            guard case .array(let ids)? = try? JSONParser.parse(row.chargeLagoIds), ids.count == plan.charges.count else {
                throw UnreadableDefinition(table: "plan", key: plan.code, reason: "its charges have no ids")
            }
            guard let version = row.version else {
                throw UnreadableDefinition(table: "plan", key: plan.code, reason: "it has no row in plan_versions")
            }
            return StoredCatalog.PlanRecord(id: row.id, lagoId: row.lagoId, definition: plan,
                                            chargeLagoIds: ids.map { $0.stringValue ?? "" }, version: version)
        }
        let customers = try connection.query("""
            SELECT id, lago_id, sequential_id, definition::text AS definition, created_at, updated_at FROM customers
            """, as: CustomerRow.self).map { row in
            (id: row.id, lagoId: row.lagoId, sequentialId: row.sequentialId,
             definition: try Self.decode(Customer.self, row.definition, table: "customer", key: String(row.id)),
             createdAt: row.createdAt, updatedAt: row.updatedAt)
        }
        let subscriptions = try connection.query("""
            SELECT id, lago_id, customer_id, plan_id, definition::text AS definition, started_at,
                   least(ending_at, terminated_at) AS ending_at, terminated_at, created_at, previous_subscription_id, superseded
            FROM subscriptions
            """, as: SubscriptionRow.self).map { row in
            StoredCatalog.SubscriptionRow(
                id: row.id, lagoId: row.lagoId, customerId: row.customerId, planId: row.planId,
                definition: try Self.decode(Subscription.self, row.definition, table: "subscription", key: String(row.id)),
                startedAt: row.startedAt, endingAt: row.endingAt, terminatedAt: row.terminatedAt, createdAt: row.createdAt,
                previousId: row.previousSubscriptionId, superseded: row.superseded)
        }
        let wallets = try connection.query("SELECT id, customer_id, definition::text AS definition FROM wallets ORDER BY id", as: WalletRow.self)
            .map { row in
                StoredCatalog.WalletRecord(id: row.id, customerId: row.customerId,
                                           definition: try Self.decode(Wallet.self, row.definition, table: "wallet", key: String(row.id)))
            }
        let taxes = try connection.query("SELECT lago_id, code, definition::text AS definition FROM taxes", as: TaxRow.self)
            .map { row in
                StoredCatalog.TaxRecord(lagoId: row.lagoId, definition: try Self.decode(Tax.self, row.definition, table: "tax", key: row.code))
            }
        let coupons = try connection.query("SELECT id, lago_id, code, definition::text AS definition FROM coupons", as: CouponRow.self)
            .map { row in
                StoredCatalog.CouponRecord(id: row.id, lagoId: row.lagoId,
                                           definition: try Self.decode(Coupon.self, row.definition, table: "coupon", key: row.code))
            }
        let applied = try connection.query("""
            SELECT id, lago_id, customer_id, definition::text AS definition, created_at FROM applied_coupons ORDER BY id
            """, as: AppliedCouponRow.self).map { row in
            StoredCatalog.AppliedCouponRecord(
                id: row.id, lagoId: row.lagoId, customerId: row.customerId,
                definition: try Self.decode(AppliedCoupon.self, row.definition, table: "applied coupon", key: String(row.id)),
                createdAt: row.createdAt)
        }
        return try StoredCatalog(organization: organization, metrics: metrics, plans: plans, customers: customers,
                                 subscriptions: subscriptions, wallets: wallets, taxes: taxes, coupons: coupons, appliedCoupons: applied)
    }

    /// The offset from UTC, in seconds, of PostgreSQL's timezone `name` at `instant`; nil when
    /// PostgreSQL does not know the name.
    public func serverOffsetSeconds(timezone name: String, at instant: UTCInstant) throws -> Int? {
        struct Row: Decodable { let offset: Int }
        guard try connection.queryValue("SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1) AS known", [name],
                                        column: "known", as: Bool.self)
        else { return nil }
        return try connection.queryFirst("""
            SELECT extract(epoch FROM ($2::timestamptz AT TIME ZONE $1) - ($2::timestamptz AT TIME ZONE 'UTC'))::int AS offset
            """, [name, instant], as: Row.self)?.offset
    }

    // MARK: Writing

    /// Saves the organization (there is one).
    public func save(_ organization: Organization) throws -> Change {
        try upserted(connection.queryFirst("""
            INSERT INTO organization (id, name, document_number_prefix, timezone, definition)
            VALUES (1, $1, $2, $3, $4::jsonb)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, document_number_prefix = excluded.document_number_prefix,
                timezone = excluded.timezone, definition = excluded.definition, updated_at = now()
            WHERE organization.definition IS DISTINCT FROM excluded.definition
            RETURNING 1 AS id, (xmax = 0) AS inserted
            """, [organization.name, organization.documentNumberPrefix, organization.timezone, try Self.json(organization)]))
    }

    /// Saves a coupon by its code.
    public func save(_ coupon: Coupon) throws -> Change {
        try save(code: coupon.code, definition: coupon, into: "coupons")
    }

    /// Applies coupon `couponCode` to customer `customerId` with `applied`'s overrides.
    public func apply(_ applied: AppliedCoupon, customerId: Int64) throws {
        try connection.execute("""
            INSERT INTO applied_coupons (customer_id, coupon_id, definition)
            SELECT $1, id, $3::jsonb FROM coupons WHERE code = $2
            """, [customerId, applied.couponCode, try Self.json(applied)])
    }

    /// Saves a tax by its code.
    public func save(_ tax: Tax) throws -> Change {
        try save(code: tax.code, definition: tax, into: "taxes")
    }

    /// Saves a definition by its code into `table` (a table of `code` and `definition` only); an
    /// identical definition writes nothing.
    private func save(code: String, definition: some Encodable, into table: StaticString) throws -> Change {
        try upserted(connection.queryFirst("""
            INSERT INTO \(table) (code, definition) VALUES ($1, $2::jsonb)
            ON CONFLICT (code) DO UPDATE SET definition = excluded.definition, updated_at = now()
            WHERE \(table).definition IS DISTINCT FROM excluded.definition
            RETURNING id, (xmax = 0) AS inserted
            """, [code, try Self.json(definition)]))
    }

    /// Saves a billable metric by its code.
    public func save(_ metric: BillableMetric) throws -> Change {
        try upserted(connection.queryFirst("""
            INSERT INTO billable_metrics (code, definition, field_name, filter_keys) VALUES ($1, $2::jsonb, $3, $4::text[])
            ON CONFLICT (code) DO UPDATE SET definition = excluded.definition, field_name = excluded.field_name,
                filter_keys = excluded.filter_keys, updated_at = now()
            WHERE billable_metrics.definition IS DISTINCT FROM excluded.definition
            RETURNING id, (xmax = 0) AS inserted
            """, [metric.code, try Self.json(metric), metric.fieldName, metric.filters.map(\.key)]))
    }

    /// Saves a plan by its code and keeps the definition as the plan's next version (1 when it is
    /// created); an identical definition writes nothing. Returns its id and new version when it was
    /// written.
    public func save(_ plan: Plan) throws -> (change: Change, id: Int64?, version: Int?) {
        let (change, id) = try upsertedWithId(connection.queryFirst("""
            INSERT INTO plans (code, definition, currency) VALUES ($1, $2::jsonb, $3)
            ON CONFLICT (code) DO UPDATE SET definition = excluded.definition, currency = excluded.currency, updated_at = now()
            WHERE plans.definition IS DISTINCT FROM excluded.definition
            RETURNING id, (xmax = 0) AS inserted
            """, [plan.code, try Self.json(plan), plan.currency]))
        guard let id else { return (change, nil, nil) }
        // Applies hold the catalog lock, so the next number is this one's to take.
        let version: Int = try connection.queryValue("""
            INSERT INTO plan_versions (plan_id, version, definition)
            SELECT p.id, coalesce((SELECT max(v.version) FROM plan_versions v WHERE v.plan_id = p.id), 0) + 1, p.definition
            FROM plans p WHERE p.id = $1
            RETURNING version
            """, [id], column: "version")
        return (change, id, version)
    }

    /// Whether any plan was ever paid in advance (in any of its versions): only then do closes look
    /// for fees billed ahead.
    public func anyPlanEverPaidInAdvance() throws -> Bool {
        try connection.queryValue("""
            SELECT EXISTS (SELECT 1 FROM plan_versions WHERE definition ->> 'payInAdvance' = 'true') AS ever
            """, column: "ever")
    }

    /// Version `version` of each plan of `planIds` that has one, by plan id.
    public func version(_ version: Int, ofPlans planIds: [Int64]) throws -> [Int64: RatingPlan] {
        struct Row: Decodable { let planId: Int64; let version: Int; let definition: String }
        let rows = try connection.query("""
            SELECT plan_id, version, definition::text AS definition FROM plan_versions
            WHERE plan_id = ANY ($1::bigint[]) AND version = $2
            """, [planIds, version], as: Row.self)
        var plans: [Int64: RatingPlan] = [:]
        for row in rows {
            plans[row.planId] = RatingPlan(
                planId: row.planId, version: row.version,
                definition: try Self.decode(Plan.self, row.definition, table: "plan version", key: "\(row.planId) v\(row.version)"),
                isVersionDefinition: true)
        }
        return plans
    }

    /// Saves a customer by its external id; a new one gets the next sequential id. Returns its id
    /// when it was written.
    public func save(_ customer: Customer) throws -> (change: Change, id: Int64?) {
        try upsertedWithId(connection.queryFirst("""
            INSERT INTO customers (external_id, definition, currency, timezone, sequential_id)
            VALUES ($1, $2::jsonb, $3, $4, (SELECT coalesce(max(sequential_id), 0) + 1 FROM customers))
            ON CONFLICT (external_id) DO UPDATE SET definition = excluded.definition, currency = excluded.currency,
                timezone = excluded.timezone, updated_at = now()
            WHERE customers.definition IS DISTINCT FROM excluded.definition
            RETURNING id, (xmax = 0) AS inserted
            """, [customer.externalId, try Self.json(customer), customer.currency, customer.timezone]))
    }

    /// Ends the subscription `id` at `instant` (`tally subscription terminate`), apart from the
    /// catalog's `ending_at`, which a later apply may rewrite.
    public func terminate(subscriptionId id: Int64, at instant: UTCInstant) throws {
        _ = try connection.execute("UPDATE subscriptions SET terminated_at = $2, updated_at = now() WHERE id = $1", [id, instant])
    }

    /// Moves the subscription `id` to plan `planId` at `instant` (`tally subscription change-plan`): its
    /// row ends there and is superseded by a new one, returned, that starts there on the other plan
    /// with `definition` and the same external id.
    public func changePlan(subscriptionId id: Int64, to planId: Int64, at instant: UTCInstant, definition: Subscription) throws -> Int64 {
        _ = try connection.execute("""
            UPDATE subscriptions SET terminated_at = $2, superseded = true, updated_at = now() WHERE id = $1
            """, [id, instant])
        return try connection.queryValue("""
            INSERT INTO subscriptions (external_id, definition, customer_id, plan_id, started_at, ending_at, previous_subscription_id)
            SELECT external_id, $3::jsonb, customer_id, $4, $2::timestamptz, ending_at, id FROM subscriptions WHERE id = $1
            RETURNING id
            """, [id, instant, try Self.json(definition), planId], column: "id")
    }

    /// Saves a subscription by its external id (its current row), starting at `startedAt`.
    public func save(_ subscription: Subscription, customerId: Int64, planId: Int64, startedAt: UTCInstant) throws -> Change {
        try upserted(connection.queryFirst("""
            INSERT INTO subscriptions (external_id, definition, customer_id, plan_id, started_at, ending_at)
            VALUES ($1, $2::jsonb, $3, $4, $5::timestamptz, $6::timestamptz)
            ON CONFLICT (external_id) WHERE NOT superseded DO UPDATE SET definition = excluded.definition, customer_id = excluded.customer_id,
                plan_id = excluded.plan_id, started_at = excluded.started_at, ending_at = excluded.ending_at, updated_at = now()
            WHERE subscriptions.definition IS DISTINCT FROM excluded.definition
            RETURNING id, (xmax = 0) AS inserted
            """, [subscription.externalId, try Self.json(subscription), customerId, planId, startedAt, subscription.endingAt]))
    }

    /// Creates a wallet; returns its id.
    public func create(_ wallet: Wallet, customerId: Int64) throws -> Int64 {
        try connection.queryValue("""
            INSERT INTO wallets (customer_id, name, currency, rate_amount, priority, definition)
            VALUES ($1, $2, $3, $4::numeric, $5, $6::jsonb) RETURNING id
            """, [customerId, wallet.name, wallet.currency, wallet.rateAmount, wallet.priority, try Self.json(wallet)], column: "id")
    }

    /// Updates what may change of a wallet: its priority (its definition follows).
    public func update(walletId: Int64, to wallet: Wallet) throws {
        try connection.execute("UPDATE wallets SET priority = $2, definition = $3::jsonb, updated_at = now() WHERE id = $1",
                               [walletId, wallet.priority, try Self.json(wallet)])
    }

    /// Serialises catalog applies for the open transaction.
    public func lockForApply() throws {
        try AdvisoryLock.catalog.holdForTransaction(connection)
    }

    // MARK: Definitions

    private struct Upserted: Decodable {
        let id: Int64
        let inserted: Bool
    }

    private func upserted(_ row: Upserted?) -> Change {
        upsertedWithId(row).change
    }

    private func upsertedWithId(_ row: Upserted?) -> (change: Change, id: Int64?) {
        guard let row else { return (.unchanged, nil) }
        return (row.inserted ? .created : .updated, row.id)
    }

    /// An object's definition as stored: the core type as JSON, keys sorted.
    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String, table: String, key: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw UnreadableDefinition(table: table, key: key, reason: "\(error)")
        }
    }
}
