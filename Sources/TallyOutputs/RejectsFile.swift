import Foundation
import TallyCore

/// `<out>/rejects/<export file name>.rejects.ndjson`, written beside the final name and moved into
/// place only after the ingest transaction commits, so a failed ingest leaves no rejects behind.
public final class RejectsFile {
    public let finalPath: String
    private let temporaryPath: String
    private let source: String
    private var handle: UnsafeMutablePointer<FILE>?
    public private(set) var count = 0

    public init(outDirectory: String, exportPath: String) throws {
        let directory = (outDirectory as NSString).appendingPathComponent("rejects")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let name = (exportPath as NSString).lastPathComponent
        finalPath = (directory as NSString).appendingPathComponent(name + ".rejects.ndjson")
        temporaryPath = (directory as NSString).appendingPathComponent(".\(name).rejects.ndjson.\(getpid()).tmp")
        source = exportPath
    }

    deinit { discard() }

    public func write(line: Int, reason: RejectReason, message: String, raw: String) throws {
        if handle == nil {
            guard let opened = fopen(temporaryPath, "w") else {
                throw RejectsFileError(path: temporaryPath, message: String(cString: strerror(errno)))
            }
            handle = opened
        }
        let record: JSONValue = [
            "source": .string(source), "line": .number(String(line)), "reason": .string(reason.rawValue),
            "message": .string(message), "raw": .string(raw),
        ]
        let text = record.serialized + "\n"
        guard fputs(text, handle) >= 0 else { throw RejectsFileError(path: temporaryPath, message: String(cString: strerror(errno))) }
        count += 1
    }

    /// Moves the rejects into place (durably), or removes a stale file when this ingest had none.
    public func commit() throws {
        guard let handle else {
            try? FileManager.default.removeItem(atPath: finalPath)
            return
        }
        self.handle = nil
        guard fflush(handle) == 0, fsync(fileno(handle)) == 0, fclose(handle) == 0 else {
            throw RejectsFileError(path: temporaryPath, message: String(cString: strerror(errno)))
        }
        guard rename(temporaryPath, finalPath) == 0 else {
            throw RejectsFileError(path: finalPath, message: String(cString: strerror(errno)))
        }
    }

    /// Forgets every reject written so far, to read the export again.
    public func reset() {
        discard()
        count = 0
    }

    public func discard() {
        if let handle { fclose(handle) }
        handle = nil
        unlink(temporaryPath)
    }
}

public struct RejectsFileError: Error, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "cannot write rejects file \(path): \(message)" }
}
