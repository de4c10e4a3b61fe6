import Foundation
import TallyCore
import TallyStore

/// What applying a catalog changed: object names ("plan mistral") created and updated; a changed
/// plan's name says its new version ("plan mistral: now version 2").
public struct CatalogApplyReport: Sendable {
    public var created: [String] = []
    public var updated: [String] = []
    public var unchanged = 0
    /// The version each plan created or changed by this apply now has, by plan code.
    public var planVersions: [String: Int] = [:]

    public var changedNothing: Bool { created.isEmpty && updated.isEmpty }

    mutating func record(_ change: CatalogStore.Change, _ label: String) {
        switch change {
        case .created: created.append(label)
        case .updated: updated.append(label)
        case .unchanged: unchanged += 1
        }
    }
}

/// `tally catalog apply`: decodes a catalog file, checks it against itself and the store, and
/// writes it in one transaction. Unchanged objects are left alone; on any error nothing is written.
public enum CatalogStage {
    public static func apply(file path: String, to database: TallyDatabase, now: UTCInstant) throws -> CatalogApplyReport {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let store = database.store
        return try store.transaction {
            try store.catalog.lockForApply()
            let stored = try store.catalog.load()
            // Overrides of a stored plan are read in its charges' models.
            let storedPlans = Dictionary(stored.plans.values.map { ($0.definition.code, $0.definition) }, uniquingKeysWith: { $1 })
            let catalog = try decode(file: path, name: name, storedPlans: storedPlans)
            let errors = CatalogValidator.checkReferences(catalog, file: name, stored: stored.names)
                + (try checkTimezones(catalog, file: name, store: store, now: now))
            guard errors.isEmpty else { throw CatalogErrors(errors: errors) }
            var writer = CatalogWriter(store: store, file: name, now: now, stored: stored)
            try writer.write(catalog)
            try Interruption.check()
            return writer.report
        }
    }

    static func decode(file path: String, name: String, storedPlans: [String: Plan]) throws -> Catalog {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CatalogErrors(errors: [CatalogError(file: name, path: "$", message: "cannot read the file: \(error.localizedDescription)")])
        }
        let document: JSONValue
        // A UTF-8 byte order mark, as some editors write, is not part of the document.
        let text = data.starts(with: [0xEF, 0xBB, 0xBF]) ? Data(data.dropFirst(3)) : data
        do {
            document = try text.withUnsafeBytes { raw in
                try JSONParser.parse(raw.bindMemory(to: UInt8.self))
            }
        } catch let error as JSONSyntaxError {
            let (line, column) = position(of: error.offset, in: text)
            throw CatalogErrors(errors: [CatalogError(file: name, path: "$", message: "line \(line), column \(column): \(error.reason)")])
        }
        return try CatalogDecoder.decode(document, file: name, storedPlans: storedPlans)
    }

    private static func position(of offset: Int, in data: Data) -> (line: Int, column: Int) {
        let prefix = data.prefix(offset)
        let line = prefix.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        let column = offset - (prefix.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
        return (line, column)
    }

    /// The catalog's timezones must mean the same to PostgreSQL as to Tally (the decoder took
    /// only IANA names).
    private static func checkTimezones(_ catalog: Catalog, file: String, store: Store, now: UTCInstant) throws -> [CatalogError] {
        var named: [(path: String, zone: String)] = []
        if let zone = catalog.organization?.timezone { named.append(("organization.timezone", zone)) }
        for (index, customer) in catalog.customers.enumerated() {
            if let zone = customer.timezone { named.append(("customers[\(index)].timezone", zone)) }
        }
        var errors: [CatalogError] = []
        for (path, zone) in named {
            let ours = TimeZone(identifier: zone)?.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(now.microsecondsSinceEpoch / 1_000_000)))
            guard let theirs = try store.catalog.serverOffsetSeconds(timezone: zone, at: now) else {
                errors.append(CatalogError(file: file, path: path, message: "\"\(zone)\" is not in PostgreSQL's timezone database: use a name both know, such as America/New_York"))
                continue
            }
            if ours != theirs {
                errors.append(CatalogError(file: file, path: path, message: "\"\(zone)\" means UTC\(Self.offset(ours ?? 0)) here but UTC\(Self.offset(theirs)) to PostgreSQL: their timezone databases differ; use another name for it"))
            }
        }
        return errors
    }

    private static func offset(_ seconds: Int) -> String {
        (seconds < 0 ? "−" : "+") + "\(abs(seconds) / 3600):" + String(format: "%02d", abs(seconds) % 3600 / 60)
    }
}

