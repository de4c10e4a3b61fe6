import Foundation
import TallyCore

/// A synthetic Mistral usage export for benchmarks: `events` valid October 2026 events spread over
/// `subscriptions` subscriptions, with random UUID-style transaction ids from a seeded generator,
/// so the same arguments always write the same files. Each event also carries a `user_id`
/// (`u-0`…`u-99`, for `unique_count_agg`), drawn from a second generator seeded from `seed` so the
/// other columns are the same as before the column existed.
struct SyntheticExport {
    let events: Int
    let subscriptions: Int
    let seed: UInt64

    private static let models = ["mistral-small", "mistral-medium", "mistral-large"]
    private static let types = ["input", "output"]
    private static let octoberStart: Int64 = 1_790_812_800  // 2026-10-01T00:00:00Z
    private static let octoberSeconds: UInt64 = 31 * 86_400
    private static let users: UInt64 = 100

    /// The metric `ai_tokens` aggregated with `aggregation`: `tokens` for all but `count_agg` (no
    /// field) and `unique_count_agg` (`user_id`); `weighted_sum_agg` weighs by seconds.
    static func metricFields(_ aggregation: AggregationType) -> String {
        switch aggregation {
        case .countAgg: return #""aggregation_type": "count_agg""#
        case .uniqueCountAgg: return #""aggregation_type": "unique_count_agg", "field_name": "user_id""#
        case .weightedSumAgg: return #""aggregation_type": "weighted_sum_agg", "field_name": "tokens", "weighted_interval": "seconds""#
        case .sumAgg, .maxAgg, .latestAgg: return #""aggregation_type": "\#(aggregation.rawValue)", "field_name": "tokens""#
        }
    }

    /// The catalog the events are valid against: the Mistral plan and one customer per subscription,
    /// its metric aggregated with `aggregation` (the same package charge and filters for all).
    func catalogJSON(aggregation: AggregationType = .sumAgg) -> String {
        let prices = [("mistral-small", "input", "1"), ("mistral-small", "output", "3"),
                      ("mistral-medium", "input", "2.7"), ("mistral-medium", "output", "8.1"),
                      ("mistral-large", "input", "4"), ("mistral-large", "output", "12")]
        let filters = prices.map { model, type, amount in
            #"{"invoice_display_name": "\#(model)-\#(type)", "properties": {"amount": "\#(amount)", "free_units": 0, "package_size": 1000000}, "values": {"model": ["\#(model)"], "type": ["\#(type)"]}}"#
        }
        let customers = (0..<subscriptions).map { #"{"external_id": "cust-\#($0)", "name": "Customer \#($0)", "currency": "USD"}"# }
        let subs = (0..<subscriptions).map {
            #"{"external_customer_id": "cust-\#($0)", "plan_code": "mistral", "external_id": "sub-\#($0)", "subscription_at": "2026-01-01T00:00:00Z"}"#
        }
        return #"""
            {"organization": {"name": "Mistral AI", "document_number_prefix": "MIS", "timezone": "UTC"},
             "billable_metrics": [{"name": "AI Tokens", "code": "ai_tokens", \#(Self.metricFields(aggregation)),
               "recurring": false, "filters": [{"key": "model", "values": ["mistral-small", "mistral-medium", "mistral-large"]},
               {"key": "type", "values": ["input", "output"]}]}],
             "plans": [{"name": "Mistral AI Pricing", "code": "mistral", "amount_cents": 0, "amount_currency": "USD",
               "interval": "monthly", "pay_in_advance": false,
               "charges": [{"billable_metric_id": "ai_tokens", "charge_model": "package", "filters": [\#(filters.joined(separator: ","))]}]}],
             "customers": [\#(customers.joined(separator: ","))],
             "subscriptions": [\#(subs.joined(separator: ","))]}
            """#
    }

    /// Writes the events as CSV or NDJSON (by the path's extension), streaming in large blocks.
    func write(to path: String) throws {
        let csv = path.hasSuffix(".csv")
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw BenchError(description: "cannot create \(path)")
        }
        defer { try? handle.close() }
        var random = SplitMix64(seed: seed)
        var userRandom = SplitMix64(seed: ~seed)
        var block = csv ? "transaction_id,external_subscription_id,code,timestamp,tokens,model,type,user_id\n" : ""
        block.reserveCapacity(1 << 21)
        for _ in 0..<events {
            let transactionId = random.uuid()
            let subscription = "sub-\(random.next() % UInt64(subscriptions))"
            let timestamp = Self.octoberStart + Int64(random.next() % Self.octoberSeconds)
            let tokens = 1 + random.next() % 4_999_999
            let model = Self.models[Int(random.next() % 3)]
            let type = Self.types[Int(random.next() % 2)]
            let user = "u-\(userRandom.next() % Self.users)"
            if csv {
                block += "\(transactionId),\(subscription),ai_tokens,\(timestamp),\(tokens),\(model),\(type),\(user)\n"
            } else {
                block += #"{"transaction_id": "\#(transactionId)", "external_subscription_id": "\#(subscription)", "code": "ai_tokens", "timestamp": \#(timestamp), "properties": {"tokens": \#(tokens), "model": "\#(model)", "type": "\#(type)", "user_id": "\#(user)"}}"# + "\n"
            }
            if block.utf8.count >= 1 << 20 {
                try handle.write(contentsOf: Data(block.utf8))
                block.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: Data(block.utf8))
    }
}

/// SplitMix64: a small, fast, seedable generator (not for secrets).
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A version-4-shaped UUID string.
    mutating func uuid() -> String {
        let high = next(), low = next()
        let hex = String(high, radix: 16).leftPadded(16) + String(low, radix: 16).leftPadded(16)
        let chars = Array(hex)
        return String(chars[0..<8]) + "-" + String(chars[8..<12]) + "-4" + String(chars[13..<16]) + "-a"
            + String(chars[17..<20]) + "-" + String(chars[20..<32])
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
