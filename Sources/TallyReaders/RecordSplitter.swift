/// One record of an export as it appears in the file: its bytes without the line terminator,
/// and the number of the physical line it starts on (1-based).
struct PhysicalRecord {
    let bytes: UnsafeBufferPointer<UInt8>
    let line: Int
}

/// Cuts a byte stream into records, in constant memory: one line each for NDJSON; for CSV one
/// line unless a quoted field holds a line break (RFC 4180), which the splitter follows so that
/// every record reaches libcsv whole and keeps its raw bytes for the rejects file.
///
/// A UTF-8 byte order mark at the start is skipped, a `\r` before the `\n` is dropped, and blank
/// lines are not records.
struct RecordSplitter {
    /// Records longer than this stop the file: usually an unterminated quote swallowing the rest.
    static let maximumRecordBytes = 1 << 20
    private static let chunkBytes = 1 << 20

    let followsCSVQuotes: Bool

    func forEachRecord(
        in source: ExportFileSource, _ body: (PhysicalRecord) throws -> Void
    ) throws {
        let capacity = Self.chunkBytes + Self.maximumRecordBytes
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }

        var filled = 0           // valid bytes in buffer
        var recordStart = 0      // first byte of the record being scanned
        var scan = 0             // next byte to examine
        var nextLine = 1         // physical line number at `scan`
        var recordLine = 1
        var state = CSVState.fieldStart
        var atFileStart = true

        func emit(_ end: Int) throws {
            var last = end
            if last > recordStart, buffer[last - 1] == 0x0D { last -= 1 }
            if last > recordStart {
                try body(PhysicalRecord(bytes: UnsafeBufferPointer(rebasing: buffer[recordStart..<last]), line: recordLine))
            }
        }

        while true {
            if recordStart > 0 {
                let carried = filled - recordStart
                if carried > 0 {
                    UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(
                        from: buffer.baseAddress! + recordStart, byteCount: carried)
                }
                scan -= recordStart
                filled = carried
                recordStart = 0
            }
            if filled - recordStart > Self.maximumRecordBytes {
                throw ExportReadError(
                    file: source.path, line: recordLine,
                    message: followsCSVQuotes
                        ? "a record runs past \(Self.maximumRecordBytes) bytes: is a quote left open here?"
                        : "a line is longer than \(Self.maximumRecordBytes) bytes")
            }
            let room = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[filled..<min(capacity, filled + Self.chunkBytes)])
            let count = try source.read(into: room)
            if count == 0 { break }
            filled += count
            if atFileStart, filled >= 3 {
                atFileStart = false
                if buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF {
                    recordStart = 3
                    scan = 3
                }
            }
            while scan < filled {
                let byte = buffer[scan]
                scan += 1
                if byte == 0x0A { nextLine += 1 }
                guard followsCSVQuotes else {
                    if byte == 0x0A {
                        try emit(scan - 1)
                        recordStart = scan
                        recordLine = nextLine
                    }
                    continue
                }
                switch (state, byte) {
                case (.quoted, UInt8(ascii: "\"")): state = .quoteInQuoted
                case (.quoted, _): break
                case (.quoteInQuoted, UInt8(ascii: "\"")): state = .quoted
                case (_, UInt8(ascii: ",")): state = .fieldStart
                case (_, 0x0A):
                    try emit(scan - 1)
                    recordStart = scan
                    recordLine = nextLine
                    state = .fieldStart
                case (.fieldStart, UInt8(ascii: "\"")): state = .quoted
                default: state = .unquoted
                }
            }
        }
        try emit(filled)
    }

    private enum CSVState { case fieldStart, unquoted, quoted, quoteInQuoted }
}
