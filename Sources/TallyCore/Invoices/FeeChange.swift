/// What one fee line bills: the figures reprocessing compares.
public struct FeeFigures: Equatable, Sendable {
    public let units: ExactDecimal
    public let eventsCount: Int
    public let amountCents: Int64

    public init(units: ExactDecimal, eventsCount: Int, amountCents: Int64) {
        self.units = units
        self.eventsCount = eventsCount
        self.amountCents = amountCents
    }
}

/// A fee line as an invoice holds it, stored or re-rated, reduced to what makes two lines the same.
public struct FeeLine: Sendable {
    /// Identifies the line within its invoice: the same bucket of the same charge, the same charge's
    /// true-up, the subscription fee or the commitment fee.
    public struct Key: Hashable, Sendable {
        public let subscriptionId: Int64
        public let feeType: String
        public let itemCode: String
        /// The charge filter's values as JSON text (`[FilterCondition].json`); nil for a default
        /// bucket and the subscription fee.
        public let filters: String?

        public init(subscriptionId: Int64, feeType: String, itemCode: String, filters: String?) {
            self.subscriptionId = subscriptionId
            self.feeType = feeType
            self.itemCode = itemCode
            self.filters = filters
        }
    }

    public let key: Key
    public let externalSubscriptionId: String
    public let filterInvoiceDisplayName: String?
    /// The charge filter's values, for reports.
    public let filterValues: JSONValue?
    public let figures: FeeFigures

    /// The line of a draft fee (re-rated) or a stored one (`InvoiceRecord.Fee.draft`).
    public init(subscriptionId: Int64, fee: DraftFee) {
        let filters = fee.filters?.json
        self.init(key: Key(subscriptionId: subscriptionId, feeType: fee.kind.rawValue, itemCode: fee.itemCode,
                           filters: filters?.serialized),
                  externalSubscriptionId: fee.externalSubscriptionId, filterInvoiceDisplayName: fee.filterInvoiceDisplayName,
                  filterValues: filters,
                  figures: FeeFigures(units: fee.units, eventsCount: fee.eventsCount, amountCents: fee.amountCents))
    }

    public init(key: Key, externalSubscriptionId: String, filterInvoiceDisplayName: String?, filterValues: JSONValue?, figures: FeeFigures) {
        self.key = key
        self.externalSubscriptionId = externalSubscriptionId
        self.filterInvoiceDisplayName = filterInvoiceDisplayName
        self.filterValues = filterValues
        self.figures = figures
    }
}

/// One fee line that differs between an invoice and its re-rating: added, removed, or with other
/// units, events count or amount.
public struct FeeChange: Equatable, Sendable {
    public enum Kind: String, Sendable { case added, removed, changed }

    public let kind: Kind
    public let externalSubscriptionId: String
    /// `charge`, `subscription`, `charge_true_up` or `commitment` (`DraftFee.Kind`).
    public let feeType: String
    /// The metric code of a charge or true-up, the plan code of the subscription or commitment fee.
    public let itemCode: String
    public let filterInvoiceDisplayName: String?
    /// The charge filter's values (`{"model": ["small"]}`); nil for a default bucket and the subscription fee.
    public let filters: JSONValue?
    /// Nil for an added line.
    public let before: FeeFigures?
    /// Nil for a removed line.
    public let after: FeeFigures?

    /// The lines that differ between `old` and `new`, in the new invoice's order, then the removed
    /// ones in the old invoice's order. Empty exactly when both hold the same lines with the same figures.
    public static func between(old: [FeeLine], new: [FeeLine]) -> [FeeChange] {
        // Lines of one key (two charges on one metric) pair up in invoice order.
        var candidates = Dictionary(grouping: old.indices, by: { old[$0].key })
        var paired = Set<Int>()
        var changes: [FeeChange] = []
        for line in new {
            guard let index = candidates[line.key]?.first else {
                changes.append(FeeChange(line, kind: .added, before: nil, after: line.figures))
                continue
            }
            candidates[line.key]?.removeFirst()
            paired.insert(index)
            if old[index].figures != line.figures {
                changes.append(FeeChange(line, kind: .changed, before: old[index].figures, after: line.figures))
            }
        }
        for (index, line) in old.enumerated() where !paired.contains(index) {
            changes.append(FeeChange(line, kind: .removed, before: line.figures, after: nil))
        }
        return changes
    }

    private init(_ line: FeeLine, kind: Kind, before: FeeFigures?, after: FeeFigures?) {
        self.kind = kind
        externalSubscriptionId = line.externalSubscriptionId
        feeType = line.key.feeType
        itemCode = line.key.itemCode
        filterInvoiceDisplayName = line.filterInvoiceDisplayName
        filters = line.filterValues
        self.before = before
        self.after = after
    }
}

/// An invoice's fees, the wallet credits applied to it and what is left to pay.
public struct InvoiceAmounts: Equatable, Sendable {
    public let feesAmountCents: Int64
    public let prepaidCreditAmountCents: Int64
    public let totalAmountCents: Int64

    public init(feesAmountCents: Int64, prepaidCreditAmountCents: Int64, totalAmountCents: Int64) {
        self.feesAmountCents = feesAmountCents
        self.prepaidCreditAmountCents = prepaidCreditAmountCents
        self.totalAmountCents = totalAmountCents
    }

    public init(_ totals: InvoiceTotals) {
        self.init(feesAmountCents: totals.feesAmountCents, prepaidCreditAmountCents: totals.prepaidCreditAmountCents,
                  totalAmountCents: totals.totalAmountCents)
    }
}
