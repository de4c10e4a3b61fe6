import Foundation
import Synchronization
import TallyCore

/// Writes `<out>/invoices/<YYYY-MM>/<number>.json` (Lago's invoice object) and the period's
/// `summary.csv` from what the store holds, so a file lost or left stale by a crash after the
/// commit is rewritten by the next run. Files are replaced atomically and only when they differ.
/// They are not fsynced: PostgreSQL is the record, and a file a power cut loses or truncates is
/// rewritten by the next close.
struct InvoiceFiles {
    let connection: PostgresConnection
    let outDirectory: String

    /// What the files of some invoices are rendered from, read from the store in one go.
    struct Sources: Sendable {
        /// Invoice rows (the columns of `sources(where:)`), in number order.
        let invoices: [[String?]]
        let customers: [String: JSONValue]
        let fees: [String: [JSONValue]]
        let subscriptions: [String: [JSONValue]]
    }

    /// Writes the files of every invoice of `periods` but those in `written` (invoice numbers whose
    /// files this close already wrote), and each period's summary; returns the paths it (re)wrote.
    func write(periods: [String], except written: Set<String> = []) throws -> [String] {
        var paths: [String] = []
        for period in periods {
            let sources = try self.sources(where: "i.period = $1 AND i.number <> ALL ($2::text[])",
                                           [period, PostgresArray.text(written.sorted())])
            paths += try Self.writeInvoices(sources, outDirectory: outDirectory)
            let rows = try connection.execute("""
                SELECT i.number, c.external_id, i.currency, i.status, i.fees_amount_cents, i.prepaid_credit_amount_cents,
                       i.total_amount_cents
                FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE i.period = $1 ORDER BY i.number
                """, [period]).rows
            if rows.isEmpty { continue }
            var summary = "number,customer,currency,status,fees_amount_cents,prepaid_credit_amount_cents,total_amount_cents\n"
            for row in rows { summary += row.map { Self.csvField($0 ?? "") }.joined(separator: ",") + "\n" }
            let directory = Self.directory(of: period, in: outDirectory)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let summaryPath = (directory as NSString).appendingPathComponent("summary.csv")
            if try Self.replace(summaryPath, with: summary) { paths.append(summaryPath) }
        }
        return paths
    }

    /// The sources of the invoices matching `condition` (on `i`, the invoices table).
    func sources(where condition: String, _ parameters: [String?]) throws -> Sources {
        let invoices = try connection.execute("""
            SELECT i.id, i.lago_id, i.sequential_id, i.number, i.issuing_date::text, i.status, i.payment_status,
                   i.currency, i.fees_amount_cents, i.taxes_amount_cents, i.sub_total_excluding_taxes_amount_cents,
                   i.sub_total_including_taxes_amount_cents, i.prepaid_credit_amount_cents,
                   i.prepaid_granted_credit_amount_cents, i.prepaid_purchased_credit_amount_cents, i.total_amount_cents,
                   \(Self.iso("i.voided_at")), i.customer_id, \(Self.iso("i.created_at")), i.period
            FROM invoices i WHERE \(condition) ORDER BY i.number
            """, parameters).rows
        if invoices.isEmpty { return Sources(invoices: [], customers: [:], fees: [:], subscriptions: [:]) }
        return Sources(invoices: invoices, customers: try customersJSON(where: condition, parameters),
                       fees: try feesJSON(where: condition, parameters), subscriptions: try subscriptionsJSON(where: condition, parameters))
    }

