import Foundation
import TallyCore

/// An export's content checksum: `tally run` recognises a file it ingested before, under any name, by it.
public enum ExportChecksum {
    /// The SHA-256 of the file's bytes as they are on disk, in hex.
    public static func sha256(of path: String) throws(ExportReadError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ExportReadError(file: path, line: nil, message: "cannot open")
        }
        defer { try? handle.close() }
        var hash = SHA256()
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                chunk.withUnsafeBytes { hash.update($0) }
            }
        } catch {
            throw ExportReadError(file: path, line: nil, message: "cannot read: \(error.localizedDescription)")
        }
        return hash.hexDigest()
    }
}
