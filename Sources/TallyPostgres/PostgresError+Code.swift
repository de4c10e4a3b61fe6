extension PostgresError {
    /// A SQLSTATE: five characters, the first two naming its class. Tally names the ones it acts on;
    /// any other is kept as it came.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String

        public init(_ rawValue: String) { self.rawValue = rawValue }

        public var description: String { rawValue }

        /// Class 08: the connection is gone or was never made.
        public var isConnectionException: Bool { rawValue.hasPrefix("08") }

        public static let connectionException = Code("08000")
        public static let sqlClientUnableToEstablishConnection = Code("08001")
        public static let uniqueViolation = Code("23505")
        public static let divisionByZero = Code("22012")
        public static let invalidTextRepresentation = Code("22P02")
        public static let duplicateDatabase = Code("42P04")
        public static let undefinedTable = Code("42P01")
        public static let queryCanceled = Code("57014")
    }
}
