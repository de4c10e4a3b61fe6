extension CatalogDecoder {
    /// The lengths Lago accepts for `document_number_prefix`.
    private static let documentNumberPrefixLengths = 1...10
    private static let documentNumberPrefixCharacters = Set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )

    static func decodeOrganization(_ reader: inout CatalogObjectReader) -> Organization? {
        let name = reader.requiredString("name")
        let givenPrefix = reader.optionalString("document_number_prefix")
        let timezone = reader.timezone("timezone")
        _ = reader.nested("billing_configuration", required: false) { $0.apply(.billingConfiguration) }
        reader.apply(.organization)
        guard let name else { return nil }

        let prefix: String
        if let givenPrefix {
            // Invoice numbers become file names (`invoices/2026-09/MIS-001-001.json`): keep the prefix plain.
            guard documentNumberPrefixLengths.contains(givenPrefix.count),
                givenPrefix.allSatisfy(documentNumberPrefixCharacters.contains)
            else {
                reader.fail(
                    "document_number_prefix",
                    "must be 1 to 10 letters, digits, '-' or '_' (got \(CatalogPath.quoted(givenPrefix)))")
                return nil
            }
            prefix = givenPrefix.uppercased()
        } else {
            prefix = Organization.defaultDocumentNumberPrefix(name: name)
            guard !prefix.isEmpty else {
                reader.fail("document_number_prefix", "is required when the name has no letters to take it from")
                return nil
            }
        }
        return Organization(name: name, documentNumberPrefix: prefix, timezone: timezone ?? "UTC")
    }
}
