/// One broken rule in a catalog file: which file, where in it (a JSON path) and what is wrong.
public struct CatalogError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    /// A JSON path such as `plans[0].charges[1].properties.package_size`; empty for the document itself.
    public var path: String
    public var message: String

    public init(file: String, path: String, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    /// `catalog.json: plans[0].charges[1].properties.package_size: must be a whole number > 0 (got "0")`
    public var description: String {
        path.isEmpty ? "\(file): \(message)" : "\(file): \(path): \(message)"
    }
}

/// Every error found in a catalog file; none of it is applied.
public struct CatalogErrors: Error, Equatable, Sendable, CustomStringConvertible {
    public var errors: [CatalogError]

    public init(errors: [CatalogError]) {
        self.errors = errors
    }

    /// One error per line.
    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
