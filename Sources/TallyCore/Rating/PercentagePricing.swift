/// Lago's percentage model: `rate` % of the units beyond the free ones, plus `fixed_amount` per event
/// beyond the free ones; with a per-transaction minimum or maximum, each event priced on its own and
/// held between them.
///
/// The free units come from Lago's running total of the events' values (`EventValues`): with
/// `free_units_per_events` the first that many events' cumulative values, with
/// `free_units_per_total_aggregation` cumulative values until one passes it.
enum PercentagePricing {
    static func price(_ usage: SlotUsage, _ properties: PercentageProperties) throws(BillingError) -> Priced {
        let units = usage.units
        let count = usage.eventsCount
        let freeEvents = properties.freeUnitsPerEvents ?? 0
        let freeTotal = properties.freeUnitsPerTotalAggregation ?? .zero
        let fixedAmount = properties.fixedAmount ?? .zero
        let runningTotal = try RunningTotal(usage.eventValues, freeEvents: freeEvents, freeTotal: freeTotal)

        // Lago's free_units_value: the free part of the units.
        let freeUnits: ExactDecimal
        if runningTotal.last == .zero {
            freeUnits = .zero
        } else if freeEvents > 0, freeEvents < runningTotal.count {
            freeUnits = runningTotal.element(freeEvents - 1)
        } else if freeTotal == .zero || runningTotal.last <= freeTotal {
            freeUnits = runningTotal.last
        } else {
            freeUnits = freeTotal
        }
        // Lago's free_units_count: the fewest free events either property gives (0 when neither does).
        let freeCount = [freeEvents, runningTotal.count(below: freeTotal)].filter { $0 != 0 }.min() ?? 0

        let percentageAmount = freeUnits > units
            ? ExactDecimal.zero
            : try Exact.percent(try Exact.difference(units, freeUnits, "\(units) − \(freeUnits)"), properties.rate)
        let fixedTotal = units == .zero || freeCount >= count
            ? ExactDecimal.zero
            : try Exact.product(ExactDecimal(count - freeCount), fixedAmount, "\(count - freeCount) × \(fixedAmount)")
        var amount = try Exact.sum(percentageAmount, fixedTotal, "\(percentageAmount) + \(fixedTotal)")
        var adjustment = ExactDecimal.zero
        if properties.hasTransactionBounds {
            let bounded = try transactionAmounts(usage.eventValues, properties, freeEvents: freeEvents, freeTotal: freeTotal)
            adjustment = try Exact.difference(bounded, amount, "\(bounded) − \(amount)")
            amount = bounded
        }

        let paidUnits = units > freeUnits ? try Exact.difference(units, freeUnits, "\(units) − \(freeUnits)") : .zero
        let freeEventsBilled = min(count, freeCount)
        let paidEvents = count - freeEventsBilled
        let details = JSONObject([
            ("units", .decimal(units)),
            ("free_units", .decimal(freeUnits)),
            ("free_events", .count(freeEventsBilled)),
            ("paid_units", .decimal(paidUnits)),
            ("rate", .decimal(properties.rate)),
            ("per_unit_total_amount", .decimal(percentageAmount)),
            ("paid_events", .count(paidEvents)),
            ("fixed_fee_unit_amount", .decimal(paidEvents > 0 ? fixedAmount : .zero)),
            ("fixed_fee_total_amount", .decimal(fixedTotal)),
            ("min_max_adjustment_total_amount", .decimal(adjustment)),
        ])
        return Priced(amount: amount, unitAmount: try Exact.unitAmount(amount, per: units), details: details)
    }

