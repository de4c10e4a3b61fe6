/// The Lago fields of one kind of object that Tally does not read: descriptive ones are accepted and
/// ignored; ones that would change what is billed are refused unless set to their neutral value.
///
/// Fields that appear in neither list, nor among those the decoder reads, are reported as unknown.
struct LagoFieldPolicy: Sendable {
    let descriptive: [String]
    let unsupported: [UnsupportedLagoField]

    static let organization = LagoFieldPolicy(
        descriptive: [
            "lago_id", "created_at", "email", "legal_name", "legal_number", "tax_identification_number",
            "address_line1", "address_line2", "city", "state", "zipcode", "country", "phone", "url", "logo_url",
            "default_currency", "webhook_url", "webhook_urls", "email_settings",
        ],
        unsupported: [
            .init("net_payment_term", neutral: .zero),
            .init("document_numbering", neutral: .oneOf(["per_customer"])),
            .init("finalize_zero_amount_invoice", neutral: .flag(true)),
            .init("eu_tax_management", neutral: .flag(false)),
            .init("taxes", neutral: .emptyList),
            .init("tax_codes", neutral: .emptyList),
        ]
    )

    /// The `billing_configuration` of an organization or a customer.
    static let billingConfiguration = LagoFieldPolicy(
        descriptive: [
            "invoice_footer", "document_locale", "payment_provider", "payment_provider_code",
            "provider_customer_id", "provider_payment_methods", "sync", "sync_with_provider",
        ],
        unsupported: [.init("invoice_grace_period", neutral: .zero)]
    )

    static let coupon = LagoFieldPolicy(
        descriptive: ["lago_id", "created_at", "terminated_at", "limited_plans", "limited_billable_metrics", "plan_codes",
                      "billable_metric_codes"],
        unsupported: []
    )

    /// An applied coupon: Lago's create body, and the fields its API returns.
    static let appliedCoupon = LagoFieldPolicy(
        descriptive: ["lago_id", "lago_coupon_id", "lago_customer_id", "status", "created_at",
                      "terminated_at", "amount_cents_remaining", "frequency_duration_remaining", "credits"],
        unsupported: []
    )

    /// One of a wallet's `recurring_transaction_rules`.
    static let thresholdTopUp = LagoFieldPolicy(
        descriptive: ["lago_id", "created_at", "transaction_metadata", "transaction_name", "started_at"],
        unsupported: [
            .init("interval", neutral: .null),
            .init("target_ongoing_balance", neutral: .null),
            .init("expiration_at", neutral: .null),
            .init("invoice_requires_successful_payment", neutral: .flag(false)),
        ]
    )

    static let tax = LagoFieldPolicy(
        descriptive: ["lago_id", "created_at", "add_ons_count", "customers_count", "plans_count", "charges_count",
                      "commitments_count", "auto_generated"],
        unsupported: []
    )

    static let billableMetric = LagoFieldPolicy(
        descriptive: ["lago_id", "created_at", "active_subscriptions_count", "draft_invoices_count", "plans_count"],
        unsupported: [
            .init("expression", neutral: .null),
        ]
    )

    static let metricFilter = LagoFieldPolicy(descriptive: [], unsupported: [])

    static let plan = LagoFieldPolicy(
        descriptive: ["lago_id", "created_at", "invoice_display_name", "active_subscriptions_count", "draft_invoices_count"],
        unsupported: [
            .init("bill_fixed_charges_monthly", neutral: .flag(false)),
            .init("usage_thresholds", neutral: .emptyList),
            .init("fixed_charges", neutral: .emptyList),
            .init("taxes", neutral: .emptyList),
        ]
    )

    /// A plan's `minimum_commitment`: Lago's commitment object as its API returns it.
    static let minimumCommitment = LagoFieldPolicy(
        descriptive: ["lago_id", "plan_code", "interval", "commitment_type", "created_at", "updated_at"],
        unsupported: [
            .init("taxes", neutral: .emptyList),
        ]
    )

    static let charge = LagoFieldPolicy(
        descriptive: ["lago_id", "id", "lago_billable_metric_id", "created_at"],
        unsupported: [
            .init("pay_in_advance", neutral: .flag(false)),
            .init("invoiceable", neutral: .flag(true)),
            .init("prorated", neutral: .flag(false)),
            .init("regroup_paid_fees", neutral: .null),
            .init("applied_pricing_unit", neutral: .null),
            .init("taxes", neutral: .emptyList),
        ]
    )

