/// Granted credits added to an existing wallet (`tally wallet top-up`, Lago's wallet transaction with
/// `granted_credits`): checked here, recorded by the caller as one inbound wallet transaction
/// (docs/BILLING.md, wallets).
///
/// A top-up is bounded like the catalog's credits (`BillingLimits.credits`), and the wallet must still
/// fit 64-bit minor units afterwards, as a wallet created by the catalog must. As in Lago, a top-up
/// worth nothing once rounded to the currency's minor unit is refused (`amount_rounds_to_zero`).
public enum WalletTopUp {
    /// The reason recorded on a top-up's wallet transaction.
    public static let reason = "granted credits topped up"

    /// The credits `text` gives: a plain decimal (`25`, `12.5`) > 0 with at most 15 digits before the
    /// decimal point and 12 after it.
    public static func credits(_ text: String) throws(WalletTopUpError) -> ExactDecimal {
        guard let credits = ExactDecimal(decimalString: text) else { throw .notANumber(text) }
        guard credits > .zero else { throw .notPositive(text) }
        guard BillingLimits.credits.admits(credits) else { throw .tooManyDigits(text) }
        return credits
    }

    /// `wallet` once `credits` granted credits are added to it, and its balance then in minor units
    /// (rounded half-up). Refused when the credits are worth 0 minor units at the wallet's rate, or when
    /// the wallet's balance would no longer fit 64-bit minor units.
    public static func adding(
        granted credits: ExactDecimal, to wallet: WalletBalance
    ) throws(WalletTopUpError) -> (balance: WalletBalance, balanceCents: Int64) {
        guard let scale = Currency.minorUnitScale(currency: wallet.currency) else { throw .unsupportedCurrency(wallet.currency) }
        guard let worth = WalletLedger.cents(credits, rateAmount: wallet.rateAmount, scale: scale) else {
            throw .balanceTooLarge(credits: credits, currency: wallet.currency)
        }
        guard worth > 0 else { throw .worthNothing(credits: credits, rateAmount: wallet.rateAmount, currency: wallet.currency) }
        let toppedUp: WalletBalance
        do {
            toppedUp = try wallet.adding(granted: credits, purchased: .zero)
        } catch {
            throw .balanceTooLarge(credits: credits, currency: wallet.currency)
        }
        guard let cents = toppedUp.balanceCents(scale: scale) else { throw .balanceTooLarge(credits: credits, currency: wallet.currency) }
        return (toppedUp, cents)
    }
}

/// Why a top-up was refused; nothing was written.
public enum WalletTopUpError: Error, Equatable, CustomStringConvertible, Sendable {
    case notANumber(String)
    case notPositive(String)
    case tooManyDigits(String)
    case worthNothing(credits: ExactDecimal, rateAmount: ExactDecimal, currency: String)
    case balanceTooLarge(credits: ExactDecimal, currency: String)
    case unsupportedCurrency(String)

    public var description: String {
        switch self {
        case .notANumber(let text):
            "credits to top up must be a decimal number > 0 such as 25 or 12.5, without sign, exponent or spaces "
                + "(got \"\(text)\")"
        case .notPositive(let text):
            "credits to top up must be a decimal number > 0 (got \"\(text)\")"
        case .tooManyDigits(let text):
            "credits to top up must have \(BillingLimits.credits), the most Tally bills exactly (got \"\(text)\")"
        case .worthNothing(let credits, let rate, let currency):
            "\(credits) credits at rate_amount \(rate) are worth less than half a minor unit of \(currency), so nothing once "
                + "rounded (Lago refuses them too): top up more credits"
        case .balanceTooLarge(let credits, let currency):
            "with \(credits) more credits the wallet would be worth more than Tally can hold in a balance "
                + "(\(Int64.max) minor units of \(currency)): top up fewer credits"
        case .unsupportedCurrency(let currency):
            "the wallet's currency \(currency) is not one Tally bills in (\(Currency.supportedCodes.joined(separator: ", ")))"
        }
    }
}
