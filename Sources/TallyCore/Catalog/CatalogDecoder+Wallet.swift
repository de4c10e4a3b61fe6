extension CatalogDecoder {
    /// One of Lago's `recurring_transaction_rules`: Tally takes the threshold trigger with fixed
    /// granted credits; interval triggers, target balances and paid credits are not supported yet.
    static func decodeThresholdTopUp(_ reader: inout CatalogObjectReader) -> Wallet.ThresholdTopUp? {
        let trigger = reader.requiredString("trigger")
        if let trigger, trigger != "threshold" {
            reader.fail("trigger", "trigger \(CatalogPath.quoted(trigger)) is not supported yet (supported: threshold)")
            // The rest of an unsupported rule would only add noise to the reason.
            for key in reader.object.keys { reader.skip(key) }
            return nil
        }
        let method = reader.optionalString("method") ?? "fixed"
        if method != "fixed" { reader.fail("method", "method \(CatalogPath.quoted(method)) is not supported yet (supported: fixed)") }
        let threshold = reader.decimal("threshold_credits", .nonNegative, limit: BillingLimits.credits)
        let granted = reader.decimal("granted_credits", .positive, limit: BillingLimits.credits)
        let paid = reader.decimal("paid_credits", .nonNegative, limit: BillingLimits.credits, default: .zero)
        if let paid, paid != .zero {
            reader.fail("paid_credits", "paid top-ups are not supported yet (they need a credit invoice): give granted_credits only")
        }
        reader.apply(.thresholdTopUp)
        guard let threshold, let granted, trigger == "threshold", method == "fixed", paid == .zero else { return nil }
        return Wallet.ThresholdTopUp(thresholdCredits: threshold, grantedCredits: granted)
    }

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
        let rules = reader.elements("recurring_transaction_rules", decodeThresholdTopUp)
        if rules.count > 1 {
            reader.fail("recurring_transaction_rules", "holds \(rules.count) rules; a wallet has one, as in Lago")
        }
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
            paidCredits: paidCredits, grantedCredits: grantedCredits, priority: Int(priority), expirationAt: expirationAt,
            thresholdTopUp: rules.first?.value)
    }
}
