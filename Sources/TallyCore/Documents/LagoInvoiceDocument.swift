/// An issued invoice as Lago's invoice object: the JSON file close writes for it.
///
/// Built from values only (the stored invoice and the catalog it bills), so it needs no database.
/// Fields Tally does not model yet are written as Lago writes them for an invoice without them:
/// no coupons, taxes or credit notes (0), no payment terms, paid nothing.
public struct LagoInvoiceDocument: Sendable {
    /// Where the file goes: `invoices/<period>/<number>.json` under the output folder.
    public let period: String
    public let number: String
    public let json: JSONValue

    /// The invoice names a customer or subscription the catalog does not hold.
    public struct MissingObject: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init(_ invoice: InvoiceRecord, catalog: StoredCatalog) throws(MissingObject) {
        let header = invoice.header
        guard let customer = catalog.customer(id: header.customerId) else {
            throw MissingObject(description: "invoice \(header.number) names customer id \(header.customerId), which is not stored")
        }
        var subscriptions: [StoredCatalog.SubscriptionRecord] = []
        // A start invoice names its subscription even when a trial leaves it no fee line.
        for id in Set(invoice.fees.map(\.subscriptionId) + [header.startingSubscriptionId].compactMap { $0 }) {
            guard let subscription = catalog.subscription(id: id) else {
                throw MissingObject(description: "invoice \(header.number) bills subscription id \(id), which is not stored")
            }
            subscriptions.append(subscription)
        }
        subscriptions.sort { $0.externalId < $1.externalId }
        let externalIds = Dictionary(subscriptions.map { ($0.id, $0.externalId) }, uniquingKeysWith: { $1 })

        period = header.period
        number = header.number
        let issuingDate = JSONValue.string(header.issuingDate)
        func cents(_ value: Int64) -> JSONValue { .number(String(value)) }
        json = .object(JSONObject([
            ("lago_id", .string(header.lagoId)), ("sequential_id", .number(String(header.sequentialId))),
            ("number", .string(header.number)),
            ("issuing_date", issuingDate), ("payment_due_date", issuingDate), ("payment_overdue", false),
            ("net_payment_term", 0), ("invoice_type", "subscription"), ("version_number", 4),
            ("status", .string(header.status.rawValue)), ("payment_status", .string(header.paymentStatus.rawValue)),
            ("currency", .string(header.currency)),
            ("fees_amount_cents", cents(header.feesAmountCents)), ("coupons_amount_cents", cents(header.couponsAmountCents)),
            ("taxes_amount_cents", cents(header.taxesAmountCents)),
            ("credit_notes_amount_cents", cents(header.creditNotesAmountCents)), ("progressive_billing_credit_amount_cents", 0),
            ("sub_total_excluding_taxes_amount_cents", cents(header.subTotalExcludingTaxesAmountCents)),
            ("sub_total_including_taxes_amount_cents", cents(header.subTotalIncludingTaxesAmountCents)),
            ("prepaid_credit_amount_cents", cents(header.prepaidCreditAmountCents)),
            ("prepaid_granted_credit_amount_cents", cents(header.prepaidGrantedCreditAmountCents)),
            ("prepaid_purchased_credit_amount_cents", cents(header.prepaidPurchasedCreditAmountCents)),
            ("total_amount_cents", cents(header.totalAmountCents)), ("total_due_amount_cents", cents(header.totalAmountCents)),
            ("total_paid_amount_cents", 0),
            ("voided_at", header.voidedAt.map { .string($0.wholeSecondsDescription) } ?? .null),
            ("created_at", .string(header.createdAt.wholeSecondsDescription)),
            ("customer", Self.customer(customer)),
            ("subscriptions", .array(subscriptions.map { subscription in
                Self.subscription(subscription, customer: customer, asOf: header.createdAt,
                                  previousPlanCode: subscription.previousId.flatMap { catalog.subscription(id: $0)?.plan.definition.code })
            })),
            ("fees", .array(invoice.fees.enumerated().map { index, fee in
                Self.fee(fee, invoice: header, customer: customer, externalSubscriptionId: externalIds[fee.subscriptionId] ?? "",
                         trueUp: Self.trueUpLink(of: index, in: invoice.fees), catalog: catalog)
            })),
            ("credits", .array(invoice.credits.map { credit in
                let item: JSONObject
                if let note = credit.creditNote {
                    item = JSONObject([("lago_item_id", .string(note.lagoId)), ("type", "credit_note"),
                                       ("code", .string(note.number)), ("name", .string(note.number))])
                } else {
                    let applied = catalog.appliedCoupons.first { $0.id == credit.appliedCouponId }
                    let coupon = applied.flatMap { catalog.coupons[$0.definition.couponCode] }
                    item = JSONObject([("lago_item_id", .string(applied?.lagoId ?? "")), ("type", "coupon"),
                                       ("code", .string(coupon?.definition.code ?? "")), ("name", .string(coupon?.definition.name ?? ""))])
                }
                return .object(JSONObject([
                    ("lago_id", .string(credit.lagoId)), ("amount_cents", cents(credit.amountCents)),
                    ("amount_currency", .string(header.currency)), ("before_taxes", .bool(credit.creditNote == nil)),
                    ("item", .object(item)),
                    ("invoice", .object(JSONObject([
                        ("lago_id", .string(header.lagoId)), ("payment_status", .string(header.paymentStatus.rawValue)),
                    ]))),
                ]))
            })),
            ("applied_taxes", .array(header.appliedTaxes.map { applied in
                Self.appliedTax(applied, owner: header.lagoId, catalog: catalog, currency: header.currency, createdAt: header.createdAt,
                                extra: [("lago_invoice_id", .string(header.lagoId)),
                                        ("fees_amount_cents", cents(applied.baseAmount.rounded(scale: 0, .halfAwayFromZero).int64Value ?? 0))])
            })),
            ("billing_periods", .array(subscriptions.compactMap { subscription in
                invoice.billed[subscription.id].map { Self.billingPeriod($0, of: subscription) }
            })),
        ]))
    }

