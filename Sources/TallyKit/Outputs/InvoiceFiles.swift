import Foundation
import TallyCore

/// Writes `<out>/invoices/<YYYY-MM>/<number>.json` (Lago's invoice object) and the period's
/// `summary.csv` from what the store holds, so a file lost or left stale by a crash after the
/// commit is rewritten by the next run. Files are replaced atomically and only when they differ.
struct InvoiceFiles {
    let connection: PostgresConnection
    let outDirectory: String

    /// Writes the files of every invoice of `periods`; returns the paths it (re)wrote.
    func write(periods: [String]) throws -> [String] {
        var written: [String] = []
        for period in periods {
            let directory = (outDirectory as NSString).appendingPathComponent("invoices/\(period)")
            let invoices = try connection.execute("""
                SELECT i.id, i.lago_id, i.sequential_id, i.number, i.issuing_date::text, i.status, i.payment_status,
                       i.currency, i.fees_amount_cents, i.taxes_amount_cents, i.sub_total_excluding_taxes_amount_cents,
                       i.sub_total_including_taxes_amount_cents, i.prepaid_credit_amount_cents,
                       i.prepaid_granted_credit_amount_cents, i.prepaid_purchased_credit_amount_cents, i.total_amount_cents,
                       to_char(i.voided_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), i.customer_id,
                       to_char(i.created_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                FROM invoices i WHERE i.period = $1 ORDER BY i.number
                """, [period]).rows
            if invoices.isEmpty { continue }
            var summary = "number,customer,currency,status,fees_amount_cents,prepaid_credit_amount_cents,total_amount_cents\n"
            for row in invoices {
                let customer = try customerJSON(id: row[17]!)
                let document = try invoiceJSON(row, customer: customer)
                let path = (directory as NSString).appendingPathComponent("\(row[3]!).json")
                if try Self.replace(path, with: document.prettyPrinted + "\n") { written.append(path) }
                let externalId = customer.objectValue?["external_id"]?.stringValue ?? ""
                summary += [row[3]!, externalId, row[7]!, row[5]!, row[8]!, row[12]!, row[15]!].map(Self.csvField).joined(separator: ",") + "\n"
            }
            let summaryPath = (directory as NSString).appendingPathComponent("summary.csv")
            if try Self.replace(summaryPath, with: summary) { written.append(summaryPath) }
        }
        return written
    }

    private func invoiceJSON(_ row: [String?], customer: JSONValue) throws -> JSONValue {
        let invoiceId = row[0]!
        func cents(_ index: Int) -> JSONValue { .number(row[index]!) }
        let customerObject = customer.objectValue!
        let fees = try connection.execute("""
            SELECT f.lago_id, s.external_id, f.fee_type, f.item_code, f.item_name, f.invoice_display_name,
                   f.filter_invoice_display_name, f.filters::text, f.units::text, f.events_count, f.precise_amount::text,
                   f.amount_cents, to_char(f.from_date, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), to_char(f.to_date, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   to_char(f.to_date + interval '1 microsecond', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            FROM fees f JOIN subscriptions s ON s.id = f.subscription_id
            WHERE f.invoice_id = $1 ORDER BY f.position
            """, [invoiceId]).rows.map { fee -> JSONValue in
            let filters: JSONValue = try fee[7].map { try JSONParser.parse($0) } ?? .null
            let item: JSONValue = .object(JSONObject([
                ("type", .string(fee[2]!)), ("code", .string(fee[3]!)), ("name", .string(fee[4]!)),
                ("invoice_display_name", fee[5].map(JSONValue.string) ?? .null),
                ("filter_invoice_display_name", fee[6].map(JSONValue.string) ?? .null),
                ("filters", filters),
            ]))
            return .object(JSONObject([
                ("lago_id", .string(fee[0]!)), ("lago_invoice_id", .string(row[1]!)),
                ("external_subscription_id", .string(fee[1]!)),
                ("lago_customer_id", customerObject["lago_id"]!), ("external_customer_id", customerObject["external_id"]!),
                ("amount_cents", .number(fee[11]!)), ("amount_currency", .string(row[7]!)),
                ("precise_amount", .string(fee[10]!)),
                ("taxes_amount_cents", 0), ("taxes_rate", 0),
                ("total_amount_cents", .number(fee[11]!)), ("total_amount_currency", .string(row[7]!)),
                ("units", .string(fee[8]!)), ("events_count", .number(fee[9]!)),
                ("pay_in_advance", false), ("invoiceable", true),
                ("from_date", .string(fee[12]!)), ("to_date", .string(fee[13]!)),
                ("item", item),
            ]))
        }
        let subscriptions = try connection.execute("""
            SELECT DISTINCT s.lago_id, s.external_id, p.code, to_char(s.started_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   to_char(s.created_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            FROM subscriptions s JOIN plans p ON p.id = s.plan_id
            WHERE s.id IN (SELECT subscription_id FROM fees WHERE invoice_id = $1)
            ORDER BY s.external_id
            """, [invoiceId]).rows.map { sub -> JSONValue in
            .object(JSONObject([
                ("lago_id", .string(sub[0]!)), ("external_id", .string(sub[1]!)),
                ("lago_customer_id", customerObject["lago_id"]!), ("external_customer_id", customerObject["external_id"]!),
                ("plan_code", .string(sub[2]!)), ("status", "active"), ("billing_time", "calendar"),
                ("subscription_at", .string(sub[3]!)), ("started_at", .string(sub[3]!)), ("created_at", .string(sub[4]!)),
            ]))
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
            ("customer", customer), ("subscriptions", .array(subscriptions)), ("fees", .array(fees)),
            ("credits", []), ("applied_taxes", []),
        ]))
    }

    private func customerJSON(id: String) throws -> JSONValue {
        let row = try connection.execute("""
            SELECT c.lago_id, c.external_id, c.sequential_id, c.definition::text,
                   coalesce(c.timezone, (SELECT timezone FROM organization), 'UTC'),
                   to_char(c.created_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), to_char(c.updated_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
            FROM customers c WHERE c.id = $1
            """, [id]).rows[0]
        let definition = try JSONDecoder().decode(Customer.self, from: Data(row[3]!.utf8))
        return .object(JSONObject([
            ("lago_id", .string(row[0]!)), ("external_id", .string(row[1]!)), ("sequential_id", .number(row[2]!)),
            ("name", definition.name.map(JSONValue.string) ?? .null), ("email", definition.email.map(JSONValue.string) ?? .null),
            ("currency", definition.currency.map(JSONValue.string) ?? .null),
            ("timezone", definition.timezone.map(JSONValue.string) ?? .null), ("applicable_timezone", .string(row[4]!)),
            ("created_at", .string(row[5]!)), ("updated_at", .string(row[6]!)),
        ]))
    }

    private static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Atomically replaces `path` with `contents` (temp file, fsync, rename) unless it already
    /// holds exactly that. Returns whether it wrote.
    static func replace(_ path: String, with contents: String) throws -> Bool {
        let data = Data(contents.utf8)
        if let existing = FileManager.default.contents(atPath: path), existing == data { return false }
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = (directory as NSString).appendingPathComponent(".\((path as NSString).lastPathComponent).\(getpid()).tmp")
        guard let file = fopen(temporary, "w") else { throw OutputError(path: temporary, message: String(cString: strerror(errno))) }
        let ok = data.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) == $0.count } && fflush(file) == 0 && fsync(fileno(file)) == 0
        fclose(file)
        guard ok, rename(temporary, path) == 0 else {
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
