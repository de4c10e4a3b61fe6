/// Collects the errors of one catalog file so decoding can carry on past each of them.
final class CatalogErrorLog {
    let file: String
    private(set) var errors: [CatalogError] = []

    init(file: String) {
        self.file = file
    }

    func add(at path: String, _ message: String) {
        errors.append(CatalogError(file: file, path: path, message: message))
    }
}

/// Builds the JSON paths errors are reported at: `plans[0].charges[1].properties.package_size`.
enum CatalogPath {
    static func member(_ parent: String, _ key: String) -> String {
        parent.isEmpty ? key : "\(parent).\(key)"
    }

    static func element(_ parent: String, _ index: Int) -> String {
        "\(parent)[\(index)]"
    }

    /// A string as JSON writes it, for quoting user values in messages.
    static func quoted(_ text: String) -> String {
        JSONValue.string(text).serialized
    }

    /// A short rendering of a value for "is not supported yet" messages.
    static func rendered(_ value: JSONValue) -> String {
        let text = value.serialized
        return text.count <= 60 ? text : String(text.prefix(57)) + "..."
    }
}
