import Foundation
import Testing
import TallyCore
import TallyKit

/// The PostgreSQL server the tests run against: `$TALLY_TEST_DATABASE_URL` when set, else an embedded
/// cluster in `/tmp/tally-test-cluster`, shared by the whole test process and started on first use.
///
/// There is no fallback and no skipping: a test that cannot reach its server fails.
enum TestServer {
    static let clusterHome = "/tmp/tally-test-cluster"

    /// The embedded cluster, started once. A `static let` is initialised exactly once, thread-safely,
    /// so tests running in parallel wait for the first one to start it.
    static let embeddedCluster: Result<EmbeddedCluster, any Error> = {
        let cluster = EmbeddedCluster(home: clusterHome)
        do {
            try cluster.start()
            return .success(cluster)
        } catch {
            return .failure(error)
        }
    }()

    /// The connection string of a database the tests may create databases from.
    static var adminConnectionString: String {
        get throws {
            if let url = ProcessInfo.processInfo.environment["TALLY_TEST_DATABASE_URL"], !url.isEmpty { return url }
            return try embeddedCluster.get().connectionString
        }
    }

    /// `base` pointed at the database `name`, whether `base` is a URL or a keyword/value string.
    static func connectionString(_ base: String, database name: String) throws -> String {
        guard base.hasPrefix("postgres://") || base.hasPrefix("postgresql://") else {
            return base + " dbname=\(name)"  // a later keyword wins in libpq
        }
        guard var components = URLComponents(string: base) else {
            throw TestSetupError("TALLY_TEST_DATABASE_URL is not a valid URL")
        }
        components.path = "/" + name
        guard let url = components.string else { throw TestSetupError("cannot point TALLY_TEST_DATABASE_URL at \(name)") }
        return url
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The repository the tests belong to, for `samples/` and `pipelines/`.
enum Repository {
    /// Tests/TallyKitTests/Support/TestDatabase.swift → the repository root.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

/// One line of `<out>/rejects/<export>.rejects.ndjson` (SPEC §3), decoded with Foundation's JSON decoder.
struct RejectLine: Decodable, Equatable {
    let source: String
    let line: Int
    let reason: String
    let message: String
    let raw: String
}

/// A fresh, migrated database of its own for one test, with scratch directories for inputs and outputs.
///
/// The database is dropped when the value goes away, as a courtesy; nothing relies on it.
final class TestDatabase {
    /// The instant catalogs are applied at (subscriptions without `subscription_at` start then).
    static let catalogAppliedAt = UTCInstant(year: 2026, month: 9, day: 1)!

    let name: String
    let connection: PostgresConnection
    /// `--out`: where the rejects files are written.
    let outDirectory: String
    /// Where the test writes its export and catalog files.
    let workDirectory: String
    private let scratchDirectory: String
    private let adminConnectionString: String

    init() throws {
        adminConnectionString = try TestServer.adminConnectionString
        name = "t_" + (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let admin = try PostgresConnection(connectionString: adminConnectionString)
        try admin.execute("CREATE DATABASE \"\(name)\"")
        connection = try PostgresConnection(connectionString: TestServer.connectionString(adminConnectionString, database: name))
        try Schema.migrate(connection)
        scratchDirectory = "/tmp/tally-tests/\(name)"
        outDirectory = scratchDirectory + "/out"
        workDirectory = scratchDirectory + "/work"
        for directory in [outDirectory, workDirectory] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
    }

    deinit {
        if let admin = try? PostgresConnection(connectionString: adminConnectionString) {
            _ = try? admin.execute("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)")
        }
        try? FileManager.default.removeItem(atPath: scratchDirectory)
    }

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
        try CatalogStage.apply(file: path, to: connection, now: Self.catalogAppliedAt)
    }

    func ingest(_ paths: [String]) throws -> IngestSummary {
        try IngestStage(connection: connection, outDirectory: outDirectory).ingest(paths)
    }

    /// Ingests one file and returns its summary.
    func ingest(_ path: String) throws -> IngestFileSummary {
        let summary = try ingest([path])
        return try #require(summary.files.first)
    }

    // MARK: Reading back

    func scalar(_ sql: String, _ parameters: [String?] = []) throws -> String? {
        try connection.execute(sql, parameters).scalar
    }

    func count(_ table: String) throws -> Int {
        let text = try scalar("SELECT count(*) FROM \(table)")
        return try #require(text.flatMap { Int($0) })
    }

    func rows(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        try connection.execute(sql, parameters).rows
    }

    /// `<out>/rejects/<export file name>.rejects.ndjson`.
    func rejectsPath(for exportPath: String) -> String {
        "\(outDirectory)/rejects/\((exportPath as NSString).lastPathComponent).rejects.ndjson"
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
