import Glibc
import TallyCore
import TallyPostgres

/// A run of `events` rows encoded for COPY's binary format, sent in key order (subscription, then
/// transaction id bytes): the unique index is then filled page by page instead of at random,
/// which costs PostgreSQL a third less here. Bounded in rows and bytes, so memory does not grow
/// with the export.
public struct KeyOrderedEventRows: Sendable {
    /// At most this many bytes of rows (events with large properties make runs shorter).
    static let maximumBytes = 32 << 20

    /// Two rows of one run share a key: the export holds a duplicate.
    public struct DuplicateKey: Error {}

    public var isEmpty: Bool { entries.isEmpty }

    private struct Entry: Sendable {
        let subscriptionId: Int64
        /// The transaction id's first 8 bytes, big-endian, zero-padded: most comparisons end here.
        let prefix: UInt64
        let keyStart: Int
        let keyCount: Int
        let rowStart: Int
        let rowCount: Int
    }

    private let rowLimit: Int
    private var rows = BinaryCopyRows()
    private var entries: [Entry] = []

    /// A run of at most `rowLimit` rows.
    public init(rowLimit: Int) { self.rowLimit = rowLimit }

    public var isFull: Bool { entries.count >= rowLimit || rows.bytes.count >= Self.maximumBytes }

    /// Adds `event`, from line `line` of the export of ingest `ingestId`, in the columns of `EventStore.eventColumns`.
    public mutating func append(_ event: ValidatedEvent, line: Int, ingestId: Int64) {
        let rowStart = rows.bytes.count
        rows.beginRow(columns: 8)
        rows.appendBigint(event.subscriptionId)
        var transactionId = event.transactionId
        var prefix: UInt64 = 0
        let keyStart = rows.bytes.count + 4
        let keyCount = transactionId.withUTF8 { key in
            for index in 0..<8 { prefix = prefix << 8 | UInt64(index < key.count ? key[index] : 0) }
            rows.appendText(bytes: key)
            return key.count
        }
        rows.appendText(event.code)
        rows.appendTimestamp(microsecondsSinceUnixEpoch: event.timestamp.microsecondsSinceEpoch)
        rows.appendJSONB(event.sentProperties)
        rows.appendNumeric(event.units)
        rows.appendBigint(ingestId)
        rows.appendBigint(Int64(line))
        entries.append(Entry(subscriptionId: event.subscriptionId, prefix: prefix, keyStart: keyStart, keyCount: keyCount,
                             rowStart: rowStart, rowCount: rows.bytes.count - rowStart))
    }

    /// Puts the rows in key order; throws `DuplicateKey` when two rows share a key.
    public mutating func sortByKey() throws {
        try rows.bytes.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return }
            func order(_ a: Entry, _ b: Entry) -> Int32 {
                if a.subscriptionId != b.subscriptionId { return a.subscriptionId < b.subscriptionId ? -1 : 1 }
                if a.prefix != b.prefix { return a.prefix < b.prefix ? -1 : 1 }
                let common = memcmp(base + a.keyStart, base + b.keyStart, min(a.keyCount, b.keyCount))
                if common != 0 { return common }
                return a.keyCount == b.keyCount ? 0 : (a.keyCount < b.keyCount ? -1 : 1)
            }
            entries.sort { order($0, $1) < 0 }
            for index in entries.indices.dropFirst() where order(entries[index - 1], entries[index]) == 0 {
                throw DuplicateKey()
            }
        }
    }

    /// Up to `limit` keys, spread over the run.
    public func sampleKeys(limit: Int) -> [(subscriptionId: Int64, transactionId: String)] {
        guard !entries.isEmpty else { return [] }
        let step = max(1, entries.count / limit)
        return stride(from: 0, to: entries.count, by: step).prefix(limit).map { index in
            let entry = entries[index]
            return (entry.subscriptionId, String(decoding: rows.bytes[entry.keyStart..<entry.keyStart + entry.keyCount], as: UTF8.self))
        }
    }

    /// Writes the rows to `copy`, in the order they are in.
    func write(into copy: inout CopyInWriter) throws {
        try rows.bytes.withUnsafeBufferPointer { bytes in
            for entry in entries {
                try copy.appendRows(UnsafeBufferPointer(rebasing: bytes[entry.rowStart..<entry.rowStart + entry.rowCount]))
            }
        }
    }
}
