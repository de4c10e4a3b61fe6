/// The currencies Tally can bill in, and how many decimals their minor unit has.
public enum Currency {
    /// Supported ISO 4217 codes, in the order error messages list them.
    public static let supportedCodes = ["USD", "EUR", "GBP", "CHF", "CAD", "AUD", "JPY", "KRW"]

    /// Decimals of the currency's minor unit (2 for USD, 0 for JPY), or nil when it is not supported.
    public static func minorUnitScale(currency: String) -> Int? {
        switch currency {
        case "USD", "EUR", "GBP", "CHF", "CAD", "AUD": 2
        case "JPY", "KRW": 0
        default: nil
        }
    }

    /// Whether `code` looks like an ISO 4217 code: three ASCII upper-case letters.
    public static func isCodeShaped(_ code: String) -> Bool {
        code.utf8.count == 3 && code.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
    }
}
