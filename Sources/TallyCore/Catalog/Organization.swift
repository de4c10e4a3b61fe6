/// The billing entity issuing invoices: its name, invoice number prefix and default timezone.
public struct Organization: Codable, Equatable, Sendable {
    public var name: String
    /// The first part of every invoice number (`MIS-001-001`).
    public var documentNumberPrefix: String
    /// The IANA timezone billing periods use when a customer has none.
    public var timezone: String

    public init(name: String, documentNumberPrefix: String? = nil, timezone: String = "UTC") {
        self.name = name
        self.documentNumberPrefix = documentNumberPrefix ?? Organization.defaultDocumentNumberPrefix(name: name)
        self.timezone = timezone
    }

    /// Lago's default prefix: the first three letters of the name, upper-cased ("Mistral AI" → "MIS").
    /// Empty when the name has no letters.
    public static func defaultDocumentNumberPrefix(name: String) -> String {
        String(name.filter(\.isLetter).prefix(3)).uppercased()
    }
}
