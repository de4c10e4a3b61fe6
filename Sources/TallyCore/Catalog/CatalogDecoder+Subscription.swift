extension CatalogDecoder {
    static func decodeSubscription(_ reader: inout CatalogObjectReader) -> Subscription? {
        let externalId = reader.requiredString("external_id")
        let externalCustomerId = reader.requiredString("external_customer_id")
        let planCode = reader.requiredString("plan_code")
        let name = reader.optionalString("name")
        let subscriptionAt = reader.instant("subscription_at")
        let endingAt = reader.instant("ending_at")
        reader.apply(.subscription)
        if let subscriptionAt, let endingAt, endingAt <= subscriptionAt {
            let endingText = reader.object["ending_at"]?.stringValue ?? ""
            let startText = reader.object["subscription_at"]?.stringValue ?? ""
            reader.fail(
                "ending_at",
                "must be after subscription_at (got \(CatalogPath.quoted(endingText)), "
                    + "subscription_at is \(CatalogPath.quoted(startText)))")
            return nil
        }
        guard let externalId, let externalCustomerId, let planCode else { return nil }
        return Subscription(
            externalId: externalId, externalCustomerId: externalCustomerId, planCode: planCode, name: name,
            subscriptionAt: subscriptionAt, endingAt: endingAt)
    }
}
