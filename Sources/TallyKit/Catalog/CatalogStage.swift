import Foundation
import TallyCore

/// What applying a catalog changed: object names ("plan mistral") created and updated.
public struct CatalogApplyReport: Sendable {
    public var created: [String] = []
    public var updated: [String] = []
    public var unchanged = 0

    public var changedNothing: Bool { created.isEmpty && updated.isEmpty }
}

/// `tally catalog apply`: decodes a catalog file, checks it against itself and the store, and
/// writes it in one transaction. Unchanged objects are left alone; on any error nothing is written.
public enum CatalogStage {
    /// Advisory lock key serialising catalog applies (sequence numbers, wallet grants).
    static let lockKey: Int64 = 0x7A11_0002

    public static func apply(file path: String, to connection: PostgresConnection, now: UTCInstant) throws -> CatalogApplyReport {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let catalog = try decode(file: path, name: name)
        return try connection.transaction {
            try connection.execute("SELECT pg_advisory_xact_lock($1)", [String(lockKey)])
            let errors = try CatalogValidator.checkReferences(catalog, file: name, stored: storedNames(connection))
                + checkTimezones(catalog, file: name)
            guard errors.isEmpty else { throw CatalogErrors(errors: errors) }
            var writer = CatalogWriter(connection: connection, file: name, now: now)
            try writer.write(catalog)
            return writer.report
        }
    }

    static func decode(file path: String, name: String) throws -> Catalog {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CatalogErrors(errors: [CatalogError(file: name, path: "$", message: "cannot read the file: \(error.localizedDescription)")])
        }
        let document: JSONValue
        do {
            document = try data.withUnsafeBytes { raw in
                try JSONParser.parse(raw.bindMemory(to: UInt8.self))
            }
        } catch let error as JSONSyntaxError {
            let (line, column) = position(of: error.offset, in: data)
            throw CatalogErrors(errors: [CatalogError(file: name, path: "$", message: "line \(line), column \(column): \(error.reason)")])
        }
        return try CatalogDecoder.decode(document, file: name)
    }

    private static func position(of offset: Int, in data: Data) -> (line: Int, column: Int) {
        let prefix = data.prefix(offset)
        let line = prefix.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        let column = offset - (prefix.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
        return (line, column)
    }

    private static func storedNames(_ connection: PostgresConnection) throws -> StoredCatalogNames {
        var metrics: [String: BillableMetric] = [:]
        for row in try connection.execute("SELECT code, definition::text FROM billable_metrics").rows {
            metrics[row[0]!] = try JSONDecoder().decode(BillableMetric.self, from: Data(row[1]!.utf8))
        }
        let plans = Set(try connection.execute("SELECT code FROM plans").rows.map { $0[0]! })
        var currencies: [String: String?] = [:]
        for row in try connection.execute("SELECT external_id, currency FROM customers").rows {
            currencies[row[0]!] = row[1]
        }
        return StoredCatalogNames(metrics: metrics, planCodes: plans, customerCurrencies: currencies)
    }

    private static func checkTimezones(_ catalog: Catalog, file: String) -> [CatalogError] {
        var errors: [CatalogError] = []
        if let zone = catalog.organization?.timezone, TimeZone(identifier: zone) == nil {
            errors.append(CatalogError(file: file, path: "organization.timezone", message: "\"\(zone)\" is not a time zone of the tz database (e.g. Europe/Paris, UTC)"))
        }
        for (index, customer) in catalog.customers.enumerated() {
            if let zone = customer.timezone, TimeZone(identifier: zone) == nil {
                errors.append(CatalogError(file: file, path: "customers[\(index)].timezone", message: "\"\(zone)\" is not a time zone of the tz database (e.g. America/New_York, UTC)"))
            }
        }
        return errors
    }
}

/// Writes a checked catalog object by object, comparing each with what is stored.
private struct CatalogWriter {
    let connection: PostgresConnection
    let file: String
    let now: UTCInstant
    var report = CatalogApplyReport()
    private var errors: [CatalogError] = []
    /// Metrics whose filter keys changed: their usage rollups are bucketed by the old keys.
    private var rollupsToRebuild: [String] = []

    init(connection: PostgresConnection, file: String, now: UTCInstant) {
        self.connection = connection
        self.file = file
        self.now = now
    }

    private enum Outcome { case created(Int64), updated(Int64), unchanged(Int64) }