    /// Writes the invoice files of `sources` that are missing or differ, on both cores (rendering
    /// and creating thousands of files is CPU-bound: JSON, and file creation in the kernel), each
    /// taking every other invoice. Returns the paths it wrote. Needs no connection: it may run on
    /// another thread while the store is busy with something else.
    static func writeInvoices(_ sources: Sources, outDirectory: String) throws -> [String] {
        let invoices = sources.invoices
        for period in Set(invoices.map { $0[19]! }) {
            let directory = directory(of: period, in: outDirectory)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try removeLeftoverTemporaries(in: directory)
        }
        let workers = 2
        let outcomes = Mutex<[(index: Int, result: Result<String?, any Error>)]>([])
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: invoices.count, by: workers) {
                let row = invoices[index]
                let result = Result { () throws -> String? in
                    let document = invoiceJSON(row, customer: sources.customers[row[17]!]!, fees: sources.fees[row[0]!] ?? [],
                                               subscriptions: sources.subscriptions[row[0]!] ?? [])
                    let path = (directory(of: row[19]!, in: outDirectory) as NSString).appendingPathComponent("\(row[3]!).json")
                    guard try replace(path, with: document.prettyPrinted + "\n") else { return nil }
                    CrashPoint.reach("close-after-first-file")
                    return path
                }
                outcomes.withLock { $0.append((index, result)) }
            }
        }
        var written: [String] = []
        for outcome in outcomes.withLock({ $0 }).sorted(by: { $0.index < $1.index }) {
            if let path = try outcome.result.get() { written.append(path) }
        }
        return written
    }

    private static func directory(of period: String, in outDirectory: String) -> String {
        (outDirectory as NSString).appendingPathComponent("invoices/\(period)")
    }

    private static func invoiceJSON(_ row: [String?], customer: JSONValue, fees: [JSONValue], subscriptions: [JSONValue]) -> JSONValue {
        func cents(_ index: Int) -> JSONValue { .number(row[index]!) }
        let customerObject = customer.objectValue!
        func linked(_ objects: [JSONValue]) -> JSONValue {
            .array(objects.map { object in
                var object = object.objectValue!
                if object["lago_invoice_id"] != nil { object["lago_invoice_id"] = .string(row[1]!) }
                object["lago_customer_id"] = customerObject["lago_id"]
                object["external_customer_id"] = customerObject["external_id"]
                return .object(object)
            })
        }
        let issuingDate = JSONValue.string(row[4]!)
        return .object(JSONObject([
            ("lago_id", .string(row[1]!)), ("sequential_id", .number(row[2]!)), ("number", .string(row[3]!)),
            ("issuing_date", issuingDate), ("payment_due_date", issuingDate), ("payment_overdue", false),
            ("net_payment_term", 0), ("invoice_type", "subscription"), ("version_number", 4),
            ("status", .string(row[5]!)), ("payment_status", .string(row[6]!)), ("currency", .string(row[7]!)),
            ("fees_amount_cents", cents(8)), ("coupons_amount_cents", 0), ("taxes_amount_cents", cents(9)),
            ("credit_notes_amount_cents", 0), ("progressive_billing_credit_amount_cents", 0),
            ("sub_total_excluding_taxes_amount_cents", cents(10)), ("sub_total_including_taxes_amount_cents", cents(11)),
            ("prepaid_credit_amount_cents", cents(12)), ("prepaid_granted_credit_amount_cents", cents(13)),
            ("prepaid_purchased_credit_amount_cents", cents(14)),
            ("total_amount_cents", cents(15)), ("total_due_amount_cents", cents(15)), ("total_paid_amount_cents", 0),
            ("voided_at", row[16].map(JSONValue.string) ?? .null), ("created_at", .string(row[18]!)),
            ("customer", customer), ("subscriptions", linked(subscriptions)), ("fees", linked(fees)),
            ("credits", []), ("applied_taxes", []),
        ]))
    }

    /// The fees of the invoices matching `condition` in Lago's fee shape, by invoice id, in invoice order.
    private func feesJSON(where condition: String, _ parameters: [String?]) throws -> [String: [JSONValue]] {
        var fees: [String: [JSONValue]] = [:]
        for fee in try connection.execute("""
            SELECT f.invoice_id, f.lago_id, s.external_id, f.fee_type, f.item_code, f.item_name, f.invoice_display_name,
                   f.filter_invoice_display_name, f.filters::text, f.units::text, f.events_count, f.precise_amount::text,
                   f.amount_cents, \(Self.iso("f.from_date")), \(Self.iso("f.to_date")), i.currency
            FROM fees f JOIN invoices i ON i.id = f.invoice_id JOIN subscriptions s ON s.id = f.subscription_id
            WHERE \(condition) ORDER BY f.invoice_id, f.position
            """, parameters).rows {
            let filters: JSONValue = try fee[8].map { try JSONParser.parse($0) } ?? .null
            let item: JSONValue = .object(JSONObject([
                ("type", .string(fee[3]!)), ("code", .string(fee[4]!)), ("name", .string(fee[5]!)),
                ("invoice_display_name", fee[6].map(JSONValue.string) ?? .null),
                ("filter_invoice_display_name", fee[7].map(JSONValue.string) ?? .null),
                ("filters", filters),
            ]))
            fees[fee[0]!, default: []].append(.object(JSONObject([
                ("lago_id", .string(fee[1]!)), ("lago_invoice_id", .null),
                ("external_subscription_id", .string(fee[2]!)),
                ("lago_customer_id", .null), ("external_customer_id", .null),
                ("amount_cents", .number(fee[12]!)), ("amount_currency", .string(fee[15]!)),
                ("precise_amount", .string(fee[11]!)),
                ("taxes_amount_cents", 0), ("taxes_rate", 0),
                ("total_amount_cents", .number(fee[12]!)), ("total_amount_currency", .string(fee[15]!)),
                ("units", .string(fee[9]!)), ("events_count", .number(fee[10]!)),
                ("pay_in_advance", false), ("invoiceable", true),
                ("from_date", .string(fee[13]!)), ("to_date", .string(fee[14]!)),
                ("item", item),
            ])))
        }
        return fees
    }

    /// The subscriptions billed on each invoice matching `condition`, by invoice id.
    private func subscriptionsJSON(where condition: String, _ parameters: [String?]) throws -> [String: [JSONValue]] {
        var subscriptions: [String: [JSONValue]] = [:]
        for sub in try connection.execute("""
            SELECT DISTINCT f.invoice_id, s.lago_id, s.external_id, p.code, \(Self.iso("s.started_at")), \(Self.iso("s.created_at"))
            FROM fees f JOIN invoices i ON i.id = f.invoice_id
            JOIN subscriptions s ON s.id = f.subscription_id JOIN plans p ON p.id = s.plan_id
            WHERE \(condition) ORDER BY f.invoice_id, s.external_id
            """, parameters).rows {
            subscriptions[sub[0]!, default: []].append(.object(JSONObject([
                ("lago_id", .string(sub[1]!)), ("external_id", .string(sub[2]!)),
                ("lago_customer_id", .null), ("external_customer_id", .null),
                ("plan_code", .string(sub[3]!)), ("status", "active"), ("billing_time", "calendar"),
                ("subscription_at", .string(sub[4]!)), ("started_at", .string(sub[4]!)), ("created_at", .string(sub[5]!)),
            ])))
        }
        return subscriptions
    }

    /// The customers of the invoices matching `condition` in Lago's customer shape, by customer id.
    private func customersJSON(where condition: String, _ parameters: [String?]) throws -> [String: JSONValue] {
        var customers: [String: JSONValue] = [:]
        for row in try connection.execute("""
            SELECT c.id, c.lago_id, c.external_id, c.sequential_id, c.definition::text,
                   coalesce(c.timezone, (SELECT timezone FROM organization), 'UTC'),
                   \(Self.iso("c.created_at")), \(Self.iso("c.updated_at"))
            FROM customers c WHERE c.id IN (SELECT i.customer_id FROM invoices i WHERE \(condition))
            """, parameters).rows {
            let definition = try JSONDecoder().decode(Customer.self, from: Data(row[4]!.utf8))
            customers[row[0]!] = .object(JSONObject([
                ("lago_id", .string(row[1]!)), ("external_id", .string(row[2]!)), ("sequential_id", .number(row[3]!)),
                ("name", definition.name.map(JSONValue.string) ?? .null), ("email", definition.email.map(JSONValue.string) ?? .null),
                ("currency", definition.currency.map(JSONValue.string) ?? .null),
                ("timezone", definition.timezone.map(JSONValue.string) ?? .null), ("applicable_timezone", .string(row[5]!)),
                ("created_at", .string(row[6]!)), ("updated_at", .string(row[7]!)),
            ]))
        }
        return customers
    }

    /// SQL rendering a timestamptz column as Lago's `2026-10-01T04:00:00Z`.
    private static func iso(_ column: String) -> String { "to_char(\(column), 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')" }

    private static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Removes the `.<name>.<pid>.tmp` files a run killed in the middle of `replace` left behind
    /// (the other writer thread may have been half-way through a file). Runs hold the store's
    /// lock, so no temporary file here belongs to a live run.
    static func removeLeftoverTemporaries(in directory: String) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: directory)
        where name.hasPrefix(".") && name.hasSuffix(".tmp") {
            let path = (directory as NSString).appendingPathComponent(name)
            guard unlink(path) == 0 || errno == ENOENT else {
                throw OutputError(path: path, message: "cannot remove a leftover temporary file: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Atomically replaces `path` with `contents` (temp file, rename) unless it already holds
    /// exactly that. Returns whether it wrote. The folder must exist.
    static func replace(_ path: String, with contents: String) throws -> Bool {
        let data = Data(contents.utf8)
        if let existing = FileManager.default.contents(atPath: path), existing == data { return false }
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = (directory as NSString).appendingPathComponent(".\((path as NSString).lastPathComponent).\(getpid()).tmp")
        guard let file = fopen(temporary, "w") else { throw OutputError(path: temporary, message: String(cString: strerror(errno))) }
        let ok = data.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) == $0.count }
        guard fclose(file) == 0, ok, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw OutputError(path: path, message: String(cString: strerror(errno)))
        }
        return true
    }
}

struct OutputError: Error, CustomStringConvertible {
    let path: String
    let message: String
    var description: String { "cannot write \(path): \(message)" }
}