/// Writes a checked catalog object by object, comparing each with what is stored.
private struct CatalogWriter {
    let store: Store
    let file: String
    let now: UTCInstant
    /// The catalog before this apply.
    let stored: StoredCatalog
    var report = CatalogApplyReport()
    private var errors: [CatalogError] = []
    /// Metrics whose filter keys or aggregation changed: their usage rollups were bucketed by the
    /// old keys, or keep what the old aggregation needed.
    private var rollupsToRebuild: [String] = []

    init(store: Store, file: String, now: UTCInstant, stored: StoredCatalog) {
        self.store = store
        self.file = file
        self.now = now
        self.stored = stored
    }

    mutating func write(_ catalog: Catalog) throws {
        let catalogStore = store.catalog
        if let organization = catalog.organization {
            report.record(try catalogStore.save(organization), "organization \(organization.name)")
        }
        for tax in catalog.taxes {
            report.record(try catalogStore.save(tax), "tax \(tax.code)")
        }
        for (index, metric) in catalog.billableMetrics.enumerated() {
            if let old = stored.metrics[metric.code]?.definition {
                if old.filters.map(\.key) != metric.filters.map(\.key) || old.aggregationType != metric.aggregationType {
                    rollupsToRebuild.append(metric.code)
                }
                if old.fieldName != metric.fieldName, try store.events.hasEvents(code: metric.code) {
                    errors.append(CatalogError(file: file, path: "billable_metrics[\(index)].field_name",
                        message: "cannot change from \(Self.quoted(old.fieldName)) to \(Self.quoted(metric.fieldName)): events of this metric are stored; create a metric with a new code instead"))
                    continue
                }
                // Events store their field's value as units, or 1 when they are only counted.
                if old.aggregationType.needsNumericField != metric.aggregationType.needsNumericField,
                   try store.events.hasEvents(code: metric.code) {
                    errors.append(CatalogError(file: file, path: "billable_metrics[\(index)].aggregation_type",
                        message: "cannot change from \(old.aggregationType.rawValue) to \(metric.aggregationType.rawValue): events of this metric are stored as \(old.aggregationType.needsNumericField ? "values" : "counted events"); create a metric with a new code instead"))
                    continue
                }
            }
            report.record(try catalogStore.save(metric), "billable metric \(metric.code)")
        }
        var planIds = Dictionary(stored.plans.values.map { ($0.definition.code, $0.id) }, uniquingKeysWith: { $1 })
        let subscribedPlanIds = Set(stored.subscriptions.map(\.plan.id))
        for (index, plan) in catalog.plans.enumerated() {
            // As in Lago, how often a plan bills is fixed once subscriptions use it: their periods
            // already issued would no longer line up with the new ones.
            if let old = stored.plans.values.first(where: { $0.definition.code == plan.code }), subscribedPlanIds.contains(old.id) {
                let frozen: [(String, String, String)] = [
                    ("interval", old.definition.interval.rawValue, plan.interval.rawValue),
                    ("bill_charges_monthly", String(old.definition.billChargesMonthly == true), String(plan.billChargesMonthly == true)),
                ]
                var refused = false
                for (field, before, after) in frozen where before != after {
                    errors.append(CatalogError(file: file, path: "plans[\(index)].\(field)",
                        message: "cannot change from \(before) to \(after): plan \(Self.quoted(plan.code)) has subscriptions "
                            + "(Lago allows it only on a plan without any); create a plan with a new code instead"))
                    refused = true
                }
                if refused { continue }
            }
            let (change, id, version) = try catalogStore.save(plan)
            if let version {
                report.planVersions[plan.code] = version
                report.record(change, change == .updated ? "plan \(plan.code): now version \(version)" : "plan \(plan.code)")
            } else {
                report.record(change, "plan \(plan.code)")
            }
            if let id { planIds[plan.code] = id }
        }
        var customerIds = Dictionary(stored.customers.map { ($0.externalId, $0.id) }, uniquingKeysWith: { $1 })
        for customer in catalog.customers {
            let (change, id) = try catalogStore.save(customer)
            report.record(change, "customer \(customer.externalId)")
            if let id { customerIds[customer.externalId] = id }
        }
        // The catalog's object is a subscription's current row (the last of its plan changes).
        let storedSubscriptions = Dictionary(stored.subscriptions.filter { !$0.superseded }.map { ($0.externalId, $0) },
                                             uniquingKeysWith: { $1 })
        for (index, subscription) in catalog.subscriptions.enumerated() {
            let current = storedSubscriptions[subscription.externalId]
            if let old = current?.definition, old.externalCustomerId != subscription.externalCustomerId {
                errors.append(CatalogError(file: file, path: "subscriptions[\(index)].external_customer_id",
                    message: "subscription \"\(subscription.externalId)\" belongs to customer \"\(old.externalCustomerId)\"; a subscription cannot move to another customer"))
                continue
            }
            // After `tally subscription change-plan`, the file must name the plan it moved to: naming the
            // old one would move the current part back without a date.
            if let current, current.previousId != nil, current.definition.planCode != subscription.planCode {
                errors.append(CatalogError(file: file, path: "subscriptions[\(index)].plan_code",
                    message: "subscription \"\(subscription.externalId)\" moved to plan \"\(current.definition.planCode)\" at "
                        + "\(current.startedAt) (tally subscription change-plan): give that plan_code, or change plan again with the command"))
                continue
            }
            if let message = Self.scheduleRefusal(of: subscription, current: current, catalog: catalog, stored: stored) {
                errors.append(CatalogError(file: file, path: "subscriptions[\(index)].\(message.field)", message: message.text))
                continue
            }
            let customerId = try resolved(customerIds[subscription.externalCustomerId], "customer \(subscription.externalCustomerId)")
            let planId = try resolved(planIds[subscription.planCode], "plan \(subscription.planCode)")
            // The part after a change of plan starts at the change, not at subscription_at.
            let startedAt = current.flatMap { $0.previousId != nil ? $0.startedAt : nil } ?? subscription.subscriptionAt ?? now
            report.record(try catalogStore.save(subscription, customerId: customerId, planId: planId, startedAt: startedAt),
                          "subscription \(subscription.externalId)")
        }
        try writeCoupons(catalog, customerIds: customerIds)
        for (index, wallet) in catalog.wallets.enumerated() {
            let customerId = try resolved(customerIds[wallet.externalCustomerId], "customer \(wallet.externalCustomerId)")
            try writeWallet(wallet, customerId: customerId, index: index)
        }
        guard errors.isEmpty else { throw CatalogErrors(errors: errors) }
        try rebuildMovedRollups()
    }

