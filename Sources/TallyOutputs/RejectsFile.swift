import Foundation
import TallyCore

/// The rejects of one ingest of an export: `<out>/rejects/<export file name>.<ingest id>.rejects.ndjson`,
/// one JSON line per rejected event.
///
/// The ingest id makes the name unique to this ingest, so two exports of one name (from two
/// folders, or fed twice) never overwrite each other. The file is written beside its final name,
/// made durable (`prepare`) before the ingest's transaction commits, and moved into place
/// (`commit`) after: a crash leaves a complete temporary file whose ingest either committed (then
/// `recover` moves it into place) or did not (then `recover` removes it).
public final class RejectsFile {
    public let finalPath: String
    private let temporaryPath: String
    private let source: String
    private var handle: UnsafeMutablePointer<FILE>?
    /// Set once the ingest committed: from then on the temporary file is never removed, only moved.
    private var committed = false
    public private(set) var count = 0

    /// The rejects of the ingest `ingestId` of `exportPath`.
    public init(outDirectory: String, exportPath: String, ingestId: Int64) {
        let directory = Self.directory(in: outDirectory)
        let name = (exportPath as NSString).lastPathComponent + ".\(ingestId)" + Self.suffix
        finalPath = (directory as NSString).appendingPathComponent(name)
        temporaryPath = (directory as NSString).appendingPathComponent("." + name + ".tmp")
        source = exportPath
    }

    deinit { discard() }

    /// Records one rejected event: `raw` is the record's bytes exactly as in the export; bytes that
    /// are not UTF-8 are kept in `raw_base64` instead. `truncated`: `raw` is only the start of a
    /// record too long to keep (`raw_truncated`).
    public func write(line: Int, reason: RejectReason, message: String, raw: UnsafeBufferPointer<UInt8>, truncated: Bool = false) throws {
        var record = JSONObject([
            ("source", .string(source)), ("line", .number(String(line))), ("reason", .string(reason.rawValue)),
            ("message", .string(message)),
        ])
        if let text = String(validating: raw, as: UTF8.self) {
            record["raw"] = .string(text)
        } else {
            record["raw_base64"] = .string(Data(raw).base64EncodedString())
        }
        if truncated { record["raw_truncated"] = true }
        try append(JSONValue.object(record).serialized + "\n")
    }

    /// Records one rejected event whose raw text is already a string.
    public func write(line: Int, reason: RejectReason, message: String, raw: String) throws {
        var raw = raw
        try raw.withUTF8 { try write(line: line, reason: reason, message: message, raw: $0) }
    }

    private func append(_ text: String) throws {
        if handle == nil {
            do {
                try OutputFolder.create((finalPath as NSString).deletingLastPathComponent)
            } catch {
                throw RejectsFileError(path: error.path, message: error.message)
            }
            guard let opened = fopen(temporaryPath, "w") else { throw RejectsFileError(path: temporaryPath, message: Self.reason()) }
            handle = opened
        }
        guard fputs(text, handle) >= 0 else { throw RejectsFileError(path: temporaryPath, message: Self.reason()) }
        count += 1
    }

    /// Makes the rejects written so far durable, before the ingest commits: a full or read-only
    /// output folder then fails the ingest, which stores nothing.
    public func prepare() throws {
        guard let handle else { return }
        guard fflush(handle) == 0, fsync(fileno(handle)) == 0 else {
            throw RejectsFileError(path: temporaryPath, message: Self.reason())
        }
    }

    /// Moves the rejects into place once the ingest committed. Nothing to do when it had none.
    public func commit() throws {
        committed = true
        guard let handle else { return }
        self.handle = nil
        guard fclose(handle) == 0 else { throw RejectsFileError(path: temporaryPath, message: Self.reason()) }
        try Self.moveIntoPlace(temporaryPath, finalPath)
    }

    /// Forgets every reject written so far, to read the export again.
    public func reset() {
        discard()
        count = 0
    }

    /// Closes and removes the temporary file (an ingest that did not commit).
    public func discard() {
        guard !committed else { return }
        if let handle { fclose(handle) }
        handle = nil
        unlink(temporaryPath)
    }

    /// Finishes what a crash left in `<out>/rejects`: a temporary rejects file whose ingest
    /// committed (`isCommitted` says, by ingest id) is moved into place, any other removed. Runs
    /// hold the store's run lock, so no temporary file here belongs to a live ingest. Returns the
    /// paths it moved into place.
    @discardableResult
    public static func recover(outDirectory: String, isCommitted: (Int64) throws -> Bool) throws -> [String] {
        let directory = Self.directory(in: outDirectory)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var recovered: [String] = []
        for name in names.sorted() where name.hasPrefix(".") && name.hasSuffix(Self.suffix + ".tmp") {
            let final = String(name.dropFirst().dropLast(".tmp".count))
            let temporary = (directory as NSString).appendingPathComponent(name)
            let finalPath = (directory as NSString).appendingPathComponent(final)
            let id = final.dropLast(Self.suffix.count).split(separator: ".").last.flatMap { Int64($0) }
            if let id, try isCommitted(id) {
                try moveIntoPlace(temporary, finalPath)
                recovered.append(finalPath)
            } else {
                unlink(temporary)
            }
        }
        return recovered
    }

    private static let suffix = ".rejects.ndjson"

    private static func directory(in outDirectory: String) -> String {
        (outDirectory as NSString).appendingPathComponent("rejects")
    }

    /// Renames `temporary` to `final` and makes the rename durable.
    private static func moveIntoPlace(_ temporary: String, _ final: String) throws {
        guard rename(temporary, final) == 0 else { throw RejectsFileError(path: final, message: reason()) }
        let folder = open((final as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY)
        if folder >= 0 {
            _ = fsync(folder)
            close(folder)
        }
    }

    private static func reason() -> String { String(cString: strerror(errno)) }
}

public struct RejectsFileError: Error, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "cannot write rejects file \(path): \(message)" }
}
