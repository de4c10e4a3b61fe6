import TallyCore

/// A decimal as PostgreSQL's binary `numeric` lays it out: base-10000 digits, most significant first,
/// the first of weight `weight` (10000^weight), without leading or trailing zero digits.
struct PostgresNumeric {
    var digits: [Int16] = []
    var weight: Int16 = 0

    init(_ value: ExactDecimal) {
        // The magnitude's decimal digits, with at least one before the point.
        var decimals = Array(String(value.significand.magnitude).utf8).map { Int16($0 - 48) }
        if decimals.count <= value.scale { decimals.insert(contentsOf: repeatElement(0, count: value.scale + 1 - decimals.count), at: 0) }
        // Pad the integer part on the left and the fraction on the right to whole groups of four.
        let integerCount = decimals.count - value.scale
        let leftPad = (4 - integerCount % 4) % 4
        let rightPad = (4 - value.scale % 4) % 4
        decimals = Array(repeating: 0, count: leftPad) + decimals + Array(repeating: 0, count: rightPad)
        var groups: [Int16] = []
        for start in stride(from: 0, to: decimals.count, by: 4) {
            var group: Int16 = 0
            for digit in decimals[start..<start + 4] { group = group * 10 + digit }
            groups.append(group)
        }
        var weight = Int16((integerCount + leftPad) / 4 - 1)
        while let first = groups.first, first == 0 {
            groups.removeFirst()
            weight -= 1
        }
        while let last = groups.last, last == 0 { groups.removeLast() }
        self.digits = groups
        self.weight = groups.isEmpty ? 0 : weight
    }
}
