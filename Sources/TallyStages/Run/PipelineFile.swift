import Foundation
import TallyCore

/// A nightly pipeline (`pipelines/<name>/pipeline.json`): where its catalog, inbox and outputs are.
///
/// Relative paths are resolved against the folder of the pipeline file.
public struct PipelineFile: Sendable {
    public let path: String
    public let name: String
    /// The catalog applied at the start of every run; nil applies none.
    public let catalog: String?
    /// Where exports are dropped.
    public let inbox: String
    /// Where an export goes once its ingest committed.
    public let processed: String
    /// Where an export goes when it could not be ingested (nothing of it was stored).
    public let failed: String
    /// Outputs: rejects, invoices, run reports. nil: the `--out` option or its defaults.
    public let out: String?
    /// The database. nil: the `--database-url` option or its defaults (the embedded cluster).
    public let databaseURL: String?
    /// The embedded cluster's home when no database URL is set. nil: `--home` or its defaults.
    public let home: String?

    private static let keys: Set<String> = ["name", "catalog", "inbox", "processed", "failed", "out", "database_url", "home"]

    public init(path: String) throws {
        self.path = path
        let fileName = (path as NSString).lastPathComponent
        func fail(_ field: String, _ message: String) -> PipelineFileError {
            PipelineFileError(description: "\(fileName): \(field.isEmpty ? "" : field + ": ")\(message)")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw fail("", "cannot read the file") }
        let document: JSONValue
        do {
            document = try data.withUnsafeBytes { try JSONParser.parse($0.bindMemory(to: UInt8.self)) }
        } catch {
            throw fail("", "\(error)")
        }
        guard case .object(let object) = document else { throw fail("", "a pipeline file is a JSON object") }
        for key in object.keys where !Self.keys.contains(key) {
            throw fail(key, "unknown field (known: \(Self.keys.sorted().joined(separator: ", ")))")
        }
        let base = (path as NSString).deletingLastPathComponent
        func text(_ key: String, required: Bool) throws -> String? {
            switch object[key] {
            case nil, .null?:
                if required { throw fail(key, "is required") }
                return nil
            case .string(let value)? where !value.isEmpty: return value
            case let other?: throw fail(key, "must be a non-empty string (got \(other.kindName))")
            }
        }
        func location(_ key: String, required: Bool) throws -> String? {
            try text(key, required: required).map { value in
                let resolved = value.hasPrefix("/") ? value : (base as NSString).appendingPathComponent(value)
                return URL(fileURLWithPath: resolved).standardizedFileURL.path
            }
        }
        name = try text("name", required: false) ?? ((base as NSString).lastPathComponent)
        catalog = try location("catalog", required: false)
        inbox = try location("inbox", required: true)!
        processed = try location("processed", required: true)!
        failed = try location("failed", required: true)!
        out = try location("out", required: false)
        databaseURL = try text("database_url", required: false)
        home = try location("home", required: false)
    }
}

/// A pipeline file that cannot be used: names the file, the field and the rule.
public struct PipelineFileError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
