/// Checks the references between catalog objects: charges to metrics and their filters, subscriptions to
/// customers and plans, wallets to customers. A name resolves to the file's own object first, then to the
/// one already stored.
public enum CatalogValidator {
    public static func checkReferences(
        _ catalog: Catalog, file: String, stored: StoredCatalogNames = StoredCatalogNames()
    ) -> [CatalogError] {
        var check = ReferenceCheck(catalog: catalog, stored: stored, file: file)
        check.checkCharges()
        check.checkSubscriptions()
        check.checkWallets()
        check.checkTaxCodes()
        check.checkCoupons()
        return check.errors
    }
}

/// The names a catalog file can see, and the errors found so far.
private struct ReferenceCheck {
    let catalog: Catalog
    let file: String
    let metrics: [String: BillableMetric]
    /// Plans of the file by code, with their currency; stored plans' currencies are not known here.
    let planCurrencies: [String: String]
    let storedPlanCodes: Set<String>
    let customerCurrencies: [String: String?]
    let taxCodes: Set<String>
    let couponCodes: Set<String>
    private(set) var errors: [CatalogError] = []

    private static let notFound = "(neither in this file nor in the database)"

    init(catalog: Catalog, stored: StoredCatalogNames, file: String) {
        self.catalog = catalog
        self.file = file
        var metrics = stored.metrics
        for metric in catalog.billableMetrics { metrics[metric.code] = metric }
        self.metrics = metrics
        self.planCurrencies = Dictionary(catalog.plans.map { ($0.code, $0.currency) }) { first, _ in first }
        self.storedPlanCodes = stored.planCodes
        var customerCurrencies = stored.customerCurrencies
        for customer in catalog.customers { customerCurrencies[customer.externalId] = .some(customer.currency) }
        self.customerCurrencies = customerCurrencies
        taxCodes = stored.taxCodes.union(catalog.taxes.map(\.code))
        couponCodes = stored.couponCodes.union(catalog.coupons.map(\.code))
    }

    /// A coupon's `applies_to` names plans and metrics that exist; an applied coupon names a customer
    /// and a coupon that exist.
    mutating func checkCoupons() {
        let planCodes = storedPlanCodes.union(planCurrencies.keys)
        for (index, coupon) in catalog.coupons.enumerated() {
            let path = "coupons[\(index)].applies_to"
            for (element, code) in (coupon.planCodes ?? []).enumerated() where !planCodes.contains(code) {
                fail(CatalogPath.element(CatalogPath.member(path, "plan_codes"), element),
                     "plan \(CatalogPath.quoted(code)) does not exist \(Self.notFound)")
            }
            for (element, code) in (coupon.billableMetricCodes ?? []).enumerated() where metrics[code] == nil {
                fail(CatalogPath.element(CatalogPath.member(path, "billable_metric_codes"), element),
                     "billable metric \(CatalogPath.quoted(code)) does not exist \(Self.notFound)")
            }
        }
        for (index, applied) in catalog.appliedCoupons.enumerated() {
            let path = "applied_coupons[\(index)]"
            if customerCurrencies[applied.externalCustomerId] == nil {
                fail(CatalogPath.member(path, "external_customer_id"),
                     "customer \(CatalogPath.quoted(applied.externalCustomerId)) does not exist \(Self.notFound)")
            }
            if !couponCodes.contains(applied.couponCode) {
                fail(CatalogPath.member(path, "coupon_code"),
                     "coupon \(CatalogPath.quoted(applied.couponCode)) does not exist \(Self.notFound): define it under coupons")
            }
        }
    }

    /// Every `tax_codes` names a tax of the file or the database.
    mutating func checkTaxCodes() {
        func check(_ codes: [String]?, at path: String) {
            for (index, code) in (codes ?? []).enumerated() where !taxCodes.contains(code) {
                fail(CatalogPath.element(CatalogPath.member(path, "tax_codes"), index),
                     "tax \(CatalogPath.quoted(code)) does not exist \(Self.notFound): define it under taxes")
            }
        }
        for (index, customer) in catalog.customers.enumerated() { check(customer.taxCodes, at: "customers[\(index)]") }
        for (planIndex, plan) in catalog.plans.enumerated() {
            let path = "plans[\(planIndex)]"
            check(plan.taxCodes, at: path)
            check(plan.minimumCommitment?.taxCodes, at: CatalogPath.member(path, "minimum_commitment"))
            for (chargeIndex, charge) in plan.charges.enumerated() { check(charge.taxCodes, at: "\(path).charges[\(chargeIndex)]") }
        }
    }

    private mutating func fail(_ path: String, _ message: String) {
        errors.append(CatalogError(file: file, path: path, message: message))
    }

