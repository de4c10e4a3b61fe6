/// One record of an export as it appears in the file: its bytes without the line terminator,
/// and the number of the physical line it starts on (1-based).
struct PhysicalRecord {
    /// Why the record cannot be an event, whatever it holds.
    enum Problem {
        /// Longer than `RecordSplitter.maximumRecordBytes`: `bytes` are its first bytes only.
        case tooLong
        /// A CSV line whose quote is never closed: `bytes` are that line alone.
        case unclosedQuote
    }

    let bytes: UnsafeBufferPointer<UInt8>
    let line: Int
    var problem: Problem? = nil
}

/// Cuts a byte stream into records, in constant memory: one line each for NDJSON; for CSV one
/// line unless a quoted field holds a line break (RFC 4180), which the splitter follows so that
/// every record reaches libcsv whole and keeps its raw bytes for the rejects file.
///
/// A bad record costs only itself: a record longer than `maximumRecordBytes` is cut there and
/// flagged, and the rest of its line skipped; a CSV quote left open until the end of the file or
/// for more than `maximumRecordBytes` flags only the line it opened on, and reading resumes on
/// the next line.
///
/// A UTF-8 byte order mark at the start is skipped, a `\r` before the `\n` is dropped, and blank
/// lines are not records.
struct RecordSplitter {
    /// The longest record read whole (1 MiB).
    static let maximumRecordBytes = 1 << 20
    private static let chunkBytes = 1 << 20

    let followsCSVQuotes: Bool

    /// Calls `body` with every record of `source`, in order. `body` returns false to refuse a
    /// CSV record that spans lines (a quote left open that a later line's quote closed): the
    /// record's first line is then handed over alone, flagged `unclosedQuote`, and reading resumes
    /// on the next line.
    func forEachRecord(in source: ExportFileSource, _ body: (PhysicalRecord) throws -> Bool) throws {
        let capacity = Self.chunkBytes + Self.maximumRecordBytes + 1
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var cursor = Cursor()

        /// Hands `buffer[start..<end]` (less a `\r` before the line break) to `body`.
        func emit(_ start: Int, _ end: Int, _ line: Int, _ problem: PhysicalRecord.Problem?) throws -> Bool {
            var last = end
            if last > start, buffer[last - 1] == 0x0D { last -= 1 }
            guard last > start else { return true }
            return try body(PhysicalRecord(bytes: UnsafeBufferPointer(rebasing: buffer[start..<last]), line: line, problem: problem))
        }

        /// A quote left open: flags the record's first line alone and resumes after it. False when
        /// the record has no line break to cut at.
        func cutAtFirstLine(before end: Int) throws -> Bool {
            guard let newline = buffer[cursor.recordStart..<end].firstIndex(of: 0x0A) else { return false }
            _ = try emit(cursor.recordStart, newline, cursor.recordLine, .unclosedQuote)
            cursor.restart(at: newline + 1, line: cursor.recordLine + 1)
            return true
        }

        func read() throws -> Bool {
            let room = UnsafeMutableRawBufferPointer(
                rebasing: UnsafeMutableRawBufferPointer(buffer)[cursor.filled..<min(capacity, cursor.filled + Self.chunkBytes)])
            let count = try source.read(into: room)
            cursor.filled += count
            return count > 0
        }

        var ended = try !read()
        if cursor.filled >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF {
            cursor.restart(at: 3, line: 1)
        }
        while true {
            // A record its reader refused is cut at its first line, and what follows read again.
            while let refused = try scan(buffer, &cursor, emit) {
                // A record without a line break to cut at is taken as handed over.
                if try !cutAtFirstLine(before: refused) { cursor.restart(at: refused + 1, line: cursor.nextLine) }
            }
            if ended {
                if cursor.skipping || cursor.recordStart == cursor.filled { return }
                if followsCSVQuotes, cursor.state == .quoted, try cutAtFirstLine(before: cursor.filled) { continue }
                if try !emit(cursor.recordStart, cursor.filled, cursor.recordLine, nil), try cutAtFirstLine(before: cursor.filled) {
                    continue
                }
                return
            }
            cursor.compact(buffer)
            if !cursor.skipping, cursor.filled - cursor.recordStart > Self.maximumRecordBytes {
                if followsCSVQuotes, cursor.state == .quoted, try cutAtFirstLine(before: cursor.filled) { continue }
                _ = try emit(cursor.recordStart, cursor.recordStart + Self.maximumRecordBytes, cursor.recordLine, .tooLong)
                cursor.skipRestOfLine()
                continue
            }
            ended = try !read()
        }
    }

