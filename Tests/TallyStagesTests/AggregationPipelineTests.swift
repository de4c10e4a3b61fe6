import Foundation
import Testing
import TallyCore
import TallyStages

/// docs/BILLING.md, aggregations and charge models through the whole pipeline: a catalog with every
/// aggregation, each on its own charge model, is applied, ingested (by the direct load, and by the
/// staged load that an export with a repeated event takes), closed for two months, shown as
/// current usage and reprocessed. Every amount is computed by hand from Lago's formulas in the
/// comments.
@Suite struct AggregationPipelineTests {
    static let catalog = #"""
        {
          "organization": {"name": "API Co", "document_number_prefix": "API", "timezone": "UTC"},
          "billable_metrics": [
            {"name": "Requests", "code": "requests", "aggregation_type": "count_agg",
             "filters": [{"key": "endpoint", "values": ["chat", "embed"]}]},
            {"name": "Seats", "code": "seats", "aggregation_type": "unique_count_agg", "field_name": "user_id", "recurring": true},
            {"name": "Storage", "code": "storage", "aggregation_type": "latest_agg", "field_name": "gb"},
            {"name": "Jobs", "code": "jobs", "aggregation_type": "max_agg", "field_name": "jobs"},
            {"name": "GPUs", "code": "gpus", "aggregation_type": "weighted_sum_agg", "field_name": "gpus", "weighted_interval": "seconds"},
            {"name": "Payments", "code": "payments", "aggregation_type": "sum_agg", "field_name": "amount"}
          ],
          "plans": [{
            "name": "Platform", "code": "platform", "amount_cents": 0, "amount_currency": "USD", "interval": "monthly",
            "charges": [
              {"billable_metric_code": "requests", "charge_model": "graduated",
               "properties": {"graduated_ranges": [
                 {"from_value": 0, "to_value": 10, "per_unit_amount": "0.10", "flat_amount": "1"},
                 {"from_value": 10, "to_value": null, "per_unit_amount": "0.05", "flat_amount": "0"}]},
               "filters": [{"invoice_display_name": "embeddings",
                            "properties": {"graduated_ranges": [
                              {"from_value": 0, "to_value": null, "per_unit_amount": "0.2", "flat_amount": "0"}]},
                            "values": {"endpoint": ["embed"]}}]},
              {"billable_metric_code": "seats", "charge_model": "volume",
               "properties": {"volume_ranges": [
                 {"from_value": 0, "to_value": 2, "per_unit_amount": "5", "flat_amount": "0"},
                 {"from_value": 3, "to_value": null, "per_unit_amount": "4", "flat_amount": "10"}]}},
              {"billable_metric_code": "storage", "charge_model": "standard", "properties": {"amount": "0.5"}},
              {"billable_metric_code": "jobs", "charge_model": "package",
               "properties": {"amount": "10", "package_size": 5, "free_units": 0}},
              {"billable_metric_code": "gpus", "charge_model": "standard", "properties": {"amount": "100"}},
              {"billable_metric_code": "payments", "charge_model": "percentage",
               "properties": {"rate": "2", "fixed_amount": "0.1", "free_units_per_events": 1}}
            ]
          }],
          "customers": [{"external_id": "acme", "name": "Acme", "currency": "USD"}],
          "subscriptions": [{"external_customer_id": "acme", "plan_code": "platform", "external_id": "acme-main",
                             "subscription_at": "2026-09-01T00:00:00Z"}]
        }
        """#

    static func event(_ id: String, _ code: String, _ timestamp: String, _ properties: String) -> String {
        #"{"transaction_id": "\#(id)", "external_subscription_id": "acme-main", "code": "\#(code)", "timestamp": "\#(timestamp)", "properties": {\#(properties)}}"#
    }

    /// October's events, in no particular time order within a metric.
    static let october: [String] =
        (1...12).map { event("chat-\($0)", "requests", "2026-10-0\($0 % 9 + 1)T10:00:00Z", #""endpoint": "chat""#) }
        + (1...3).map { event("embed-\($0)", "requests", "2026-10-1\($0)T10:00:00Z", #""endpoint": "embed""#) }
        + [
            event("seat-1", "seats", "2026-10-02T00:00:00Z", #""user_id": "u1""#),
            event("seat-2", "seats", "2026-10-03T00:00:00Z", #""user_id": "u2""#),
            event("seat-3", "seats", "2026-10-04T00:00:00Z", #""user_id": 3"#),
            event("seat-4", "seats", "2026-10-05T00:00:00Z", #""user_id": "u1""#),
            event("seat-5", "seats", "2026-10-10T00:00:00Z", #""user_id": "u2", "operation_type": "remove""#),
            event("gb-1", "storage", "2026-10-02T00:00:00Z", #""gb": 10"#),
            event("gb-2", "storage", "2026-10-20T00:00:00Z", #""gb": "30""#),
            event("gb-3", "storage", "2026-10-15T00:00:00Z", #""gb": 20"#),
            event("jobs-1", "jobs", "2026-10-03T00:00:00Z", #""jobs": 3"#),
            event("jobs-2", "jobs", "2026-10-04T00:00:00Z", #""jobs": 7"#),
            event("jobs-3", "jobs", "2026-10-05T00:00:00Z", #""jobs": 4"#),
            event("gpu-1", "gpus", "2026-10-11T00:00:00Z", #""gpus": 2"#),
            event("gpu-2", "gpus", "2026-10-21T00:00:00Z", #""gpus": 1"#),
            event("gpu-3", "gpus", "2026-10-26T00:00:00Z", #""gpus": -1"#),
            event("pay-2", "payments", "2026-10-06T00:00:00Z", #""amount": 50"#),
            event("pay-1", "payments", "2026-10-05T00:00:00Z", #""amount": 100"#),
            event("pay-3", "payments", "2026-10-07T00:00:00Z", #""amount": "200.00""#),
        ]

    /// October's fees by metric and filter, computed by hand.
    static let octoberCents: [String: Int64] = [
        // 12 chat requests, graduated on adjacent ranges: 10 × 0.10 + 1 flat = 2.00, then 12 − 10 = 2 × 0.05 = 0.10.
        "requests": 210,
        // 3 embed requests on the filter's one open range: 3 × 0.2 = 0.60.
        "requests/embeddings": 60,
        // u1, "3" still added, u2 removed: 2 seats, in the volume range 0–2: 2 × 5 = 10.00.
        "seats": 1000,
        // The latest event by timestamp is October 20 (30 GB), whatever the file order: 30 × 0.5 = 15.00.
        "storage": 1500,
        // Max 7 jobs, packages of 5: ⌈7 ÷ 5⌉ = 2 × 10 = 20.00.
        "jobs": 2000,
        // (2 × (31 − 10) + 1 × (31 − 20) − 1 × (31 − 25)) days ÷ 31 days = 47 ÷ 31 = 1.516129…
        // → 1.51612903225806451613 (rounded up at 20 decimals) × 100 = 151.612903225806451613 → 151.61.
        "gpus": 15161,
        // 350 summed, the first event by time (100) free: 250 × 2 % = 5.00; 2 paid events × 0.10 = 0.20.
        "payments": 520,
    ]

    static func byMetric(_ fees: [FeeRow], _ items: [String]) -> [String: Int64] {
        var cents: [String: Int64] = [:]
        for (fee, item) in zip(fees, items) {
            cents[item + (fee.filterDisplayName.map { "/\($0)" } ?? ""), default: 0] += fee.amountCents
        }
        return cents
    }

    func itemCodes(_ db: TestDatabase, _ invoice: InvoiceRow) throws -> [String] {
        try db.rows("SELECT item_code FROM fees WHERE invoice_id = $1 ORDER BY position", [invoice.id]).map { $0[0]! }
    }

    @Test(arguments: [false, true])
    func everyAggregationIsBilledAsLagoBillsIt(repeatedEvent: Bool) throws {
        let db = try TestDatabase()
        try db.applyCatalog(Self.catalog)
        // A repeated event sends the export through the staged load, which aggregates in SQL.
        let lines = Self.october + (repeatedEvent ? [Self.october[0]] : [])
        let path = try db.write("october.ndjson", lines.joined(separator: "\n") + "\n")
        expectCounts(try db.ingest(path), read: lines.count, accepted: Self.october.count, duplicates: repeatedEvent ? 1 : 0)

        // Current usage on October 31 rates every charge as close will.
        let usage = try db.usage("acme", asOf: "2026-10-31T12:00:00Z")
        var usageCents: [String: Int64] = [:]
        for charge in usage.charges { usageCents[charge.metric.code, default: 0] += charge.amountCents }

        _ = try db.close(.month(year: 2026, month: 10))
        let invoice = try db.invoice("acme", "2026-10")
        let fees = try db.fees(of: invoice)
        #expect(Self.byMetric(fees, try itemCodes(db, invoice)) == Self.octoberCents)
        #expect(invoice.feesAmountCents == Self.octoberCents.values.reduce(0, +))
        #expect(usageCents == ["requests": 270, "seats": 1000, "storage": 1500, "jobs": 2000, "gpus": 15161, "payments": 520])

        let gpus = try #require(fees.first { $0.preciseAmount > 151 && $0.preciseAmount < 152 })
        #expect(gpus.units == Decimal(string: "1.51612903225806451613"))
        #expect(gpus.eventsCount == 3)
        let seats = try #require(fees.first { $0.amountCents == 1000 })
        #expect(seats.units == 2 && seats.eventsCount == 2, "Lago counts a unique count's events as the count")

        // The invoice file explains each fee: the graduated ranges, the percentage's free units.
        let data = try #require(FileManager.default.contents(atPath: db.invoicePath("2026-10", invoice.number)))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let documentFees = try #require(document["fees"] as? [[String: Any]])
        func fee(_ code: String) throws -> [String: Any] {
            try #require(documentFees.first { fee in
                let item = fee["item"] as? [String: Any]
                return item?["code"] as? String == code && item?["filters"] is NSNull
            })
        }
        let requests = try fee("requests")
        let ranges = try #require((requests["amount_details"] as? [String: Any])?["graduated_ranges"] as? [[String: Any]])
        #expect(ranges.map { $0["units"] as? String } == ["10", "2"])
        #expect(requests["precise_unit_amount"] as? String == "0.175", "2.10 ÷ 12 units")
        let payments = try #require(try fee("payments")["amount_details"] as? [String: Any])
        #expect(payments["free_units"] as? String == "100")
        #expect(payments["paid_events"] as? Int == 2)

        // November: the recurring seats carry u1 and "3" over and u4 joins: 3 seats, in the range
        // from 3: 3 × 4 + 10 flat = 22.00. No request was made, yet Lago bills the first graduated
        // range's flat amount (1.00) all the same; nothing else recurs.
        try db.ingestAccepted([Self.event("seat-6", "seats", "2026-11-03T00:00:00Z", #""user_id": "u4""#)], name: "november.ndjson")
        _ = try db.close(.month(year: 2026, month: 11))
        let november = try db.invoice("acme", "2026-11")
        #expect(Self.byMetric(try db.fees(of: november), try itemCodes(db, november)) == ["seats": 2200, "requests": 100])

        // A late October storage reading (40 GB on the 25th) is billed when October is reprocessed:
        // 40 × 0.5 = 20.00 instead of 15.00.
        try db.ingestAccepted([Self.event("gb-4", "storage", "2026-10-25T00:00:00Z", #""gb": 40"#)], name: "late.ndjson")
        _ = try db.reprocess()
        let october = try db.invoices().filter { $0.period == "2026-10" }
        #expect(october.map(\.status) == ["voided", "finalized"])
        let replaced = try #require(october.last)
        #expect(replaced.number != invoice.number)
        var expected = Self.octoberCents
        expected["storage"] = 2000
        #expect(Self.byMetric(try db.fees(of: replaced), try itemCodes(db, replaced)) == expected)
    }

    /// A weighted sum that is recurring starts each period from the running total the earlier ones
    /// left, held over the whole period.
    @Test func aRecurringWeightedSumCarriesItsTotalIntoTheNextPeriod() throws {
        let db = try TestDatabase()
        try db.applyCatalog(Self.catalog.replacingOccurrences(
            of: #""field_name": "gpus", "weighted_interval""#, with: #""field_name": "gpus", "recurring": true, "weighted_interval""#))
        try db.ingestAccepted([
            Self.event("gpu-1", "gpus", "2026-10-11T00:00:00Z", #""gpus": 2"#),
            Self.event("gpu-2", "gpus", "2026-11-16T00:00:00Z", #""gpus": 1"#),
        ])
        _ = try db.close(.month(year: 2026, month: 10))
        _ = try db.close(.month(year: 2026, month: 11))
        // October: 2 GPUs for 21 of 31 days = 1.35483870967741935484 (rounded up) × 100 → 135.48.
        // November: 2 carried for 30 days, plus 1 from the 16th for 15 days: (60 + 15) ÷ 30 = 2.5 × 100 = 250.00.
        // Each month also bills the requests' first graduated range's flat 1.00, usage or not.
        let cents = try ["2026-10", "2026-11"].map { period in
            try db.fees(of: try db.invoice("acme", period)).map(\.amountCents).reduce(0, +)
        }
        #expect(cents == [13548 + 100, 25000 + 100])
    }

    /// Changing a metric's aggregation re-aggregates its stored events; one that would change what
    /// its stored events mean (a value, or just a counted event) is refused.
    @Test func anAggregationChangeRebuildsTheRollupsOrIsRefused() throws {
        let db = try TestDatabase()
        try db.applyCatalog(Self.catalog)
        try db.ingestAccepted(Self.october)
        // jobs from max (7) to sum (3 + 7 + 4 = 14): ⌈14 ÷ 5⌉ = 3 packages × 10 = 30.00.
        try db.applyCatalog(Self.catalog.replacingOccurrences(
            of: #""aggregation_type": "max_agg""#, with: #""aggregation_type": "sum_agg""#))
        _ = try db.close(.month(year: 2026, month: 10))
        let invoice = try db.invoice("acme", "2026-10")
        #expect(Self.byMetric(try db.fees(of: invoice), try itemCodes(db, invoice))["jobs"] == 3000)

        let errors = try #require(throws: CatalogErrors.self) {
            try db.applyCatalog(Self.catalog.replacingOccurrences(
                of: #""aggregation_type": "unique_count_agg", "field_name": "user_id", "recurring": true"#,
                with: #""aggregation_type": "sum_agg", "field_name": "user_id""#))
        }
        #expect(errors.errors.map(\.path) == ["billable_metrics[1].aggregation_type"], "\(errors)")
    }
}
