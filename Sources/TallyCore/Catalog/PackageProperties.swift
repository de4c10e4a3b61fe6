/// The price of a package charge: `amount` per started `packageSize` units beyond `freeUnits`.
public struct PackageProperties: Codable, Equatable, Sendable {
    /// The price of one package in the plan's currency (major unit, exact), ≥ 0.
    public var amount: ExactDecimal
    /// Units given free before packages are counted: a whole number ≥ 0.
    public var freeUnits: ExactDecimal
    /// Units per package: a whole number > 0.
    public var packageSize: ExactDecimal

    public init(amount: ExactDecimal, freeUnits: ExactDecimal = .zero, packageSize: ExactDecimal) {
        self.amount = amount
        self.freeUnits = freeUnits
        self.packageSize = packageSize
    }
}