    /// Usage rollups are bucketed by the metric's filter keys and the customer's timezone, and keep
    /// what the metric's aggregation needs: rebuild those of metrics whose keys or aggregation
    /// changed and of subscriptions whose billing timezone moved.
    private func rebuildMovedRollups() throws {
        let after = try store.catalog.load()
        let zonesBefore = stored.ingestCatalog.allSubscriptions.map { ($0.id, $0.billingTimezone) }
        let zonesAfter = Dictionary(after.ingestCatalog.allSubscriptions.map { ($0.id, $0.billingTimezone) }, uniquingKeysWith: { $1 })
        let moved = zonesBefore.filter { zonesAfter[$0.0] != $0.1 }.map(\.0).sorted()
        guard !rollupsToRebuild.isEmpty || !moved.isEmpty else { return }
        try UsageRollupRebuild.rebuild(codes: rollupsToRebuild, subscriptionIds: moved, catalog: after, store: store)
    }

    /// Why a subscription's periods cannot be what the file says (docs/BILLING.md, weekly plans and
    /// anniversary billing): what is not supported yet on dated periods, and changes that would move
    /// periods already billed. Nil when they can.
    private static func scheduleRefusal(
        of subscription: Subscription, current: StoredCatalog.SubscriptionRecord?, catalog: Catalog, stored: StoredCatalog
    ) -> (field: String, text: String)? {
        guard let plan = catalog.plans.first(where: { $0.code == subscription.planCode })
            ?? stored.plans.values.first(where: { $0.definition.code == subscription.planCode })?.definition
        else { return nil }
        let id = JSONValue.quoted(subscription.externalId)
        if let current {
            let before = current.definition.billingTime ?? .calendar, after = subscription.billingTime ?? .calendar
            if before != after {
                return ("billing_time", "cannot change from \(before.rawValue) to \(after.rawValue): subscription \(id) bills "
                    + "its periods so already (Lago sets billing_time when a subscription is created); start a subscription "
                    + "with a new external_id instead")
            }
            let old = current.plan.definition.interval
            if old != plan.interval, subscription.isAnniversary || old == .weekly || plan.interval == .weekly {
                return ("plan_code", "cannot move subscription \(id) from a \(old.rawValue) to a \(plan.interval.rawValue) plan: "
                    + "its \(subscription.isAnniversary ? "anniversary" : "weekly") periods would no longer line up with those "
                    + "already billed; start a subscription with a new external_id instead")
            }
        }
        guard subscription.isAnniversary || plan.interval == .weekly else { return nil }
        let how = subscription.isAnniversary ? "billed on its anniversary" : "on a weekly plan"
        if plan.payInAdvance {
            return ("plan_code", "plan \(JSONValue.quoted(plan.code)) is paid in advance, which is not supported yet for a "
                + "subscription \(how) (supported: calendar-billed monthly plans)")
        }
        return nil
    }

