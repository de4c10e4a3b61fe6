extension CatalogDecoder {
    static func decodeCustomer(_ reader: inout CatalogObjectReader) -> Customer? {
        let externalId = reader.requiredString("external_id")
        let name = reader.optionalString("name")
        let email = reader.optionalString("email")
        let currency = reader.currency("currency", required: false)
        let timezone = reader.timezone("timezone")
        let taxCodes = reader.taxCodes()
        _ = reader.nested("billing_configuration", required: false) { $0.apply(.billingConfiguration) }
        reader.apply(.customer)
        guard let externalId, !taxCodes.isInvalid else { return nil }
        return Customer(externalId: externalId, name: name, email: email, currency: currency, timezone: timezone,
                        taxCodes: taxCodes.value)
    }
}