    /// Every charge's metric exists, and its filters use the metric's keys and values.
    mutating func checkCharges() {
        for (planIndex, plan) in catalog.plans.enumerated() {
            for (chargeIndex, charge) in plan.charges.enumerated() {
                let chargePath = "plans[\(planIndex)].charges[\(chargeIndex)]"
                guard let metric = metrics[charge.billableMetricCode] else {
                    fail(
                        chargePath,
                        "billable metric \(CatalogPath.quoted(charge.billableMetricCode)) does not exist \(Self.notFound)")
                    continue
                }
                if charge.chargeModel.refusesLatestAggregation, metric.aggregationType == .latestAgg {
                    fail(CatalogPath.member(chargePath, "charge_model"),
                         "\(charge.chargeModel.rawValue) cannot price billable metric \(CatalogPath.quoted(metric.code)): "
                            + "a percentage of a latest_agg value has no meaning (Lago refuses it too)")
                }
                checkFilters(charge.filters, of: metric, at: chargePath)
            }
        }
        // Overridden filters, of charges whose metric the plan's own check has found.
        for (index, subscription) in catalog.subscriptions.enumerated() {
            for (chargeIndex, charge) in (subscription.planOverrides?.charges ?? []).enumerated() {
                guard let filters = charge.filters, let metric = metrics[charge.billableMetricCode] else { continue }
                checkFilters(filters, of: metric, at: "subscriptions[\(index)].plan_overrides.charges[\(chargeIndex)]")
            }
        }
    }

    private mutating func checkFilters(_ filters: [ChargeFilter], of metric: BillableMetric, at chargePath: String) {
        for (filterIndex, filter) in filters.enumerated() {
            let valuesPath = "\(chargePath).filters[\(filterIndex)].values"
            for condition in filter.values {
                checkCondition(condition, of: metric, at: CatalogPath.member(valuesPath, condition.key))
            }
        }
    }

    private mutating func checkCondition(_ condition: FilterCondition, of metric: BillableMetric, at path: String) {
        guard let metricFilter = metric.filter(forKey: condition.key) else {
            let keys = metric.filters.isEmpty
                ? "it has no filters"
                : "keys: " + metric.filters.map(\.key).joined(separator: ", ")
            fail(
                path,
                "\(CatalogPath.quoted(condition.key)) is not a filter key of billable metric "
                    + "\(CatalogPath.quoted(metric.code)) (\(keys))")
            return
        }
        for (index, value) in condition.values.enumerated() where !metricFilter.values.contains(value) {
            fail(
                CatalogPath.element(path, index),
                "\(CatalogPath.quoted(value)) is not a value of the metric's filter \(CatalogPath.quoted(condition.key)) "
                    + "(values: \(metricFilter.values.joined(separator: ", ")))")
        }
    }

    /// Every subscription names an existing customer and plan, billed in the customer's one currency.
    mutating func checkSubscriptions() {
        // For customers without a currency: the first subscription in the file fixes it.
        var firstByCustomer: [String: (index: Int, currency: String)] = [:]
        for (index, subscription) in catalog.subscriptions.enumerated() {
            let path = "subscriptions[\(index)]"
            let customerId = subscription.externalCustomerId
            let customerCurrency = customerCurrencies[customerId]
            if customerCurrency == nil {
                fail(
                    CatalogPath.member(path, "external_customer_id"),
                    "customer \(CatalogPath.quoted(customerId)) does not exist \(Self.notFound)")
            }
            let planCode = subscription.planCode
            let planCurrency = planCurrencies[planCode]
            guard planCurrency != nil || storedPlanCodes.contains(planCode) else {
                fail(
                    CatalogPath.member(path, "plan_code"),
                    "plan \(CatalogPath.quoted(planCode)) does not exist \(Self.notFound)")
                continue
            }
            guard let planCurrency, let customerCurrency else { continue }
            if let customerCurrency {
                if planCurrency != customerCurrency {
                    fail(
                        CatalogPath.member(path, "plan_code"),
                        "plan \(CatalogPath.quoted(planCode)) bills in \(planCurrency) but customer "
                            + "\(CatalogPath.quoted(customerId)) is billed in \(customerCurrency)")
                }
            } else if let first = firstByCustomer[customerId] {
                if planCurrency != first.currency {
                    fail(
                        CatalogPath.member(path, "plan_code"),
                        "plan \(CatalogPath.quoted(planCode)) bills in \(planCurrency) but subscriptions[\(first.index)] "
                            + "of customer \(CatalogPath.quoted(customerId)) bills in \(first.currency); "
                            + "a customer is invoiced in one currency")
                }
            } else {
                firstByCustomer[customerId] = (index, planCurrency)
            }
        }
    }

    /// Every wallet names an existing customer, in the customer's currency when it has one.
    mutating func checkWallets() {
        for (index, wallet) in catalog.wallets.enumerated() {
            let path = "wallets[\(index)]"
            let customerId = wallet.externalCustomerId
            guard let customerCurrency = customerCurrencies[customerId] else {
                fail(
                    CatalogPath.member(path, "external_customer_id"),
                    "customer \(CatalogPath.quoted(customerId)) does not exist \(Self.notFound)")
                continue
            }
            if let customerCurrency, customerCurrency != wallet.currency {
                fail(
                    CatalogPath.member(path, "currency"),
                    "must be the currency of customer \(CatalogPath.quoted(customerId)), \(customerCurrency) "
                        + "(got \(wallet.currency))")
            }
        }
    }
}
