/// Reads one catalog object field by field, logging each problem instead of stopping at it, and
/// remembering which keys it understood so the rest can be reported as unknown rather than ignored.
///
/// Null counts as absent, as in Lago's API. Every read that returns nil for a present value has logged why.
struct CatalogObjectReader {
    let object: JSONObject
    /// The object's own JSON path.
    let path: String
    let log: CatalogErrorLog
    private var understoodKeys: Set<String> = []

    init(_ object: JSONObject, path: String, log: CatalogErrorLog) {
        self.object = object
        self.path = path
        self.log = log
    }

    /// Reads `value` as an object with `body`, then reports the keys `body` did not understand.
    static func read<Result>(
        _ value: JSONValue, path: String, log: CatalogErrorLog,
        _ body: (inout CatalogObjectReader) -> Result?
    ) -> Result? {
        guard case .object(let object) = value else {
            log.add(at: path, "must be an object (got \(value.kindName))")
            return nil
        }
        var reader = CatalogObjectReader(object, path: path, log: log)
        let result = body(&reader)
        reader.reportUnknownFields()
        return result
    }

    func path(of key: String) -> String {
        CatalogPath.member(path, key)
    }

    func fail(_ key: String, _ message: String) {
        log.add(at: path(of: key), message)
    }

    /// Whether `key` holds something other than null or an empty string.
    func has(_ key: String) -> Bool {
        switch object[key] {
        case nil, .null, .string(""): false
        default: true
        }
    }

    /// The value at `key`, nil when absent or null; marks the key as understood.
    mutating func value(_ key: String) -> JSONValue? {
        understoodKeys.insert(key)
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    /// Marks `key` as understood without reading it.
    mutating func skip(_ key: String) {
        understoodKeys.insert(key)
    }

    // MARK: Strings

    /// A non-empty string; absent, null or "" is logged as "is required".
    mutating func requiredString(_ key: String) -> String? {
        guard has(key) else {
            skip(key)
            fail(key, "is required")
            return nil
        }
        return optionalString(key)
    }

    /// A string, nil when absent, null or "".
    mutating func optionalString(_ key: String) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else {
            fail(key, "must be a string (got \(value.kindName))")
            return nil
        }
        return text.isEmpty ? nil : text
    }

