extension CatalogDecoder {
    /// Lago's marker for "any value of this key", which Tally does not implement.
    static let allFilterValuesMarker = "__ALL_FILTER_VALUES__"

    static func decodePlan(_ reader: inout CatalogObjectReader) -> Plan? {
        let code = reader.requiredString("code")
        let name = reader.requiredString("name")
        let description = reader.optionalString("description")
        let amountCents = reader.integer("amount_cents", in: BillingLimits.planAmountCents)
        let currency = reader.currency("amount_currency", required: true)
        let interval = reader.choice("interval", of: PlanInterval.self)
        let billChargesMonthly = reader.bool("bill_charges_monthly", default: false)
        let payInAdvance = reader.bool("pay_in_advance", default: false)
        let trialPeriod = reader.optionalDecimal("trial_period", .nonNegative, limit: BillingLimits.trialDays)
        let charges = reader.elements("charges", decodeCharge)
        let hasCommitment = reader.has("minimum_commitment")
        let minimumCommitment = reader.nested("minimum_commitment", required: false, decodeMinimumCommitment)
        let taxCodes = reader.taxCodes()
        reader.apply(.plan)
        if billChargesMonthly == true, let interval, interval != .yearly, interval != .semiannual {
            reader.fail("bill_charges_monthly", "applies to yearly and semiannual plans only, as in Lago (interval is \(interval.rawValue))")
        }
        if billChargesMonthly == true, hasCommitment {
            reader.fail("minimum_commitment", "is not supported yet on a plan with bill_charges_monthly (its true-up would weigh "
                + "every monthly invoice of the period)")
        }
        if payInAdvance == true, minimumCommitment != nil {
            reader.fail("minimum_commitment", "is not supported yet on a plan with pay_in_advance true (supported: null)")
        }
        if payInAdvance == true, let interval, interval != .monthly {
            reader.fail("pay_in_advance", "true is not supported yet on a \(interval.rawValue) plan (supported: monthly plans)")
        }
        guard let code, let name, let amountCents, let currency, let interval, let payInAdvance, !trialPeriod.isInvalid,
              minimumCommitment != nil || !hasCommitment, let billChargesMonthly, !taxCodes.isInvalid
        else { return nil }
        return Plan(
            code: code, name: name, description: description, amountCents: amountCents, currency: currency,
            interval: interval, billChargesMonthly: billChargesMonthly, payInAdvance: payInAdvance,
            trialPeriod: trialPeriod.value == .zero ? nil : trialPeriod.value, charges: charges.map(\.value), minimumCommitment: minimumCommitment,
            taxCodes: taxCodes.value)
    }

    /// Lago's `minimum_commitment` object: `amount_cents` and an optional `invoice_display_name`.
    private static func decodeMinimumCommitment(_ reader: inout CatalogObjectReader) -> MinimumCommitment? {
        let amountCents = reader.integer("amount_cents", in: BillingLimits.minimumAmountCents)
        let invoiceDisplayName = reader.optionalString("invoice_display_name")
        let taxCodes = reader.taxCodes()
        reader.apply(.minimumCommitment)
        guard let amountCents, !taxCodes.isInvalid else { return nil }
        return MinimumCommitment(amountCents: amountCents, invoiceDisplayName: invoiceDisplayName, taxCodes: taxCodes.value)
    }

    private static func decodeCharge(_ reader: inout CatalogObjectReader) -> Charge? {
        let metricCode = decodeChargeMetricCode(&reader)
        let chargeModel = reader.choice("charge_model", of: ChargeModel.self)
        let invoiceDisplayName = reader.optionalString("invoice_display_name")
        // Properties of a model Tally does not support would only add noise to its "not supported yet".
        var properties: ChargeProperties?
        if let chargeModel {
            properties = reader.nested("properties", required: false) { decodeChargeProperties(&$0, model: chargeModel) }
        } else {
            reader.skip("properties")
        }
        let filters = reader.elements("filters") { decodeChargeFilter(&$0, model: chargeModel) }
        let minAmountCents = reader.integer("min_amount_cents", in: BillingLimits.minimumAmountCents, default: 0)
        let taxCodes = reader.taxCodes()
        reader.apply(.charge)
        reportFiltersWithSameConditions(filters, at: reader.path(of: "filters"), log: reader.log)
        guard let metricCode, let chargeModel, let minAmountCents, !taxCodes.isInvalid else { return nil }
        return Charge(
            billableMetricCode: metricCode, chargeModel: chargeModel, invoiceDisplayName: invoiceDisplayName,
            properties: properties, filters: filters.map(\.value), minAmountCents: minAmountCents, taxCodes: taxCodes.value)
    }

