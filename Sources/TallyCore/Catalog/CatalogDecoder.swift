/// Turns a parsed catalog document (docs/BILLING.md, the catalog file) into a `Catalog`, reporting every
/// error in it at once.
///
/// Objects are shaped like the bodies of Lago's create calls, bare or wrapped (`{"plan": {...}}`).
/// Cross-references between objects are checked separately, by `CatalogValidator`.
public enum CatalogDecoder {
    /// The sections a catalog document may have.
    public static let sectionKeys = [
        "organization", "taxes", "billable_metrics", "plans", "customers", "subscriptions", "wallets", "coupons", "applied_coupons",
    ]

    /// Decodes `document`, read from `file` (named in every error). `storedPlans` (by code) are the
    /// plans a subscription's `plan_overrides` may override when the file does not define its plan:
    /// an override's prices are read in the model of the charge it overrides.
    public static func decode(_ document: JSONValue, file: String, storedPlans: [String: Plan] = [:]) throws(CatalogErrors) -> Catalog {
        let log = CatalogErrorLog(file: file)
        reportNULs(in: document, at: "", log: log)
        guard log.errors.isEmpty else { throw CatalogErrors(errors: log.errors) }
        let catalog = decode(document, log: log, storedPlans: storedPlans)
        guard let catalog, log.errors.isEmpty else { throw CatalogErrors(errors: log.errors) }
        return catalog
    }

    /// A NUL character (`\u0000`) cannot be stored: every string holding one, key or value, is an
    /// error at its path.
    private static func reportNULs(in value: JSONValue, at path: String, log: CatalogErrorLog) {
        switch value {
        case .string(let text) where text.utf8.contains(0):
            log.add(at: path, "holds a NUL character (\\u0000), which cannot be stored: remove it")
        case .array(let elements):
            for (index, element) in elements.enumerated() { reportNULs(in: element, at: CatalogPath.element(path, index), log: log) }
        case .object(let object):
            for (key, member) in object.entries {
                let memberPath = CatalogPath.member(path, key)
                if key.utf8.contains(0) {
                    log.add(at: memberPath, "is a key holding a NUL character (\\u0000), which cannot be stored: remove it")
                }
                reportNULs(in: member, at: memberPath, log: log)
            }
        default:
            break
        }
    }

    private static func decode(_ document: JSONValue, log: CatalogErrorLog, storedPlans: [String: Plan]) -> Catalog? {
        guard case .object(let root) = document else {
            log.add(at: "", "a catalog must be a JSON object (got \(document.kindName))")
            return nil
        }
        for key in root.keys where !sectionKeys.contains(key) {
            log.add(at: key, "unknown field \(CatalogPath.quoted(key)) (known: \(sectionKeys.joined(separator: ", ")))")
        }
        var organization: Organization?
        if let value = root["organization"], value != .null {
            organization = CatalogObjectReader.read(
                unwrapped(value, wrapper: "organization"), path: "organization", log: log, decodeOrganization)
        }
        let billableMetrics = decodeSection(
            root, "billable_metrics", wrapper: "billable_metric", log: log,
            identity: .init(field: "code") { quotedString($0["code"]).map { "billable metric code \($0)" } },
            decodeBillableMetric)
        let plans = decodeSection(
            root, "plans", wrapper: "plan", log: log,
            identity: .init(field: "code") { quotedString($0["code"]).map { "plan code \($0)" } },
            decodePlan)
        // A subscription's plan: the file's first, then the stored one.
        var plansByCode = storedPlans
        for plan in plans.reversed() { plansByCode[plan.code] = plan }
        return Catalog(
            organization: organization,
            billableMetrics: billableMetrics,
            plans: plans,
            customers: decodeSection(
                root, "customers", wrapper: "customer", log: log,
                identity: .init(field: "external_id") { quotedString($0["external_id"]).map { "customer external_id \($0)" } },
                decodeCustomer),
            subscriptions: decodeSection(
                root, "subscriptions", wrapper: "subscription", log: log,
                identity: .init(field: "external_id") { quotedString($0["external_id"]).map { "subscription external_id \($0)" } },
                { decodeSubscription(&$0, plans: plansByCode) }),
            wallets: decodeSection(
                root, "wallets", wrapper: "wallet", log: log,
                identity: .init(field: "name") { object in
                    guard let name = quotedString(object["name"]),
                        let customer = quotedString(object["external_customer_id"])
                    else { return nil }
                    return "wallet \(name) of customer \(customer)"
                },
                decodeWallet),
            taxes: decodeSection(
                root, "taxes", wrapper: "tax", log: log,
                identity: .init(field: "code") { quotedString($0["code"]).map { "tax code \($0)" } },
                decodeTax),
            coupons: decodeSection(
                root, "coupons", wrapper: "coupon", log: log,
                identity: .init(field: "code") { quotedString($0["code"]).map { "coupon code \($0)" } },
                decodeCoupon),
            appliedCoupons: decodeSection(
                root, "applied_coupons", wrapper: "applied_coupon", log: log,
                identity: .init(field: "coupon_code") { object in
                    guard let code = quotedString(object["coupon_code"]), let customer = quotedString(object["external_customer_id"])
                    else { return nil }
                    return "coupon \(code) of customer \(customer)"
                },
                decodeAppliedCoupon)
        )
    }