    /// The `properties` of a charge or a charge filter, whatever the model: each model's decoder
    /// reads its own fields (a field of another model is unknown there, as Lago drops it), and these
    /// grouping fields, shared by every model, are accepted only empty.
    static let chargeProperties = LagoFieldPolicy(
        descriptive: [],
        unsupported: [
            .init("pricing_group_keys", neutral: .emptyList),
            .init("grouped_by", neutral: .emptyList),
            .init("presentation_group_keys", neutral: .emptyList),
        ]
    )

    static let chargeFilter = LagoFieldPolicy(descriptive: ["lago_id"], unsupported: [])

    static let customer = LagoFieldPolicy(
        descriptive: [
            "lago_id", "sequential_id", "slug", "created_at", "updated_at", "applicable_timezone",
            "firstname", "lastname", "customer_type", "legal_name", "legal_number", "tax_identification_number",
            "address_line1", "address_line2", "city", "state", "zipcode", "country", "shipping_address",
            "phone", "url", "logo_url", "metadata", "integration_customers",
            "invoice_custom_section_codes", "skip_invoice_custom_sections",
        ],
        unsupported: [
            .init("net_payment_term", neutral: .zero),
            .init("finalize_zero_amount_invoice", neutral: .oneOf(["inherit", "finalize"])),
            .init("account_type", neutral: .oneOf(["customer"])),
            .init("taxes", neutral: .emptyList),
        ]
    )

    static let subscription = LagoFieldPolicy(
        descriptive: ["lago_id", "lago_customer_id", "created_at"],
        unsupported: []
    )

    /// A subscription's `plan_overrides`: the plan fields Lago lets a subscription override.
    static let planOverrides = LagoFieldPolicy(
        descriptive: ["invoice_display_name"],
        unsupported: [
            .init("usage_thresholds", neutral: .emptyList),
            .init("fixed_charges", neutral: .emptyList),
            .init("taxes", neutral: .emptyList),
            .init("tax_codes", neutral: .emptyList),
        ]
    )

    /// One charge of `plan_overrides`.
    static let chargeOverride = LagoFieldPolicy(
        descriptive: [],
        unsupported: [
            .init("applied_pricing_unit", neutral: .null),
            .init("taxes", neutral: .emptyList),
            .init("tax_codes", neutral: .emptyList),
        ]
    )

    static let wallet = LagoFieldPolicy(
        descriptive: ["lago_id", "lago_customer_id", "created_at", "metadata", "transaction_metadata", "transaction_name"],
        unsupported: [
            .init("applies_to", neutral: .emptyObject),
            .init("invoice_requires_successful_payment", neutral: .flag(false)),
        ]
    )
}

/// A Lago field Tally does not implement, accepted only at the value that leaves billing unchanged.
struct UnsupportedLagoField: Sendable {
    /// The values that behave as if the field were absent (null or absent is always one of them).
    enum Neutral: Sendable {
        /// Null, or an empty string.
        case null
        case emptyList
        case zero
        case flag(Bool)
        case oneOf([String])
        /// Null, or an object whose members are all null or empty lists.
        case emptyObject
    }

    let key: String
    let neutral: Neutral

    init(_ key: String, neutral: Neutral) {
        self.key = key
        self.neutral = neutral
    }

    func isNeutral(_ value: JSONValue) -> Bool {
        if value == .null { return true }
        switch (neutral, value) {
        case (.null, .string(let text)): return text.isEmpty
        case (.emptyList, .array(let elements)): return elements.isEmpty
        case (.zero, .number(let literal)): return ExactDecimal(jsonNumber: literal) == .zero
        case (.flag(let expected), .bool(let flag)): return flag == expected
        case (.oneOf(let accepted), .string(let text)): return accepted.contains(text)
        case (.emptyObject, .object(let object)):
            return object.entries.allSatisfy { $0.value == .null || $0.value == .array([]) }
        default: return false
        }
    }

    /// What the error message lists as supported.
    var supportedDescription: String {
        switch neutral {
        case .null, .emptyObject: "null"
        case .emptyList: "[]"
        case .zero: "0"
        case .flag(let flag): "\(flag)"
        case .oneOf(let accepted): accepted.joined(separator: ", ")
        }
    }
}