    /// The metric's code, from `billable_metric_code` or from `billable_metric_id` holding the code.
    private static func decodeChargeMetricCode(_ reader: inout CatalogObjectReader) -> String? {
        let isNamed = reader.has("billable_metric_code") || reader.has("billable_metric_id")
        let byCode = reader.optionalString("billable_metric_code")
        let byId = reader.optionalString("billable_metric_id")
        guard isNamed else {
            reader.fail("billable_metric_code", "is required (or billable_metric_id holding the metric's code)")
            return nil
        }
        if let byCode, let byId, byCode != byId {
            reader.fail(
                "billable_metric_id",
                "must name the same metric as billable_metric_code (got \(CatalogPath.quoted(byId)), "
                    + "billable_metric_code is \(CatalogPath.quoted(byCode)))")
            return nil
        }
        return byCode ?? byId
    }

    private static func decodeChargeFilter(_ reader: inout CatalogObjectReader, model: ChargeModel?) -> ChargeFilter? {
        let invoiceDisplayName = reader.optionalString("invoice_display_name")
        var properties: ChargeProperties?
        if let model {
            properties = reader.nested("properties", required: true) { decodeChargeProperties(&$0, model: model) }
        } else {
            reader.skip("properties")
        }
        let conditions = decodeFilterConditions(&reader)
        reader.apply(.chargeFilter)
        guard let properties, let conditions else { return nil }
        return ChargeFilter(invoiceDisplayName: invoiceDisplayName, properties: properties, values: conditions)
    }

    /// Lago's `values` object: at least one key, each with at least one distinct value, in source order.
    private static func decodeFilterConditions(_ reader: inout CatalogObjectReader) -> [FilterCondition]? {
        guard let value = reader.value("values") else {
            reader.fail("values", "is required")
            return nil
        }
        let valuesPath = reader.path(of: "values")
        guard case .object(let object) = value else {
            reader.log.add(at: valuesPath, "must be an object of filter keys to value lists (got \(value.kindName))")
            return nil
        }
        guard object.count > 0 else {
            reader.log.add(at: valuesPath, "must name at least one filter key")
            return nil
        }
        var conditions: [FilterCondition] = []
        var isValid = true
        for (key, list) in object.entries {
            guard !key.isEmpty else {
                reader.log.add(at: valuesPath, "has an empty filter key")
                isValid = false
                continue
            }
            let keyPath = CatalogPath.member(valuesPath, key)
            guard let values = stringList(list, path: keyPath, log: reader.log) else {
                isValid = false
                continue
            }
            if let index = values.firstIndex(of: allFilterValuesMarker) {
                reader.log.add(
                    at: CatalogPath.element(keyPath, index),
                    "\(CatalogPath.quoted(allFilterValuesMarker)) is not supported yet (list the values instead)")
                isValid = false
                continue
            }
            conditions.append(FilterCondition(key: key, values: values))
        }
        return isValid ? conditions : nil
    }

    /// A filter with the same conditions as an earlier one could never win a tie: it is a mistake.
    private static func reportFiltersWithSameConditions(
        _ filters: [(index: Int, value: ChargeFilter)], at filtersPath: String, log: CatalogErrorLog
    ) {
        var firstIndexByConditions: [[String: Set<String>]: Int] = [:]
        for (index, filter) in filters {
            let conditions = Dictionary(filter.values.map { ($0.key, Set($0.values)) }) { first, _ in first }
            if let first = firstIndexByConditions[conditions] {
                log.add(
                    at: CatalogPath.member(CatalogPath.element(filtersPath, index), "values"),
                    "same values as \(CatalogPath.element(filtersPath, first)), so this filter would never match")
            } else {
                firstIndexByConditions[conditions] = index
            }
        }
    }
}

// MARK: - Plan overrides

