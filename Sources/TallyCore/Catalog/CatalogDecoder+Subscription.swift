extension CatalogDecoder {
    static func decodeSubscription(_ reader: inout CatalogObjectReader, plans: [String: Plan]) -> Subscription? {
        let externalId = reader.requiredString("external_id")
        let externalCustomerId = reader.requiredString("external_customer_id")
        let planCode = reader.requiredString("plan_code")
        let name = reader.optionalString("name")
        let subscriptionAt = reader.instant("subscription_at")
        let endingAt = reader.instant("ending_at")
        var billingTime: BillingTime? = .calendar
        if let value = reader.value("billing_time"), value != .null {
            billingTime = reader.choice("billing_time", of: BillingTime.self)
        } else {
            reader.skip("billing_time")
        }
        // Overrides are read against the plan; an unknown plan is CatalogValidator's to report.
        var overrides: OptionalField<PlanOverrides> = .absent
        if let plan = planCode.flatMap({ plans[$0] }), let value = reader.value("plan_overrides"), value != .null {
            overrides = reader.nested("plan_overrides", required: true) { decodePlanOverrides(&$0, plan: plan) }
                .map(OptionalField.present) ?? .invalid
        } else {
            reader.skip("plan_overrides")
        }
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
        guard let externalId, let externalCustomerId, let planCode, let billingTime, !overrides.isInvalid else { return nil }
        return Subscription(
            externalId: externalId, externalCustomerId: externalCustomerId, planCode: planCode, name: name,
            subscriptionAt: subscriptionAt, endingAt: endingAt, planOverrides: overrides.value, billingTime: billingTime)
    }
}
