/// Who is invoiced: identified by the caller's `external_id`.
public struct Customer: Codable, Equatable, Sendable {
    public var externalId: String
    public var name: String?
    public var email: String?
    /// ISO 4217 code; when set, every subscription's plan must bill in it.
    public var currency: String?
    /// IANA timezone for the customer's billing periods; nil falls back to the organization's.
    public var timezone: String?
    /// Lago's `tax_codes`: the taxes of its fees whose charge and plan name none (docs/BILLING.md, taxes).
    public var taxCodes: [String]?

    public init(
        externalId: String,
        name: String? = nil,
        email: String? = nil,
        currency: String? = nil,
        timezone: String? = nil,
        taxCodes: [String]? = nil
    ) {
        self.externalId = externalId
        self.name = name
        self.email = email
        self.currency = currency
        self.timezone = timezone
        self.taxCodes = taxCodes
    }
}