extension CatalogDecoder {
    /// A subscription's `plan_overrides` of `plan`: its prices are read in the models of `plan`'s charges.
    static func decodePlanOverrides(_ reader: inout CatalogObjectReader, plan: Plan) -> PlanOverrides? {
        var amountCents: Int64?
        if let value = reader.object["amount_cents"], value != .null {
            amountCents = reader.integer("amount_cents", in: BillingLimits.planAmountCents)
        } else {
            reader.skip("amount_cents")
        }
        if let currency = reader.currency("amount_currency", required: false), currency != plan.currency {
            reader.fail("amount_currency", "must be the plan's currency, \(plan.currency) (got \(CatalogPath.quoted(currency))): "
                + "a subscription is billed in its plan's currency")
        }
        let name = reader.optionalString("name")
        let description = reader.optionalString("description")
        let trialPeriod = reader.optionalDecimal("trial_period", .nonNegative, limit: BillingLimits.trialDays)
        let minimumCommitment = reader.nested("minimum_commitment", required: false, decodeMinimumCommitment)
        if minimumCommitment != nil, plan.payInAdvance || plan.billChargesMonthly == true {
            reader.fail("minimum_commitment", "is not supported yet on plan \(CatalogPath.quoted(plan.code)), which "
                + (plan.payInAdvance ? "is paid in advance" : "bills its charges monthly"))
        }
        let charges = reader.elements("charges") { decodeChargeOverride(&$0, plan: plan) }
        reader.apply(.planOverrides)
        let chargesPath = reader.path(of: "charges")
        var firstIndexByMetric: [String: Int] = [:]
        for (index, charge) in charges {
            if let first = firstIndexByMetric[charge.billableMetricCode] {
                reader.log.add(at: CatalogPath.element(chargesPath, index),
                               "overrides the charge of \(CatalogPath.quoted(charge.billableMetricCode)) again "
                                + "(first at \(CatalogPath.element(chargesPath, first)))")
            } else {
                firstIndexByMetric[charge.billableMetricCode] = index
            }
        }
        guard !trialPeriod.isInvalid else { return nil }
        return PlanOverrides(amountCents: amountCents, name: name, description: description, trialPeriod: trialPeriod.value,
                             minimumCommitment: minimumCommitment, charges: charges.map(\.value))
    }

    /// One overridden charge, named by its metric's code as the plan's charges are.
    private static func decodeChargeOverride(_ reader: inout CatalogObjectReader, plan: Plan) -> ChargeOverride? {
        if reader.has("id") {
            reader.fail("id", "name the charge by billable_metric_code instead: the ids Lago gives charges are not known "
                + "to a catalog file")
            for key in reader.object.keys { reader.skip(key) }
            return nil
        }
        guard let metricCode = decodeChargeMetricCode(&reader) else { return nil }
        let charges = plan.charges.filter { $0.billableMetricCode == metricCode }
        // Without its charge, the override's other fields cannot be read: only the reason is reported.
        if charges.count != 1 { for key in reader.object.keys { reader.skip(key) } }
        guard let charge = charges.first else {
            reader.fail(reader.has("billable_metric_code") ? "billable_metric_code" : "billable_metric_id",
                        "plan \(CatalogPath.quoted(plan.code)) has no charge on \(CatalogPath.quoted(metricCode))")
            return nil
        }
        guard charges.count == 1 else {
            reader.fail(reader.has("billable_metric_code") ? "billable_metric_code" : "billable_metric_id",
                        "plan \(CatalogPath.quoted(plan.code)) has \(charges.count) charges on \(CatalogPath.quoted(metricCode)), "
                            + "which an override cannot tell apart")
            return nil
        }
        let invoiceDisplayName = reader.optionalString("invoice_display_name")
        var minAmountCents: Int64?
        if let value = reader.object["min_amount_cents"], value != .null {
            minAmountCents = reader.integer("min_amount_cents", in: BillingLimits.minimumAmountCents)
        } else {
            reader.skip("min_amount_cents")
        }
        let properties = reader.nested("properties", required: false) { decodeChargeProperties(&$0, model: charge.chargeModel) }
        var filters: [ChargeFilter]?
        if let value = reader.object["filters"], value != .null {
            let decoded = reader.elements("filters") { decodeChargeFilter(&$0, model: charge.chargeModel) }
            reportFiltersWithSameConditions(decoded, at: reader.path(of: "filters"), log: reader.log)
            filters = decoded.map(\.value)
        } else {
            reader.skip("filters")
        }
        reader.apply(.chargeOverride)
        return ChargeOverride(billableMetricCode: metricCode, invoiceDisplayName: invoiceDisplayName, properties: properties,
                              filters: filters, minAmountCents: minAmountCents)
    }
}