    /// Saves the coupons, then applies each applied coupon once (docs/BILLING.md, coupons): a coupon
    /// already applied to its customer stays as it is, an expired one is not applied, and the terms of
    /// a coupon already applied cannot change.
    private mutating func writeCoupons(_ catalog: Catalog, customerIds: [String: Int64]) throws {
        let appliedCodes = Set(stored.appliedCoupons.map(\.definition.couponCode))
        for (index, coupon) in catalog.coupons.enumerated() {
            if let old = stored.coupons[coupon.code]?.definition, appliedCodes.contains(coupon.code) {
                var terms = coupon
                (terms.name, terms.description, terms.expirationAt) = (old.name, old.description, old.expirationAt)
                if terms != old {
                    errors.append(CatalogError(file: file, path: "coupons[\(index)]",
                        message: "coupon \(JSONValue.quoted(coupon.code)) is applied to customers, so its terms cannot change "
                            + "(only its name, description and expiration can, as in Lago); create a coupon with a new code instead"))
                    continue
                }
            }
            report.record(try store.catalog.save(coupon), "coupon \(coupon.code)")
        }
        let coupons = stored.coupons.mapValues(\.definition).merging(catalog.coupons.map { ($0.code, $0) }) { $1 }
        for (index, applied) in catalog.appliedCoupons.enumerated() {
            let label = "coupon \(applied.couponCode) of customer \(applied.externalCustomerId)"
            let customerId = try resolved(customerIds[applied.externalCustomerId], "customer \(applied.externalCustomerId)")
            if let existing = stored.appliedCoupons.first(where: {
                $0.customerId == customerId && $0.definition.couponCode == applied.couponCode
            }) {
                if existing.definition != applied {
                    errors.append(CatalogError(file: file, path: "applied_coupons[\(index)]",
                        message: "\(label) is already applied with other terms; a coupon is applied to a customer once, "
                            + "as it was first given: leave this entry as it was"))
                }
                continue
            }
            if let expiration = coupons[applied.couponCode]?.expirationAt, expiration <= now {
                errors.append(CatalogError(file: file, path: "applied_coupons[\(index)].coupon_code",
                    message: "coupon \(JSONValue.quoted(applied.couponCode)) expired at \(expiration) and can no longer be applied"))
                continue
            }
            if let coupon = coupons[applied.couponCode], coupon.kind == .fixedAmount,
               let customerCurrency = stored.customers.first(where: { $0.id == customerId })?.definition.currency
                    ?? catalog.customers.first(where: { $0.externalId == applied.externalCustomerId })?.currency,
               let couponCurrency = applied.amountCurrency ?? coupon.amountCurrency, couponCurrency != customerCurrency {
                errors.append(CatalogError(file: file, path: "applied_coupons[\(index)]",
                    message: "\(label) is in \(couponCurrency), the customer is billed in \(customerCurrency)"))
                continue
            }
            try store.catalog.apply(applied, customerId: customerId)
            report.created.append(label)
        }
    }