    /// Where the splitter is in its buffer.
    private struct Cursor {
        /// Valid bytes in the buffer.
        var filled = 0
        /// First byte of the record being scanned.
        var recordStart = 0
        /// Next byte to examine.
        var scan = 0
        /// Physical line number at `scan`, and the line the record starts on.
        var nextLine = 1
        var recordLine = 1
        var state = CSVState.fieldStart
        /// Discarding the rest of a line too long to keep.
        var skipping = false

        /// Moves the record being scanned to the start of the buffer.
        mutating func compact(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
            guard recordStart > 0, let base = buffer.baseAddress else { return }
            let carried = filled - recordStart
            if carried > 0 { UnsafeMutableRawPointer(base).copyMemory(from: base + recordStart, byteCount: carried) }
            scan -= recordStart
            filled = carried
            recordStart = 0
        }

        /// Starts a record afresh at `position`, on physical line `line`.
        mutating func restart(at position: Int, line: Int) {
            recordStart = position
            scan = position
            recordLine = line
            nextLine = line
            state = .fieldStart
        }

        /// Drops what is buffered of the current line and skips to its end.
        mutating func skipRestOfLine() {
            skipping = true
            recordStart = filled
            scan = filled
        }
    }

    /// Scans what is buffered, handing over each record that ends in it; stops at a record its
    /// reader refused and returns where that record ends (nil once everything is scanned).
    private func scan(
        _ buffer: UnsafeMutableBufferPointer<UInt8>, _ cursor: inout Cursor,
        _ emit: (_ start: Int, _ end: Int, _ line: Int, _ problem: PhysicalRecord.Problem?) throws -> Bool
    ) throws -> Int? {
        while cursor.scan < cursor.filled {
            let byte = buffer[cursor.scan]
            cursor.scan += 1
            if byte == 0x0A { cursor.nextLine += 1 }
            if cursor.skipping {
                cursor.recordStart = cursor.scan
                if byte == 0x0A {
                    cursor.skipping = false
                    cursor.recordLine = cursor.nextLine
                    cursor.state = .fieldStart
                }
                continue
            }
            guard followsCSVQuotes else {
                if byte == 0x0A {
                    _ = try emit(cursor.recordStart, cursor.scan - 1, cursor.recordLine, nil)
                    cursor.recordStart = cursor.scan
                    cursor.recordLine = cursor.nextLine
                }
                continue
            }
            switch (cursor.state, byte) {
            case (.quoted, UInt8(ascii: "\"")): cursor.state = .quoteInQuoted
            case (.quoted, _): break
            case (.quoteInQuoted, UInt8(ascii: "\"")): cursor.state = .quoted
            case (_, UInt8(ascii: ",")): cursor.state = .fieldStart
            case (_, 0x0A):
                guard try emit(cursor.recordStart, cursor.scan - 1, cursor.recordLine, nil) else { return cursor.scan - 1 }
                cursor.recordStart = cursor.scan
                cursor.recordLine = cursor.nextLine
                cursor.state = .fieldStart
            case (.fieldStart, UInt8(ascii: "\"")): cursor.state = .quoted
            default: cursor.state = .unquoted
            }
        }
        return nil
    }

    fileprivate enum CSVState { case fieldStart, unquoted, quoted, quoteInQuoted }
}
