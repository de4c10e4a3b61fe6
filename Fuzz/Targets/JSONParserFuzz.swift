import TallyCore

/// The JSON parser takes any bytes without trapping, and what it parses writes back to text that
/// parses to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let value = try? JSONParser.parse(UnsafeBufferPointer(start: data, count: size)) else { return 0 }
    let text = value.serialized
    guard let again = try? JSONParser.parse(text), again == value else {
        fatalError("\(text) does not parse back to the value it was written from")
    }
    _ = value.prettyPrinted
    return 0
}
