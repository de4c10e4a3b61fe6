import TallyCore

/// Event timestamps: any bytes parse or are refused without trapping, and an accepted instant
/// written in RFC 3339 reads back as the same instant.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTimestamp(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let instant = try? TimestampParser.parse(utf8: bytes) else {
        _ = TimestampParser.parseRFC3339(Substring(String(decoding: bytes, as: UTF8.self)))
        return 0
    }
    guard TimestampParser.parseRFC3339(Substring(instant.description)) == instant else {
        fatalError("\(instant) does not read back")
    }
    _ = BillingPeriod.containing(instant, timezone: "America/New_York")
    return 0
}
