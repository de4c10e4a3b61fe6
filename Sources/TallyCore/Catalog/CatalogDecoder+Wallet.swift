extension CatalogDecoder {
    static func decodeWallet(_ reader: inout CatalogObjectReader) -> Wallet? {
        let externalCustomerId = reader.requiredString("external_customer_id")
        let name = reader.requiredString("name")
        let currency = reader.currency("currency", required: true)
        let rateAmount = reader.decimal("rate_amount", .positive, limit: BillingLimits.rate)
        let paidCredits = reader.decimal("paid_credits", .nonNegative, limit: BillingLimits.credits, default: .zero)
        let grantedCredits = reader.decimal("granted_credits", .nonNegative, limit: BillingLimits.credits, default: .zero)
        let priority = reader.integer(
            "priority", in: Int64(Wallet.priorities.lowerBound)...Int64(Wallet.priorities.upperBound),
            default: Int64(Wallet.defaultPriority))
        let expirationAt = reader.instant("expiration_at")
        reader.apply(.wallet)
        guard let externalCustomerId, let name, let currency, let rateAmount, let paidCredits, let grantedCredits,
            let priority
        else { return nil }
        // The balance is kept in 64-bit minor units: a wallet must fit them whole.
        if let scale = Currency.minorUnitScale(currency: currency),
           paidCredits.adding(grantedCredits).flatMap({ WalletLedger.cents($0, rateAmount: rateAmount, scale: scale) }) == nil {
            reader.fail("paid_credits", "with granted_credits, worth more than Tally can hold in a balance (\(Int64.max) minor units of \(currency))")
            return nil
        }
        return Wallet(
            externalCustomerId: externalCustomerId, name: name, currency: currency, rateAmount: rateAmount,
            paidCredits: paidCredits, grantedCredits: grantedCredits, priority: Int(priority), expirationAt: expirationAt)
    }
}
