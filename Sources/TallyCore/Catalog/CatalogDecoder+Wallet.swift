extension CatalogDecoder {
    static func decodeWallet(_ reader: inout CatalogObjectReader) -> Wallet? {
        let externalCustomerId = reader.requiredString("external_customer_id")
        let name = reader.requiredString("name")
        let currency = reader.currency("currency", required: true)
        let rateAmount = reader.decimal("rate_amount", .positive)
        let paidCredits = reader.decimal("paid_credits", .nonNegative, default: .zero)
        let grantedCredits = reader.decimal("granted_credits", .nonNegative, default: .zero)
        let priority = reader.integer(
            "priority", in: Int64(Wallet.priorities.lowerBound)...Int64(Wallet.priorities.upperBound),
            default: Int64(Wallet.defaultPriority))
        reader.apply(.wallet)
        guard let externalCustomerId, let name, let currency, let rateAmount, let paidCredits, let grantedCredits,
            let priority
        else { return nil }
        return Wallet(
            externalCustomerId: externalCustomerId, name: name, currency: currency, rateAmount: rateAmount,
            paidCredits: paidCredits, grantedCredits: grantedCredits, priority: Int(priority))
    }
}