    mutating func write(_ catalog: Catalog) throws {
        let connection = self.connection, file = self.file
        // Rollup days are dates in each customer's timezone: note them to rebuild any that move.
        let zonesBefore = try UsageRollups.subscriptionTimezones(connection)
        if let organization = catalog.organization {
            let definition = try Self.json(organization)
            let rows = try connection.execute("""
                INSERT INTO organization (id, name, document_number_prefix, timezone, definition)
                VALUES (1, $1, $2, $3, $4::jsonb)
                ON CONFLICT (id) DO UPDATE SET name = $1, document_number_prefix = $2, timezone = $3,
                    definition = $4::jsonb, updated_at = now()
                WHERE organization.definition IS DISTINCT FROM $4::jsonb
                RETURNING (xmax = 0) AS inserted
                """, [organization.name, organization.documentNumberPrefix, organization.timezone, definition])
            record("organization \(organization.name)", rows)
        }
        for (index, metric) in catalog.billableMetrics.enumerated() {
            let storedKeys = try connection.execute("SELECT array_to_json(filter_keys)::text FROM billable_metrics WHERE code = $1", [metric.code]).scalar
            if let storedKeys, storedKeys != JSONValue.array(metric.filters.map { .string($0.key) }).serialized {
                rollupsToRebuild.append(metric.code)
            }
            try upsert("billable metric \(metric.code)", table: "billable_metrics", key: ("code", metric.code), definition: metric,
                       columns: ["field_name": metric.fieldName, "filter_keys": Self.arrayLiteral(metric.filters.map(\.key))]) { stored in
                let old = try JSONDecoder().decode(BillableMetric.self, from: Data(stored.utf8))
                if old.fieldName != metric.fieldName,
                   try connection.execute("SELECT 1 FROM events WHERE code = $1 LIMIT 1", [metric.code]).rows.count > 0 {
                    return CatalogError(file: file, path: "billable_metrics[\(index)].field_name",
                        message: "cannot change from \"\(old.fieldName)\" to \"\(metric.fieldName)\": events of this metric are stored; create a metric with a new code instead")
                }
                return nil
            }
        }
        for plan in catalog.plans {
            try upsert("plan \(plan.code)", table: "plans", key: ("code", plan.code), definition: plan, columns: ["currency": plan.currency])
        }
        for customer in catalog.customers {
            try upsert("customer \(customer.externalId)", table: "customers", key: ("external_id", customer.externalId), definition: customer,
                       columns: ["currency": customer.currency, "timezone": customer.timezone],
                       insertColumns: ["sequential_id": "(SELECT coalesce(max(sequential_id), 0) + 1 FROM customers)"])
        }
        for (index, subscription) in catalog.subscriptions.enumerated() {
            let customerId = try id(of: "customers", externalId: subscription.externalCustomerId)
            let planId = try connection.execute("SELECT id FROM plans WHERE code = $1", [subscription.planCode]).scalar!
            try upsert("subscription \(subscription.externalId)", table: "subscriptions", key: ("external_id", subscription.externalId),
                       definition: subscription,
                       columns: ["customer_id": customerId, "plan_id": planId,
                                 "started_at": (subscription.subscriptionAt ?? now).description,
                                 "ending_at": subscription.endingAt?.description]) { stored in
                let old = try JSONDecoder().decode(Subscription.self, from: Data(stored.utf8))
                guard old.externalCustomerId == subscription.externalCustomerId else {
                    return CatalogError(file: file, path: "subscriptions[\(index)].external_customer_id",
                        message: "subscription \"\(subscription.externalId)\" belongs to customer \"\(old.externalCustomerId)\"; a subscription cannot move to another customer")
                }
                return nil
            }
        }
        for (index, wallet) in catalog.wallets.enumerated() {
            try writeWallet(wallet, index: index)
        }
        guard errors.isEmpty else { throw CatalogErrors(errors: errors) }
        for code in rollupsToRebuild { try UsageRollups.rebuild(where: "e.code = $1", [code], connection) }
        let zonesAfter = try UsageRollups.subscriptionTimezones(connection)
        let moved = zonesBefore.filter { zonesAfter[$0.key] != $0.value }.keys.sorted()
        if !moved.isEmpty {
            try UsageRollups.rebuild(where: "e.subscription_id = ANY ($1::bigint[])", ["{" + moved.joined(separator: ",") + "}"], connection)
        }
    }

