/// A figure of an invoice that cannot be billed exactly: a result beyond 38 digits or beyond
/// 64-bit minor units, or a currency Tally cannot bill in. It stops the one invoice it belongs to
/// (close reports it and issues the others), never the process.
public struct BillingError: Error, Equatable, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) { self.description = description }

    static func unsupportedCurrency(_ currency: String) -> BillingError {
        BillingError("cannot bill in \(currency): supported currencies are \(Currency.supportedCodes.joined(separator: ", "))")
    }

    /// `what` (say "⌈5 ÷ 1⌉ × 2 USD") has no exact value Tally can bill.
    static func tooLarge(_ what: String) -> BillingError {
        BillingError("\(what) is too large to bill exactly (beyond 38 digits, or beyond \(Int64.max) minor units)")
    }
}

extension Int64 {
    /// The exact sum, or a `BillingError` naming `what` when it exceeds 64 bits.
    static func sum(_ values: some Sequence<Int64>, _ what: @autoclosure () -> String) throws(BillingError) -> Int64 {
        var total: Int64 = 0
        for value in values {
            let (sum, overflow) = total.addingReportingOverflow(value)
            guard !overflow else { throw .tooLarge(what()) }
            total = sum
        }
        return total
    }
}