    /// A required string naming one of `Choice`'s cases; any other value is "not supported yet".
    mutating func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, of _: Choice.Type) -> Choice?
    where Choice.RawValue == String {
        guard let text = requiredString(key) else { return nil }
        guard let choice = Choice(rawValue: text) else {
            let supported = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            fail(key, "\(key) \(CatalogPath.quoted(text)) is not supported yet (supported: \(supported))")
            return nil
        }
        return choice
    }

    /// An ISO 4217 code Tally can bill in.
    mutating func currency(_ key: String, required: Bool) -> String? {
        guard let code = required ? requiredString(key) : optionalString(key) else { return nil }
        guard Currency.isCodeShaped(code) else {
            fail(key, "must be a 3-letter upper-case ISO 4217 code such as \"USD\" (got \(CatalogPath.quoted(code)))")
            return nil
        }
        guard Currency.minorUnitScale(currency: code) != nil else {
            let supported = Currency.supportedCodes.joined(separator: ", ")
            fail(key, "\(key) \(CatalogPath.quoted(code)) is not supported yet (supported: \(supported))")
            return nil
        }
        return code
    }

    /// An IANA timezone name (`TimezoneName`).
    mutating func timezone(_ key: String) -> String? {
        guard let name = optionalString(key) else { return nil }
        if let problem = TimezoneName.problem(with: name) {
            fail(key, "\(problem) (got \(CatalogPath.quoted(name)))")
            return nil
        }
        return name
    }

    /// An RFC 3339 timestamp with an offset, nil when absent.
    mutating func instant(_ key: String) -> UTCInstant? {
        guard let text = optionalString(key) else { return nil }
        guard let instant = TimestampParser.parseRFC3339(Substring(text)) else {
            fail(key, "must be an RFC 3339 timestamp such as \"2026-09-15T00:00:00Z\" (got \(CatalogPath.quoted(text)))")
            return nil
        }
        return instant
    }

    // MARK: Numbers and flags

    /// An exact decimal given as a JSON number or a decimal string (`"2.7"`), checked against `rule`.
    /// Absent gives `defaultValue`, or "is required" when there is none.
    /// At most `limit`'s digits: a larger value is refused, saying the limit.
    mutating func decimal(
        _ key: String, _ rule: DecimalRule, limit: BillingLimits.Digits, default defaultValue: ExactDecimal? = nil
    ) -> ExactDecimal? {
        switch numericField(key, requirement: rule.requirement, hasDefault: defaultValue != nil) {
        case .absent:
            if defaultValue == nil { fail(key, "is required") }
            return defaultValue
        case .wrongType:
            return nil
        case .present(let text, let parsed):
            guard let parsed, rule.accepts(parsed) else {
                fail(key, "must be \(rule.requirement) (got \(CatalogPath.quoted(text)))")
                return nil
            }
            guard limit.admits(parsed) else {
                fail(key, "must have \(limit), the most Tally bills exactly (got \(CatalogPath.quoted(text)))")
                return nil
            }
            return parsed
        }
    }

    /// An exact decimal that may be left out: `.absent` when absent or null, else read as `decimal`
    /// reads it (so "" is an invalid value, not an absent one).
    mutating func optionalDecimal(
        _ key: String, _ rule: DecimalRule, limit: BillingLimits.Digits
    ) -> OptionalField<ExactDecimal> {
        guard let value = object[key], value != .null else {
            skip(key)
            return .absent
        }
        // Present, so the default is never used: it only makes "" a value to check.
        guard let decimal = decimal(key, rule, limit: limit, default: .zero) else { return .invalid }
        return .present(decimal)
    }

    /// A whole number in `range`, given as a JSON number or a numeric string.
    /// Absent gives `defaultValue`, or "is required" when there is none.
    mutating func integer(_ key: String, in range: ClosedRange<Int64>, default defaultValue: Int64? = nil) -> Int64? {
        let requirement = range.upperBound == .max
            ? "a whole number >= \(range.lowerBound)"
            : "a whole number from \(range.lowerBound) to \(range.upperBound)"
        switch numericField(key, requirement: requirement, hasDefault: defaultValue != nil) {
        case .absent:
            if defaultValue == nil { fail(key, "is required") }
            return defaultValue
        case .wrongType:
            return nil
        case .present(let text, let parsed):
            guard let parsed, parsed.isInteger, let integer = parsed.int64Value, range.contains(integer) else {
                fail(key, "must be \(requirement) (got \(CatalogPath.quoted(text)))")
                return nil
            }
            return integer
        }
    }

    private enum NumericField {
        case absent
        case wrongType
        /// The text as written and its exact value, nil when the text is not a number.
        case present(text: String, value: ExactDecimal?)
    }

    /// Reads a number or numeric string. A required field given as "" counts as absent ("is required");
    /// with a default, "" is a value, and an invalid one, rather than a silent default.
    private mutating func numericField(_ key: String, requirement: String, hasDefault: Bool) -> NumericField {
        let isAbsent = hasDefault ? object[key] == nil || object[key] == .null : !has(key)
        guard !isAbsent, let value = value(key) else {
            skip(key)
            return .absent
        }
        switch value {
        case .string(let string):
            return .present(text: string, value: ExactDecimal(decimalString: string))
        case .number(let literal):
            return .present(text: literal, value: ExactDecimal(jsonNumber: literal))
        default:
            fail(key, "must be \(requirement) (got \(value.kindName))")
            return .wrongType
        }
    }

    /// A boolean Tally supports at one value only; absent means `supportedValue`.
    /// A boolean that may take either value; `defaultValue` when absent or null.
    mutating func bool(_ key: String, default defaultValue: Bool) -> Bool? {
        guard let value = value(key) else { return defaultValue }
        guard case .bool(let flag) = value else {
            fail(key, "must be a boolean (got \(value.kindName))")
            return nil
        }
        return flag
    }

    mutating func flag(_ key: String, supportedValue: Bool) -> Bool? {
        guard let value = value(key) else { return supportedValue }
        guard case .bool(let flag) = value else {
            fail(key, "must be a boolean (got \(value.kindName))")
            return nil
        }
        guard flag == supportedValue else {
            fail(key, "\(key) \(flag) is not supported yet (supported: \(supportedValue))")
            return nil
        }
        return flag
    }

    // MARK: Nested values

    /// The array at `key`: empty when absent, nil (logged) when not an array.
    mutating func array(_ key: String) -> [JSONValue]? {
        guard let value = value(key) else { return [] }
        guard case .array(let elements) = value else {
            fail(key, "must be an array (got \(value.kindName))")
            return nil
        }
        return elements
    }

    /// Reads the object at `key` with `body`; a missing object is "is required" when `required`.
    mutating func nested<Result>(
        _ key: String, required: Bool, _ body: (inout CatalogObjectReader) -> Result?
    ) -> Result? {
        guard let value = value(key) else {
            if required { fail(key, "is required") }
            return nil
        }
        return Self.read(value, path: path(of: key), log: log, body)
    }

    /// Each object of the array at `key`, read with `body`, with its index; empty when absent.
    mutating func elements<Result>(
        _ key: String, _ body: (inout CatalogObjectReader) -> Result?
    ) -> [(index: Int, value: Result)] {
        guard let elements = array(key) else { return [] }
        let arrayPath = path(of: key)
        return elements.enumerated().compactMap { index, element in
            Self.read(element, path: CatalogPath.element(arrayPath, index), log: log, body).map { (index, $0) }
        }
    }

    // MARK: Fields Tally does not read

    /// Accepts the policy's descriptive fields and refuses its unsupported ones when set.
    mutating func apply(_ policy: LagoFieldPolicy) {
        understoodKeys.formUnion(policy.descriptive)
        for field in policy.unsupported {
            guard let value = value(field.key), !field.isNeutral(value) else { continue }
            fail(
                field.key,
                "\(field.key) \(CatalogPath.rendered(value)) is not supported yet (supported: \(field.supportedDescription))"
            )
        }
    }

    /// Logs every key no read, `apply` or `nested` call looked at.
    func reportUnknownFields() {
        for key in object.keys where !understoodKeys.contains(key) {
            fail(key, "unknown field \(CatalogPath.quoted(key))")
        }
    }
}

/// The range a catalog decimal must fall in, and how an error message states it.
enum DecimalRule {
    case nonNegative
    case positive
    case wholeNonNegative
    case wholePositive

    var requirement: String {
        switch self {
        case .nonNegative: "a decimal number >= 0"
        case .positive: "a decimal number > 0"
        case .wholeNonNegative: "a whole number >= 0"
        case .wholePositive: "a whole number > 0"
        }
    }

    func accepts(_ value: ExactDecimal) -> Bool {
        switch self {
        case .nonNegative: !value.isNegative
        case .positive: value > .zero
        case .wholeNonNegative: value.isInteger && !value.isNegative
        case .wholePositive: value.isInteger && value > .zero
        }
    }
}

/// A field that may be left out: absent, present and valid, or present and invalid (logged).
enum OptionalField<Value> {
    case absent
    case invalid
    case present(Value)

    var value: Value? {
        if case .present(let value) = self { return value }
        return nil
    }

    var isInvalid: Bool {
        if case .invalid = self { return true }
        return false
    }
}