    private static func customer(_ customer: StoredCatalog.CustomerRecord) -> JSONValue {
        let definition = customer.definition
        return .object(JSONObject([
            ("lago_id", .string(customer.lagoId)), ("external_id", .string(customer.externalId)),
            ("sequential_id", .number(String(customer.sequentialId))),
            ("name", definition.name.map(JSONValue.string) ?? .null), ("email", definition.email.map(JSONValue.string) ?? .null),
            ("currency", definition.currency.map(JSONValue.string) ?? .null),
            ("timezone", definition.timezone.map(JSONValue.string) ?? .null),
            ("applicable_timezone", .string(customer.billingTimezone)),
            ("created_at", .string(customer.createdAt.wholeSecondsDescription)),
            ("updated_at", .string(customer.updatedAt.wholeSecondsDescription)),
        ]))
    }

    /// The subscription as it stood when the invoice was issued (`asOf`): terminated once its end has passed.
    private static func subscription(
        _ subscription: StoredCatalog.SubscriptionRecord, customer: StoredCatalog.CustomerRecord, asOf: UTCInstant,
        previousPlanCode: String?
    ) -> JSONValue {
        let startedAt = JSONValue.string(subscription.startedAt.wholeSecondsDescription)
        let ended = subscription.endingAt.map { $0 <= asOf } ?? false
        func instant(_ value: UTCInstant?) -> JSONValue { value.map { .string($0.wholeSecondsDescription) } ?? .null }
        return .object(JSONObject([
            ("lago_id", .string(subscription.lagoId)), ("external_id", .string(subscription.externalId)),
            ("lago_customer_id", .string(customer.lagoId)), ("external_customer_id", .string(customer.externalId)),
            ("plan_code", .string(subscription.plan.definition.code)), ("status", ended ? "terminated" : "active"),
            ("previous_plan_code", previousPlanCode.map(JSONValue.string) ?? .null),
            ("billing_time", .string((subscription.definition.billingTime ?? .calendar).rawValue)),
            ("subscription_at", startedAt), ("started_at", startedAt),
            ("ending_at", instant(subscription.definition.endingAt)),
            ("terminated_at", instant(ended ? subscription.endingAt : nil)),
            ("trial_ended_at", instant(subscription.ratedPlan.trialEnd(startedAt: subscription.initialStartedAt).flatMap { $0 <= asOf ? $0 : nil })),
            ("created_at", .string(subscription.createdAt.wholeSecondsDescription)),
        ]))
    }

    /// One of Lago's `billing_periods`: what the invoice bills of `subscription`, and why (its
    /// last period when it ends within it).
    private static func billingPeriod(_ billed: BilledPeriod, of subscription: StoredCatalog.SubscriptionRecord) -> JSONValue {
        let terminating = subscription.endingAt.map { $0 <= billed.subscriptionTo } ?? false
        return .object(JSONObject([
            ("lago_subscription_id", .string(subscription.lagoId)), ("external_subscription_id", .string(subscription.externalId)),
            ("lago_plan_id", .string(subscription.plan.lagoId)),
            ("subscription_from_datetime", .string(billed.subscriptionFrom.wholeSecondsDescription)),
            ("subscription_to_datetime", .string(billed.subscriptionTo.wholeSecondsDescription)),
            ("charges_from_datetime", .string(billed.chargesFrom.wholeSecondsDescription)),
            ("charges_to_datetime", .string(billed.chargesTo.wholeSecondsDescription)),
            ("invoicing_reason", terminating ? "subscription_terminating" : "subscription_periodic"),
        ]))
    }