    /// What tells a section's elements apart: a label naming the element, and the field a duplicate is
    /// reported at. Elements whose identifying fields are not strings are left to their own errors.
    private struct ElementIdentity {
        let field: String
        let label: (JSONObject) -> String?

        init(field: String, label: @escaping (JSONObject) -> String?) {
            self.field = field
            self.label = label
        }
    }

    private static func quotedString(_ value: JSONValue?) -> String? {
        value?.stringValue.map(CatalogPath.quoted)
    }

    /// Decodes each element of the array at `key` and reports duplicates at their second occurrence.
    private static func decodeSection<Element>(
        _ root: JSONObject, _ key: String, wrapper: String, log: CatalogErrorLog, identity: ElementIdentity,
        _ decodeElement: (inout CatalogObjectReader) -> Element?
    ) -> [Element] {
        guard let value = root[key], value != .null else { return [] }
        guard case .array(let elements) = value else {
            log.add(at: key, "must be an array (got \(value.kindName))")
            return []
        }
        var decoded: [Element] = []
        var firstIndexByLabel: [String: Int] = [:]
        for (index, element) in elements.enumerated() {
            let path = CatalogPath.element(key, index)
            let bare = unwrapped(element, wrapper: wrapper)
            if let model = CatalogObjectReader.read(bare, path: path, log: log, decodeElement) {
                decoded.append(model)
            }
            guard let object = bare.objectValue, let label = identity.label(object) else { continue }
            if let first = firstIndexByLabel[label] {
                log.add(
                    at: CatalogPath.member(path, identity.field),
                    "duplicate \(label) (first at \(CatalogPath.element(key, first)))")
            } else {
                firstIndexByLabel[label] = index
            }
        }
        return decoded
    }

    /// The inner object of `{"<wrapper>": {...}}`, or `value` itself when it is not wrapped.
    static func unwrapped(_ value: JSONValue, wrapper: String) -> JSONValue {
        guard case .object(let object) = value, object.count == 1, object.keys[0] == wrapper,
            let inner = object[wrapper], case .object = inner
        else { return value }
        return inner
    }

    /// A non-empty list of distinct non-empty strings, such as a filter's values.
    static func stringList(_ value: JSONValue, path: String, log: CatalogErrorLog) -> [String]? {
        guard case .array(let elements) = value else {
            log.add(at: path, "must be an array of strings (got \(value.kindName))")
            return nil
        }
        guard !elements.isEmpty else {
            log.add(at: path, "must list at least one value")
            return nil
        }
        var strings: [String] = []
        var firstIndexByString: [String: Int] = [:]
        var isValid = true
        for (index, element) in elements.enumerated() {
            let elementPath = CatalogPath.element(path, index)
            guard case .string(let string) = element else {
                log.add(at: elementPath, "must be a string (got \(element.kindName))")
                isValid = false
                continue
            }
            guard !string.isEmpty else {
                log.add(at: elementPath, "must not be empty")
                isValid = false
                continue
            }
            if let first = firstIndexByString[string] {
                log.add(
                    at: elementPath,
                    "duplicate value \(CatalogPath.quoted(string)) (first at \(CatalogPath.element(path, first)))")
                isValid = false
                continue
            }
            firstIndexByString[string] = index
            strings.append(string)
        }
        return isValid ? strings : nil
    }
}