    private static func quoted(_ fieldName: String?) -> String {
        fieldName.map { JSONValue.quoted($0) } ?? "none (count_agg)"
    }

    /// `text` as one shell word, single-quoted unless it is plain, so a command in a message can be pasted.
    private static func shellWord(_ text: String) -> String {
        let plain = !text.isEmpty && text.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || "._-/".unicodeScalars.contains(scalar)
        }
        return plain ? text : "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    private mutating func writeWallet(_ wallet: Wallet, customerId: Int64, index: Int) throws {
        let label = "wallet \"\(wallet.name)\" of customer \(wallet.externalCustomerId)"
        guard let existing = stored.wallets.first(where: { $0.customerId == customerId && $0.definition.name == wallet.name }) else {
            let walletId = try store.catalog.create(wallet, customerId: customerId)
            if wallet.grantedCredits > .zero || wallet.paidCredits > .zero {
                try store.wallets.record([WalletStore.Transaction(
                    walletId: walletId, direction: .inbound, granted: wallet.grantedCredits, purchased: wallet.paidCredits,
                    reason: "credits granted when the wallet was created", invoiceId: nil)])
            }
            report.created.append(label)
            return
        }
        let old = existing.definition
        if old == wallet {
            report.unchanged += 1
            return
        }
        let path = "wallets[\(index)]"
        if old.paidCredits != wallet.paidCredits || old.grantedCredits != wallet.grantedCredits {
            errors.append(CatalogError(file: file, path: path,
                message: "\(label) exists with paid_credits \(old.paidCredits) and granted_credits \(old.grantedCredits); credits in the catalog are granted once, when the wallet is created: add granted credits with `tally wallet top-up --customer \(Self.shellWord(wallet.externalCustomerId)) --wallet \(Self.shellWord(wallet.name)) --granted CREDITS` instead of changing them here (paid top-ups are not supported yet)"))
        }
        if old.currency != wallet.currency || old.rateAmount != wallet.rateAmount {
            errors.append(CatalogError(file: file, path: path,
                message: "\(label) exists with currency \(old.currency) and rate_amount \(old.rateAmount); these cannot change once credits were granted: create a wallet with a new name"))
        }
        try store.catalog.update(walletId: existing.id, to: wallet)
        report.updated.append(label)
    }

    /// The id a reference resolves to; the validator checked every reference, so a miss is a bug.
    private func resolved(_ id: Int64?, _ name: String) throws -> Int64 {
        guard let id else { throw CatalogErrors(errors: [CatalogError(file: file, path: "$", message: "\(name) is neither in this file nor stored")]) }
        return id
    }
}
