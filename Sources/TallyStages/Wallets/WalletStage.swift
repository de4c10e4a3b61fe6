import TallyCore
import TallyStore

/// Why `tally wallet top-up` or `tally wallet show` did nothing; nothing was written.
public enum WalletCommandError: Error, CustomStringConvertible {
    case unknownCustomer(String, known: [String])
    case unknownWallet(String, customer: String, known: [String])
    /// The credits given are not a top-up Tally takes.
    case invalidCredits(WalletTopUpError)
    case refusedTopUp(wallet: String, customer: String, WalletTopUpError)
    /// A stored balance has no exact value in minor units (stored before the limits, or by hand).
    case unreadableBalance(customer: String, BillingError)

    public var description: String {
        switch self {
        case .unknownCustomer(let id, let known):
            "no customer has external_id \"\(id)\"; "
                + (known.isEmpty ? "no customer is stored: apply a catalog first" : "customers are \(Self.list(known))")
        case .unknownWallet(let name, let customer, let known):
            "customer \"\(customer)\" has no wallet named \"\(name)\"; "
                + (known.isEmpty
                    ? "it has no wallet: create one in the catalog file (wallets[]) and apply it"
                    : "its wallets are \(Self.list(known))")
        case .invalidCredits(let error):
            error.description
        case .refusedTopUp(let wallet, let customer, let error):
            "wallet \"\(wallet)\" of customer \"\(customer)\": \(error)"
        case .unreadableBalance(let customer, let error):
            "the wallets of customer \"\(customer)\" cannot be shown: \(error)"
        }
    }

    /// `"a", "b", "c"`, the first 20 and how many more.
    private static func list(_ names: [String]) -> String {
        let shown = names.prefix(20).map { "\"\($0)\"" }.joined(separator: ", ")
        return names.count > 20 ? "\(shown) and \(names.count - 20) more" : shown
    }
}

/// What a top-up did.
public struct WalletTopUpReport: Sendable {
    public let customer: String
    public let wallet: String
    /// The granted credits added.
    public let grantedCredits: ExactDecimal
    /// The wallet's credits afterwards.
    public let balance: WalletBalance
    /// `balance` in minor units of its currency, rounded half-up.
    public let balanceCents: Int64
}

/// `tally wallet top-up` and `tally wallet show`: add granted credits to a customer's wallet, as
/// Lago's wallet transaction with `granted_credits` does, and show a customer's wallets with their
/// balances and transactions (docs/BILLING.md, wallets).
public enum WalletStage {
    /// Adds `granted` (credits, as text) to the wallet `walletName` of the customer `externalId` as
    /// one inbound wallet transaction, usable by the next invoice. Checks everything before writing:
    /// an unknown customer or wallet, or credits Tally does not take, write nothing. The caller holds
    /// the run lock, so no close applies credits meanwhile.
    public static func topUp(
        customer externalId: String, wallet walletName: String, granted: String, database: TallyDatabase
    ) throws -> WalletTopUpReport {
        let credits: ExactDecimal
        do {
            credits = try WalletTopUp.credits(granted)
        } catch {
            throw WalletCommandError.invalidCredits(error)
        }
        let store = database.store
        return try store.transaction {
            // Catalog applies create wallets and grant their first credits under this lock.
            try store.catalog.lockForApply()
            let catalog = try store.catalog.load()
            let customer = try Self.customer(externalId, in: catalog)
            let wallets = catalog.wallets.filter { $0.customerId == customer.id }
            guard let wallet = wallets.first(where: { $0.definition.name == walletName }) else {
                throw WalletCommandError.unknownWallet(walletName, customer: externalId, known: wallets.map(\.definition.name))
            }
            guard let before = try store.wallets.balances(customerIds: [customer.id])[customer.id]?.first(where: { $0.walletId == wallet.id })
            else {
                throw WalletCommandError.unknownWallet(walletName, customer: externalId, known: wallets.map(\.definition.name))
            }
            let after: (balance: WalletBalance, balanceCents: Int64)
            do throws(WalletTopUpError) {
                after = try WalletTopUp.adding(granted: credits, to: before)
            } catch {
                throw WalletCommandError.refusedTopUp(wallet: walletName, customer: externalId, error)
            }
            try store.wallets.record([WalletStore.Transaction(
                walletId: wallet.id, direction: .inbound, granted: credits, purchased: .zero, reason: WalletTopUp.reason, invoiceId: nil)])
            try Interruption.check()
            return WalletTopUpReport(
                customer: externalId, wallet: walletName, grantedCredits: credits, balance: after.balance, balanceCents: after.balanceCents)
        }
    }

    /// The customer's wallets with their balances and transactions. Reads only: the transactions
    /// come from one statement, and each balance is their sum.
    public static func show(customer externalId: String, database: TallyDatabase) throws -> WalletStatement {
        let store = database.store
        let customer = try Self.customer(externalId, in: try store.catalog.load())
        let histories = try store.wallets.histories(customerId: customer.id)
        do {
            return try WalletStatement(externalCustomerId: externalId, wallets: histories)
        } catch {
            throw WalletCommandError.unreadableBalance(customer: externalId, error)
        }
    }

    private static func customer(_ externalId: String, in catalog: StoredCatalog) throws -> StoredCatalog.CustomerRecord {
        guard let customer = catalog.customer(externalId: externalId) else {
            throw WalletCommandError.unknownCustomer(externalId, known: catalog.customers.map(\.externalId))
        }
        return customer
    }
}