    private mutating func writeWallet(_ wallet: Wallet, index: Int) throws {
        let customerId = try id(of: "customers", externalId: wallet.externalCustomerId)
        let label = "wallet \"\(wallet.name)\" of customer \(wallet.externalCustomerId)"
        let definition = try Self.json(wallet)
        let stored = try connection.execute(
            "SELECT id, definition::text FROM wallets WHERE customer_id = $1 AND name = $2", [customerId, wallet.name]).rows.first
        guard let stored else {
            let walletId = try connection.execute("""
                INSERT INTO wallets (customer_id, name, currency, rate_amount, priority, definition)
                VALUES ($1, $2, $3, $4::numeric, $5, $6::jsonb) RETURNING id
                """, [customerId, wallet.name, wallet.currency, wallet.rateAmount.description, String(wallet.priority), definition]).scalar!
            if wallet.grantedCredits > .zero || wallet.paidCredits > .zero {
                try connection.execute("""
                    INSERT INTO wallet_transactions (wallet_id, direction, granted_credits, purchased_credits, reason)
                    VALUES ($1, 'inbound', $2::numeric, $3::numeric, 'credits granted when the wallet was created')
                    """, [walletId, wallet.grantedCredits.description, wallet.paidCredits.description])
            }
            report.created.append(label)
            return
        }
        let old = try JSONDecoder().decode(Wallet.self, from: Data(stored[1]!.utf8))
        if old == wallet {
            report.unchanged += 1
            return
        }
        let path = "wallets[\(index)]"
        if old.paidCredits != wallet.paidCredits || old.grantedCredits != wallet.grantedCredits {
            errors.append(CatalogError(file: file, path: path,
                message: "\(label) exists with paid_credits \(old.paidCredits) and granted_credits \(old.grantedCredits); credits in the catalog are granted once, when the wallet is created: add credits with a top-up instead of changing them here"))
        }
        if old.currency != wallet.currency || old.rateAmount != wallet.rateAmount {
            errors.append(CatalogError(file: file, path: path,
                message: "\(label) exists with currency \(old.currency) and rate_amount \(old.rateAmount); these cannot change once credits were granted: create a wallet with a new name"))
        }
        try connection.execute("UPDATE wallets SET priority = $2, definition = $3::jsonb, updated_at = now() WHERE id = $1",
                               [stored[0], String(wallet.priority), definition])
        report.updated.append(label)
    }

    /// Inserts the object, or updates it when its definition differs and `checkChange` allows it.
    private mutating func upsert<Object: Encodable>(
        _ label: String, table: String, key: (column: String, value: String), definition object: Object,
        columns: [String: String?], insertColumns: [String: String] = [:],
        checkChange: (String) throws -> CatalogError? = { _ in nil }
    ) throws {
        let definition = try Self.json(object)
        let stored = try connection.execute(
            "SELECT id, definition::text, definition = $2::jsonb FROM \(table) WHERE \(key.column) = $1", [key.value, definition]).rows.first
        let names = columns.keys.sorted()
        let values = names.map { columns[$0]! }
        if let stored {
            if stored[2] == "t" {
                report.unchanged += 1
                return
            }
            if let error = try checkChange(stored[1]!) {
                errors.append(error)
                return
            }
            let assignments = names.enumerated().map { "\($1) = $\($0 + 3)" }.joined(separator: ", ")
            try connection.execute(
                "UPDATE \(table) SET definition = $2::jsonb, \(assignments), updated_at = now() WHERE id = $1",
                [stored[0], definition] + values)
            report.updated.append(label)
        } else {
            let extra = insertColumns.keys.sorted()
            let columnList = ([key.column, "definition"] + names + extra).joined(separator: ", ")
            let placeholders = (["$1", "$2::jsonb"] + names.indices.map { "$\($0 + 3)" } + extra.map { insertColumns[$0]! })
                .joined(separator: ", ")
            try connection.execute("INSERT INTO \(table) (\(columnList)) VALUES (\(placeholders))", [key.value, definition] + values)
            report.created.append(label)
        }
    }

    private mutating func record(_ label: String, _ rows: PostgresRows) {
        switch rows.scalar {
        case "t"?: report.created.append(label)
        case "f"?: report.updated.append(label)
        default: report.unchanged += 1
        }
    }

    private func id(of table: String, externalId: String) throws -> String {
        try connection.execute("SELECT id FROM \(table) WHERE external_id = $1", [externalId]).scalar!
    }

    /// A PostgreSQL array literal of `values` (`{"model","type"}`), quoted and escaped.
    private static func arrayLiteral(_ values: [String]) -> String {
        "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    private static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
