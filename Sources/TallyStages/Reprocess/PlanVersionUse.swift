import TallyCore

/// Which version of a plan reprocessing rates an invoice's subscriptions with, and why: the one
/// the period was first closed with, or, with `--reprice`, the current one.
public struct PlanVersionUse: Sendable, Equatable, CustomStringConvertible {
    /// A plan version by its plan's code: "plan pro version 2".
    public struct Version: Sendable, Equatable, CustomStringConvertible {
        public let planCode: String
        public let number: Int

        public init(planCode: String, number: Int) {
            self.planCode = planCode
            self.number = number
        }

        public var description: String { "plan \(planCode) version \(number)" }

        /// "version 2" beside a version of the same plan, else "plan basic version 2".
        func named(beside other: Version) -> String {
            other.planCode == planCode ? "version \(number)" : description
        }
    }

    /// The version rated with.
    public let used: Version
    /// The current version of the subscription's plan.
    public let current: Version
    /// The version the live invoice was rated with (version 1 for an invoice issued before versions
    /// were kept); nil when the subscription is not on it (it was added to the period since).
    public let firstClosed: Version?
    /// `--reprice`: the current version was used whatever the invoice was rated with.
    public let repriced: Bool

    public init(used: Version, current: Version, firstClosed: Version?, repriced: Bool) {
        self.used = used
        self.current = current
        self.firstClosed = firstClosed
        self.repriced = repriced
    }

    /// `plan pro version 2 (as first closed; version 3 is current: --reprice to use it)`.
    public var description: String {
        if repriced {
            guard let firstClosed else { return "\(used) (--reprice; the subscription is not on the closed invoice)" }
            return firstClosed == used
                ? "\(used) (--reprice; the version it was first closed with)"
                : "\(used) (--reprice, was \(firstClosed.named(beside: used)))"
        }
        guard firstClosed != nil else { return "\(used) (current; the subscription is not on the closed invoice)" }
        return current == used
            ? "\(used) (as first closed; the current version)"
            : "\(used) (as first closed; \(current.named(beside: used)) is current: --reprice to use it)"
    }

    var json: JSONValue {
        .object(JSONObject([
            ("plan_code", .string(used.planCode)), ("version", .number(String(used.number))),
            ("current_plan_code", .string(current.planCode)), ("current_version", .number(String(current.number))),
            ("first_closed_plan_code", firstClosed.map { .string($0.planCode) } ?? .null),
            ("first_closed_version", firstClosed.map { .number(String($0.number)) } ?? .null),
            ("repriced", .bool(repriced)),
        ]))
    }
}