    /// Each event priced on its own: free events and units first, then `value × rate % + fixed_amount`
    /// held between the per-transaction minimum and maximum, summed.
    private static func transactionAmounts(
        _ values: EventValues, _ properties: PercentageProperties, freeEvents: Int, freeTotal: ExactDecimal
    ) throws(BillingError) -> ExactDecimal {
        switch values {
        case .unavailable:
            throw BillingError(
                "a percentage charge with a per-transaction minimum or maximum needs each event's value, "
                    + "which this aggregation does not give")
        case .values(let values):
            var remainingEvents = freeEvents
            var remainingUnits = freeTotal
            var total = ExactDecimal.zero
            for var value in values {
                if remainingEvents > 0 || remainingUnits > .zero {
                    remainingEvents -= 1
                    guard remainingUnits > .zero else { continue }
                    if remainingUnits > value {
                        remainingUnits = try Exact.difference(remainingUnits, value, "\(remainingUnits) − \(value)")
                        continue
                    }
                    value = try Exact.difference(value, remainingUnits, "\(value) − \(remainingUnits)")
                    remainingUnits = .zero
                    remainingEvents = 0
                }
                let bounded = try transactionAmount(value, properties)
                total = try Exact.sum(total, bounded, "\(total) + \(bounded)")
            }
            return total
        case .ones(let count):
            // The loop above on `count` ones, without walking them: with free units, each event is free
            // while more than 1 unit remains (k = ⌈free⌉ − 1 events), then one pays 1 − what remains,
            // then all pay 1; with free events only, the first ones are free and the rest pay 1.
            var paidWhole: Int
            var total = ExactDecimal.zero
            if freeTotal > .zero {
                let ceiling = freeTotal.rounded(scale: 0, .up)
                let freeOnes = ceiling.int64Value.flatMap { Int(exactly: $0 - 1) } ?? Int.max
                guard freeOnes < count else { return .zero }
                let first = try Exact.difference(
                    ExactDecimal(1), try Exact.difference(freeTotal, ExactDecimal(freeOnes), "\(freeTotal) − \(freeOnes)"),
                    "1 − the free units left")
                total = try transactionAmount(first, properties)
                paidWhole = count - freeOnes - 1
            } else {
                paidWhole = max(0, count - max(0, freeEvents))
            }
            let each = try transactionAmount(ExactDecimal(1), properties)
            let rest = try Exact.product(ExactDecimal(paidWhole), each, "\(paidWhole) × \(each)")
            return try Exact.sum(total, rest, "\(total) + \(rest)")
        }
    }

    /// `value × rate % + fixed_amount`, raised to the minimum or lowered to the maximum.
    private static func transactionAmount(_ value: ExactDecimal, _ properties: PercentageProperties) throws(BillingError) -> ExactDecimal {
        let fixed = properties.fixedAmount ?? .zero
        let raw = try Exact.percent(value, properties.rate)
        let amount = try Exact.sum(raw, fixed, "\(raw) + \(fixed)")
        if let minimum = properties.perTransactionMinAmount, amount < minimum { return minimum }
        if let maximum = properties.perTransactionMaxAmount, amount > maximum { return maximum }
        return amount
    }
}

/// Lago's `running_total` of a percentage slot: the cumulative values of its events, as far as the
/// free-unit properties read it. Count aggregations (`.ones`) stand for 1, 2, …, n without an array.
struct RunningTotal {
    private enum Storage {
        case ones(Int)
        case sums([ExactDecimal])
    }

    private let storage: Storage

    init(_ values: EventValues, freeEvents: Int, freeTotal: ExactDecimal) throws(BillingError) {
        // Lago's aggregations leave it empty when neither free-unit property is set.
        guard freeEvents != 0 || freeTotal != .zero else {
            storage = .sums([])
            return
        }
        switch values {
        case .unavailable:
            storage = .sums([])
        case .ones(let count):
            storage = .ones(max(0, count))
        case .values(let values):
            var sums: [ExactDecimal] = []
            var total = ExactDecimal.zero
            if freeEvents > 0 {
                // The first `free_units_per_events` events only.
                for value in values.prefix(freeEvents) {
                    total = try Exact.sum(total, value, "\(total) + \(value)")
                    sums.append(total)
                }
            } else {
                // Until the total has passed `free_units_per_total_aggregation` (that total included).
                for value in values {
                    if freeTotal < total { break }
                    total = try Exact.sum(total, value, "\(total) + \(value)")
                    sums.append(total)
                }
            }
            storage = .sums(sums)
        }
    }

    var count: Int {
        switch storage {
        case .ones(let count): count
        case .sums(let sums): sums.count
        }
    }

    /// The last cumulative value, 0 when there is none.
    var last: ExactDecimal {
        switch storage {
        case .ones(let count): ExactDecimal(count)
        case .sums(let sums): sums.last ?? .zero
        }
    }

    /// The cumulative value after `index + 1` events; `index` < `count`.
    func element(_ index: Int) -> ExactDecimal {
        switch storage {
        case .ones: ExactDecimal(index + 1)
        case .sums(let sums): sums[index]
        }
    }

    /// How many cumulative values are < `limit`.
    func count(below limit: ExactDecimal) -> Int {
        switch storage {
        case .ones(let count):
            // 1 … n below `limit`: ⌈limit⌉ − 1 of them, at most n.
            guard limit > .zero else { return 0 }
            let below = limit.rounded(scale: 0, .up).int64Value.map { $0 - 1 } ?? Int64.max
            return below >= Int64(count) ? count : Int(below)
        case .sums(let sums):
            return sums.count(where: { $0 < limit })
        }
    }
}
