import Foundation
import TallyCore
import TallyOutputs
import TallyStore

/// Why `tally credit-note create` wrote nothing.
public struct CreditNoteCommandError: Error, CustomStringConvertible {
    public let description: String
}

/// What `tally credit-note create` asks for: which invoice, which fees and amounts (nil: every
/// fee's whole remaining amount), the part refunded, and why.
public struct CreditNoteRequest: Sendable {
    public let invoiceNumber: String
    /// Fee Lago id → minor units; nil credits every fee what is left of it.
    public let items: [(feeLagoId: String, amountCents: Int64)]?
    public let refundCents: Int64
    public let reason: CreditNoteReason
    public let description: String?

    public init(
        invoiceNumber: String, items: [(feeLagoId: String, amountCents: Int64)]?, refundCents: Int64 = 0,
        reason: CreditNoteReason, description: String? = nil
    ) {
        self.invoiceNumber = invoiceNumber
        self.items = items
        self.refundCents = refundCents
        self.reason = reason
        self.description = description
    }
}

/// A credit note created, as the command reports it.
public struct CreditNoteReport: Sendable {
    public let number: String
    public let invoiceNumber: String
    public let customer: String
    public let currency: String
    public let amounts: CreditNoteAmounts
    /// Its JSON file, or why it could not be written (the credit note is stored all the same).
    public let file: String?
    public let fileFailure: String?
}

/// Lago's credit notes (docs/BILLING.md, credit notes): a correction of an issued invoice, stored
/// with the invoice's next credit note number, its credit offset on the customer's next invoices.
public enum CreditNoteStage {
    /// Creates the credit note of `request` in one transaction, then writes its file.
    public static func create(
        _ request: CreditNoteRequest, database: TallyDatabase, outDirectory: String, now: UTCInstant
    ) throws -> CreditNoteReport {
        let store = database.store
        let (number, customer, currency, amounts) = try store.transaction {
            let catalog = try store.catalog.load()
            guard let invoice = try store.invoices.records(numbers: [request.invoiceNumber]).first else {
                throw CreditNoteCommandError(description: "no invoice is numbered \"\(request.invoiceNumber)\": give the number an "
                    + "invoice file shows (its \"number\")")
            }
            guard let customer = catalog.customer(id: invoice.header.customerId),
                  let today = BillingPeriod.containing(now, timezone: customer.billingTimezone)?.localDate(of: now)
            else { throw CreditNoteCommandError(description: "invoice \(request.invoiceNumber) names a customer that is not stored") }
            let credited = try store.creditNotes.credited(invoiceId: invoice.header.id)
            let positions = Dictionary(invoice.fees.enumerated().map { ($1.lagoId, $0) }, uniquingKeysWith: { first, _ in first })
            var items: [(fee: Int, amountCents: Int64)] = []
            if let asked = request.items {
                for item in asked {
                    guard let position = positions[item.feeLagoId] else {
                        throw CreditNoteCommandError(description: "invoice \(request.invoiceNumber) has no fee \(item.feeLagoId); its fees: "
                            + invoice.fees.map { "\($0.lagoId) (\($0.itemCode), \($0.amountCents))" }.joined(separator: ", "))
                    }
                    items.append((position, item.amountCents))
                }
            } else {
                for (position, fee) in invoice.fees.enumerated() {
                    let left = fee.amountCents - min(credited.perFee[fee.lagoId] ?? 0, fee.amountCents)
                    if left > 0 { items.append((position, left)) }
                }
                if items.isEmpty {
                    throw CreditNoteCommandError(description: "invoice \(request.invoiceNumber) has nothing left to credit")
                }
            }
            let amounts: CreditNoteAmounts
            do {
                amounts = try CreditNoteCalculation.amounts(
                    of: invoice, items: items, refundCents: request.refundCents,
                    credited: Dictionary(invoice.fees.enumerated().compactMap { position, fee in
                        credited.perFee[fee.lagoId].map { (position, $0) }
                    }, uniquingKeysWith: { $1 }),
                    refunded: credited.refunded)
            } catch {
                throw CreditNoteCommandError(description: "invoice \(request.invoiceNumber): \(error)")
            }
            let (_, number) = try store.creditNotes.insert(
                invoiceId: invoice.header.id, invoiceNumber: invoice.header.number, customerId: customer.id,
                currency: invoice.header.currency, amounts: amounts, feeLagoIds: invoice.fees.map(\.lagoId), reason: request.reason,
                description: request.description, issuingDate: today)
            return (number, customer.externalId, invoice.header.currency, amounts)
        }
        var file: String?
        var failure: String?
        do {
            file = try writeFiles(numbers: [number], store: store, outDirectory: outDirectory).first
        } catch {
            failure = "\(error)"
        }
        return CreditNoteReport(number: number, invoiceNumber: request.invoiceNumber, customer: customer, currency: currency,
                                amounts: amounts, file: file, fileFailure: failure)
    }

    /// Writes `<out>/credit_notes/<invoice period>/<number>.json` of the credit notes `numbers`
    /// when missing or stale (their balances change as invoices take their credit); returns the paths written.
    public static func writeFiles(numbers: [String], store: Store, outDirectory: String) throws -> [String] {
        guard !numbers.isEmpty else { return [] }
        let catalog = try store.catalog.load()
        let records = try store.creditNotes.records(numbers: numbers)
        let invoices = try store.invoices.records(numbers: Array(Set(records.map(\.invoiceNumber))))
        var fees: [String: InvoiceRecord.Fee] = [:]
        for invoice in invoices { for fee in invoice.fees { fees[fee.lagoId] = fee } }
        var written: [String] = []
        for record in records {
            let document = LagoCreditNoteDocument(
                lagoId: record.lagoId, sequentialId: record.sequentialId, number: record.number, invoiceLagoId: record.invoiceLagoId,
                invoiceNumber: record.invoiceNumber, period: record.invoicePeriod, issuingDate: record.issuingDate,
                reason: record.reason, description: record.description, currency: record.currency,
                totalAmountCents: record.totalAmountCents, creditAmountCents: record.creditAmountCents,
                refundAmountCents: record.refundAmountCents, balanceAmountCents: record.balanceAmountCents,
                taxesAmountCents: record.taxesAmountCents, subTotalExcludingTaxesAmountCents: record.subTotalExcludingTaxesAmountCents,
                couponsAdjustmentAmount: record.couponsAdjustmentAmount, appliedTaxes: record.appliedTaxes,
                createdAt: record.createdAt, items: record.items, fees: fees, catalog: catalog)
            let folder = directory(of: record.invoicePeriod, in: outDirectory)
            try OutputFolder.create(folder)
            let path = (folder as NSString).appendingPathComponent("\(record.number).json")
            if try AtomicFile.replace(path, with: document.json.prettyPrinted + "\n") { written.append(path) }
        }
        return written
    }

    /// `<out>/credit_notes/<period>`.
    public static func directory(of period: String, in outDirectory: String) -> String {
        (outDirectory as NSString).appendingPathComponent("credit_notes/\(period)")
    }
}
