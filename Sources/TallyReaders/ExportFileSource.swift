import CZlib
import Glibc

/// Reads an export file's bytes, inflating them when the file is gzip-compressed (recognised by
/// its magic bytes, whatever its name).
///
/// A gzip file must end exactly where its last member ends: a file cut short (a transfer
/// interrupted at any point, a line boundary included), corrupt data, or anything after the last
/// member other than another member is an error, so that a damaged export stores nothing rather
/// than part of its events. Only regular files are read: a FIFO or a device could not be read twice
/// (`tally run` reads an export once for its checksum, then for its events).
final class ExportFileSource {
    let path: String
    /// The file's size on disk.
    let fileBytes: Int
    /// Bytes taken from the file so far (compressed bytes for a gzip file).
    private(set) var bytesRead = 0

    private let descriptor: Int32
    /// The read buffer, `chunkBytes` long; unconsumed input is `input[start..<end]`.
    private let input: UnsafeMutablePointer<UInt8>
    private var start = 0
    private var end = 0
    private var inputEnded = false
    /// The inflate state of a gzip file; nil for a plain one.
    private var stream: UnsafeMutablePointer<z_stream>?
    private var memberEnded = false

    private static let chunkBytes = 1 << 20

    init(path: String) throws(ExportReadError) {
        self.path = path
        let (descriptor, size) = try Self.openRegularFile(path)
        self.descriptor = descriptor
        fileBytes = size
        input = .allocate(capacity: Self.chunkBytes)
        try fill(atLeast: 2)
        guard end - start >= 2, input[start] == 0x1F, input[start + 1] == 0x8B else { return }
        let gzip = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        gzip.initialize(to: z_stream())
        // windowBits 15 + 16: a gzip wrapper, not zlib's.
        guard inflateInit2_(gzip, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            gzip.deallocate()
            throw ExportReadError(file: path, line: nil, message: "cannot start inflating: zlib is out of memory")
        }
        stream = gzip
    }

    deinit {
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
        }
        input.deallocate()
        close(descriptor)
    }

    /// Fills `buffer` from the start; returns the number of bytes read, 0 at the end of the content.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ExportReadError) -> Int {
        guard let output = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count > 0 else { return 0 }
        guard let stream else {
            if start == end { try fill(atLeast: 1) }
            let count = min(end - start, buffer.count)
            output.update(from: input + start, count: count)
            start += count
            return count
        }
        while true {
            if memberEnded {
                try fill(atLeast: 2)
                if start == end { return 0 }
                guard end - start >= 2, input[start] == 0x1F, input[start + 1] == 0x8B else {
                    throw failure("has data after the end of its gzip stream: it is damaged or not one gzip file")
                }
                inflateReset(stream)
                memberEnded = false
            }
            if start == end { try fill(atLeast: 1) }
            stream.pointee.next_in = input + start
            stream.pointee.avail_in = UInt32(end - start)
            stream.pointee.next_out = output
            stream.pointee.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
            let status = inflate(stream, Z_NO_FLUSH)
            start = end - Int(stream.pointee.avail_in)
            let produced = buffer.count - Int(stream.pointee.avail_out)
            switch status {
            case Z_STREAM_END:
                memberEnded = true
            case Z_OK, Z_BUF_ERROR:
                if produced == 0, start == end, inputEnded {
                    throw failure("ends in the middle of its gzip stream: the file was cut short (an interrupted transfer?)")
                }
            default:
                let detail = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                throw failure("is not valid gzip data (\(detail))")
            }
            if produced > 0 { return produced }
        }
    }

    /// Reads more of the file until at least `count` unconsumed bytes are buffered or it ends.
    private func fill(atLeast count: Int) throws(ExportReadError) {
        if start > 0, start == end {
            start = 0
            end = 0
        }
        while end - start < count, !inputEnded {
            if end == Self.chunkBytes {
                let pending = end - start
                input.update(from: input + start, count: pending)
                start = 0
                end = pending
            }
            let received = Glibc.read(descriptor, input + end, Self.chunkBytes - end)
            if received < 0 {
                if errno == EINTR { continue }
                throw failure("cannot be read: \(String(cString: strerror(errno)))")
            }
            if received == 0 { inputEnded = true }
            end += received
            bytesRead += received
        }
    }

    /// Opens `path` for reading, refusing anything but a regular file; returns the descriptor
    /// (blocking) and the file's size.
    static func openRegularFile(_ path: String) throws(ExportReadError) -> (descriptor: Int32, size: Int) {
        // O_NONBLOCK: opening a FIFO would otherwise wait for a writer.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ExportReadError(file: path, line: nil, message: errno == ENOENT ? "no such file" : "cannot open: \(String(cString: strerror(errno)))")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let message = String(cString: strerror(errno))
            close(descriptor)
            throw ExportReadError(file: path, line: nil, message: "cannot read its attributes: \(message)")
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG:
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
            return (descriptor, Int(status.st_size))
        case S_IFDIR:
            close(descriptor)
            throw ExportReadError(file: path, line: nil, message: "is a directory")
        default:
            close(descriptor)
            throw ExportReadError(file: path, line: nil, message: "is not a regular file (a FIFO, socket or device cannot be read twice): copy the export to a file first")
        }
    }

    private func failure(_ message: String) -> ExportReadError {
        ExportReadError(file: path, line: nil, message: message)
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
