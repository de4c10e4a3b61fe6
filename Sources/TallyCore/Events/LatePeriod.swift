/// Accepted events of one customer that fall in a period already closed for it.
public struct LatePeriod: Sendable, Equatable {
    public let customer: String
    /// The period, YYYY-MM.
    public let period: String
    public let events: Int

    public init(customer: String, period: String, events: Int) {
        self.customer = customer
        self.period = period
        self.events = events
    }

    public static func json(_ periods: [LatePeriod]) -> JSONValue {
        .array(periods.map { late in
            ["customer": .string(late.customer), "period": .string(late.period), "events": .number(String(late.events))]
        })
    }
}
