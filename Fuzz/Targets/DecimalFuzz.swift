import TallyCore

/// Exact decimals: any bytes parse or are refused without trapping; a parsed value writes back to
/// itself; sums and differences that fit are exact and undo each other; rounding stays within
/// half a unit of the last place kept.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecimal(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    // Two numbers, split at the first space.
    let split = bytes.firstIndex(of: 0x20) ?? size
    let first = UnsafeBufferPointer(rebasing: bytes[0..<split])
    let second = UnsafeBufferPointer(rebasing: bytes[min(split + 1, size)..<size])
    let text = String(decoding: first, as: UTF8.self)
    _ = ExactDecimal(jsonNumber: text)
    guard let a = ExactDecimal(utf8: first) else { return 0 }
    guard ExactDecimal(decimalString: a.description) == a else { fatalError("\(a) does not read back") }
    guard let b = ExactDecimal(utf8: second) else { return 0 }
    if let sum = a.adding(b) {
        guard sum.subtracting(b) == a else { fatalError("(\(a) + \(b)) - \(b) is not \(a)") }
    }
    if let product = a.multiplied(by: b), b != .zero, let back = product.divided(by: b, scale: a.scale, .halfUp) {
        guard back == a else { fatalError("(\(a) × \(b)) ÷ \(b) is not \(a)") }
    }
    _ = a.dividedRoundingUp(by: b)
    for scale in 0...4 {
        let rounded = a.rounded(scale: scale, .halfUp)
        if let difference = a.subtracting(rounded), let half = ExactDecimal(decimalString: "0." + String(repeating: "0", count: scale) + "5"),
           half < difference.magnitude {
            fatalError("\(a) rounded to \(scale) places is \(rounded)")
        }
        _ = rounded.minorUnits(scale: scale)
    }
    return 0
}

extension ExactDecimal {
    fileprivate var magnitude: ExactDecimal { isNegative ? -self : self }
}
