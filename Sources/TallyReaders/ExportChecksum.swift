import Glibc
import TallyCore

/// An export's content checksum: `tally run` recognises a file it ingested before, under any name, by it.
public enum ExportChecksum {
    /// The SHA-256 of the file's bytes as they are on disk, in hex. Only a regular file is read.
    public static func sha256(of path: String) throws(ExportReadError) -> String {
        let (descriptor, _) = try ExportFileSource.openRegularFile(path)
        defer { close(descriptor) }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 1)
        defer { chunk.deallocate() }
        var hash = SHA256()
        while true {
            let received = read(descriptor, chunk.baseAddress, chunk.count)
            if received < 0 {
                if errno == EINTR { continue }
                throw ExportReadError(file: path, line: nil, message: "cannot be read: \(String(cString: strerror(errno)))")
            }
            if received == 0 { return hash.hexDigest() }
            hash.update(UnsafeRawBufferPointer(rebasing: chunk[0..<received]))
        }
    }
}