    /// Lago's `lago_true_up_fee_id` and `lago_true_up_parent_fee_id` of the fee at `index`. A true-up
    /// directly follows its parent, its charge's default bucket (`SubscriptionRating.fees`), which the
    /// store keeps in that order.
    private static func trueUpLink(of index: Int, in fees: [InvoiceRecord.Fee]) -> (fee: String?, parent: String?) {
        let next = index + 1 < fees.count ? fees[index + 1] : nil
        let previous = index > 0 ? fees[index - 1] : nil
        let fee = fees[index]
        return (
            fee.kind == .charge && next?.kind == .chargeTrueUp ? next?.lagoId : nil,
            fee.kind == .chargeTrueUp && previous?.kind == .charge ? previous?.lagoId : nil)
    }

    /// The item `type` Lago writes: a true-up is a charge fee.
    private static func itemType(_ kind: DraftFee.Kind) -> String {
        switch kind {
        case .charge, .chargeTrueUp: "charge"
        case .subscription: "subscription"
        case .commitment: "commitment"
        }
    }

    private static func fee(
        _ fee: InvoiceRecord.Fee, invoice: InvoiceRecord.Header, customer: StoredCatalog.CustomerRecord,
        externalSubscriptionId: String, trueUp: (fee: String?, parent: String?), catalog: StoredCatalog
    ) -> JSONValue {
        let item = JSONValue.object(JSONObject([
            ("type", .string(itemType(fee.kind))), ("code", .string(fee.itemCode)), ("name", .string(fee.itemName)),
            ("invoice_display_name", fee.invoiceDisplayName.map(JSONValue.string) ?? .null),
            ("filter_invoice_display_name", fee.filterInvoiceDisplayName.map(JSONValue.string) ?? .null),
            ("filters", fee.filters?.json ?? .null),
        ]))
        let amount = JSONValue.number(String(fee.amountCents))
        return .object(JSONObject([
            ("lago_id", .string(fee.lagoId)), ("lago_invoice_id", .string(invoice.lagoId)),
            ("lago_true_up_fee_id", trueUp.fee.map(JSONValue.string) ?? .null),
            ("lago_true_up_parent_fee_id", trueUp.parent.map(JSONValue.string) ?? .null),
            ("external_subscription_id", .string(externalSubscriptionId)),
            ("lago_customer_id", .string(customer.lagoId)), ("external_customer_id", .string(customer.externalId)),
            ("amount_cents", amount), ("amount_currency", .string(invoice.currency)),
            ("precise_amount", .string(fee.preciseAmount.description)),
            ("taxes_amount_cents", .number(String(fee.taxes.amountCents))), ("taxes_rate", .number(fee.taxes.rate.description)),
            ("total_amount_cents", .number(String(fee.amountCents &+ fee.taxes.amountCents))),
            ("total_amount_currency", .string(invoice.currency)),
            ("units", .string(fee.units.description)), ("events_count", .number(String(fee.eventsCount))),
            ("precise_unit_amount", .string((fee.preciseUnitAmount ?? .zero).description)),
            ("amount_details", (fee.amountDetails ?? .empty).json),
            ("pay_in_advance", .bool(invoice.billsInAdvance(fee))), ("invoiceable", true),
            ("from_date", .string(fee.from.wholeSecondsDescription)), ("to_date", .string(fee.to.wholeSecondsDescription)),
            ("item", item),
            ("applied_taxes", .array(fee.taxes.applied.map { applied in
                appliedTax(applied, owner: fee.lagoId, catalog: catalog, currency: invoice.currency, createdAt: invoice.createdAt,
                           extra: [("lago_fee_id", .string(fee.lagoId))])
            })),
        ]))
    }

    /// One of Lago's `applied_taxes`, of a fee or an invoice (`owner`, its Lago id). Its own id is
    /// derived from the owner's and the tax code, so it stays the same from file to file.
    private static func appliedTax(
        _ applied: AppliedTax, owner: String, catalog: StoredCatalog, currency: String, createdAt: UTCInstant,
        extra: [(String, JSONValue)]
    ) -> JSONValue {
        var digest = SHA256()
        digest.update(Array("\(owner):\(applied.tax.code)".utf8))
        let hex = Array(digest.hexDigest().prefix(32))
        let id = [hex[0..<8], hex[8..<12], hex[12..<16], hex[16..<20], hex[20..<32]].map { String($0) }.joined(separator: "-")
        return .object(JSONObject([
            ("lago_id", .string(id)), ("lago_tax_id", catalog.taxes[applied.tax.code].map { .string($0.lagoId) } ?? .null),
            ("tax_name", .string(applied.tax.name)), ("tax_code", .string(applied.tax.code)),
            ("tax_rate", .number(applied.tax.rate.description)),
            ("tax_description", applied.tax.description.map(JSONValue.string) ?? .null),
            ("amount_cents", .number(String(applied.amountCents))), ("amount_currency", .string(currency)),
            ("created_at", .string(createdAt.wholeSecondsDescription)),
        ] + extra))
    }
}
