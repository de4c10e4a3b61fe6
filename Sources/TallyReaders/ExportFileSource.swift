import CZlib
import Foundation

/// Reads an export file's bytes, inflating it first when it is gzip-compressed.
///
/// zlib's `gzread` passes plain files through unchanged, so one reader serves `.csv`, `.ndjson`
/// and their `.gz` forms alike.
final class ExportFileSource {
    let path: String
    let fileBytes: Int
    private let file: gzFile

    init(path: String) throws(ExportReadError) {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ExportReadError(file: path, line: nil, message: "no such file")
        }
        guard !isDirectory.boolValue else { throw ExportReadError(file: path, line: nil, message: "is a directory") }
        fileBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard let file = gzopen(path, "rb") else {
            throw ExportReadError(file: path, line: nil, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        gzbuffer(file, 1 << 20)
        self.file = file
    }

    deinit { gzclose(file) }

    /// Bytes consumed from the file on disk (compressed bytes for a gzip file).
    var bytesRead: Int { Int(gzoffset(file)) }

    /// Fills `buffer` from the start; returns the number of bytes read, 0 at end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ExportReadError) -> Int {
        let count = gzread(file, buffer.baseAddress, UInt32(min(buffer.count, Int(Int32.max))))
        guard count >= 0 else {
            var code: Int32 = 0
            let message = gzerror(file, &code).map { String(cString: $0) } ?? "read error"
            throw ExportReadError(file: path, line: nil, message: "cannot read: \(message)")
        }
        return Int(count)
    }
}

/// A problem that stops a whole export file from being read (as opposed to one rejected event).
public struct ExportReadError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let line: Int?
    public let message: String

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}
