import Foundation
import Testing
import TallyCore
import TallyPostgres
@testable import TallyStages
import TallyTestSupport

/// The repository the tests belong to, for `samples/` and `pipelines/`.
enum Repository {
    /// Tests/TallyStagesTests/Support/TestDatabase.swift → the repository root.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

/// One line of `<out>/rejects/<export>.<ingest id>.rejects.ndjson` (docs/BILLING.md, validation and reject reasons),
/// decoded with Foundation's JSON decoder.
struct RejectLine: Decodable, Equatable {
    let source: String
    let line: Int
    let reason: String
    let message: String
    /// The line as it was, when it is UTF-8.
    let raw: String?
    /// The line's bytes, base64, when it is not.
    let rawBase64: String?

    enum CodingKeys: String, CodingKey {
        case source, line, reason, message, raw
        case rawBase64 = "raw_base64"
    }
}

/// A fresh, migrated database of its own for one test, with scratch directories for inputs and outputs.
///
/// The database is dropped when the value goes away, as a courtesy; nothing relies on it.
final class TestDatabase {
    /// The instant catalogs are applied at (subscriptions without `subscription_at` start then).
    static let catalogAppliedAt = UTCInstant(year: 2026, month: 9, day: 1)!

    private let scratch: ScratchDatabase
    /// The database as the stages see it, migrated.
    let database: TallyDatabase
    /// A connection of the test's own, to look at what the stages stored.
    let connection: PostgresConnection
    /// `--out`: where the rejects files are written.
    let outDirectory: String
    /// Where the test writes its export and catalog files.
    let workDirectory: String
    private let scratchDirectory: String

    init() throws {
        scratch = try ScratchDatabase()
        database = try TallyConfiguration(databaseURL: scratch.connectionString, home: nil, out: nil).open()
        connection = try scratch.connect()
        scratchDirectory = "/tmp/tally-tests/\(scratch.name)"
        outDirectory = scratchDirectory + "/out"
        workDirectory = scratchDirectory + "/work"
        for directory in [outDirectory, workDirectory] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: scratchDirectory)
    }

    /// The database's name on the test server.
    var name: String { scratch.name }

    /// Its connection string, for a `tally` process of the test's own.
    var connectionString: String { scratch.connectionString }

    // MARK: Input files

    /// Writes `contents` to `name` in the work directory and returns its path.
    @discardableResult
    func write(_ name: String, _ contents: String) throws -> String {
        try write(name, Array(contents.utf8))
    }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = (workDirectory as NSString).appendingPathComponent(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Writes `contents` gzip-compressed (by /bin/gzip) to `name`, which should end in `.gz`.
    @discardableResult
    func writeGzip(_ name: String, _ contents: String) throws -> String {
        precondition(name.hasSuffix(".gz"))
        let plain = try write(String(name.dropLast(3)), contents)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-n", "-f", plain]
        try gzip.run()
        gzip.waitUntilExit()
        guard gzip.terminationStatus == 0 else { throw TestSetupError("gzip \(plain) exited with \(gzip.terminationStatus)") }
        let path = plain + ".gz"
        guard FileManager.default.fileExists(atPath: path), !FileManager.default.fileExists(atPath: plain) else {
            throw TestSetupError("gzip did not replace \(plain) by \(path)")
        }
        return path
    }

    // MARK: Stages

    /// Writes `json` to `name` and applies it as a catalog file.
    @discardableResult
    func applyCatalog(_ json: String, name: String = "catalog.json") throws -> CatalogApplyReport {
        try applyCatalog(file: write(name, json))
    }

    @discardableResult
    func applyCatalog(file path: String) throws -> CatalogApplyReport {
        try CatalogStage.apply(file: path, to: database, now: Self.catalogAppliedAt)
    }

    func ingest(_ paths: [String]) throws -> IngestSummary {
        try IngestStage(database: database, outDirectory: outDirectory).ingest(paths)
    }

    /// Ingests one file and returns its summary.
    func ingest(_ path: String) throws -> IngestFileSummary {
        let summary = try ingest([path])
        return try #require(summary.files.first)
    }

    // MARK: Reading back

    /// The first column of the first row, as text.
    func scalar(_ sql: String, _ parameters: [String?] = []) throws -> String? {
        try rows(sql, parameters).first?.first ?? nil
    }

    func count(_ table: String) throws -> Int {
        let text = try scalar("SELECT count(*) FROM \(table)")
        return try #require(text.flatMap { Int($0) })
    }

    /// Every row, each cell as text.
    func rows(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        try connection.textRows(sql, parameters.map { $0 as any PostgresEncodable })
    }

    /// `<out>/rejects/<export file name>.<ingest id>.rejects.ndjson` of the last ingest of
    /// `exportPath`, as its ingest record names it (a path that does not exist when it had none).
    func rejectsPath(for exportPath: String) -> String {
        let recorded = try? scalar("SELECT rejects_file FROM ingests WHERE source = $1 ORDER BY id DESC LIMIT 1", [exportPath])
        return (recorded ?? nil) ?? "\(outDirectory)/rejects/\((exportPath as NSString).lastPathComponent).none.rejects.ndjson"
    }

    /// The lines of the rejects file of `exportPath` (none when the file does not exist).
    func rejects(for exportPath: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [RejectLine] {
        let path = rejectsPath(for: exportPath)
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.last == 0x0A, "a rejects file ends with a newline", sourceLocation: sourceLocation)
        return try data.split(separator: 0x0A).map { try JSONDecoder().decode(RejectLine.self, from: Data($0)) }
    }
}
