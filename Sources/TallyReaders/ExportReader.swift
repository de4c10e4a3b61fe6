import TallyCore

/// The two export formats, recognised by file name (`.gz` is looked through).
public enum ExportFormat: String, Sendable {
    case csv
    case ndjson

    public init(path: String) throws(ExportReadError) {
        var name = Substring(path.split(separator: "/").last ?? "").lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        if name.hasSuffix(".csv") {
            self = .csv
        } else if name.hasSuffix(".ndjson") || name.hasSuffix(".jsonl") {
            self = .ndjson
        } else {
            throw ExportReadError(file: path, line: nil, message: "unknown export format: name it .csv, .ndjson or .jsonl (optionally .gz)")
        }
    }
}

/// One event as read from an export: where it is, its raw text, and its decoded content (or why
/// it could not be decoded). Valid only during the call it is passed to: its bytes are the reader's.
public struct ExportRecord {
    public let line: Int
    private let bytes: UnsafeBufferPointer<UInt8>
    public let content: Result<JSONValue, EventRejection>
    /// The record is longer than Tally reads whole: `raw` and `rawBytes` are its first bytes only.
    public let isTruncated: Bool

    init(_ record: PhysicalRecord, content: Result<JSONValue, EventRejection>) {
        self.line = record.line
        self.bytes = record.bytes
        self.isTruncated = record.problem == .tooLong
        self.content = content
    }

    /// The record exactly as in the file, without its line terminator (made on demand: most
    /// records never need it). Bytes that are not UTF-8 are replaced; `rawBytes` has them all.
    public var raw: String { String(decoding: bytes, as: UTF8.self) }

    /// The record's bytes exactly as in the file, without its line terminator; valid only during
    /// the call the record is passed to.
    public var rawBytes: UnsafeBufferPointer<UInt8> { bytes }
}

/// Streams the events of one export file, in file order, in constant memory.
public struct ExportReader {
    public let path: String
    public let format: ExportFormat

    private let source: ExportFileSource

    public init(path: String) throws(ExportReadError) {
        self.path = path
        self.format = try ExportFormat(path: path)
        self.source = try ExportFileSource(path: path)
    }

    /// The file's size on disk (compressed size for `.gz`), for progress reports.
    public var fileBytes: Int { source.fileBytes }

    /// How far into the file (on disk, compressed for `.gz`) reading has got.
    public var bytesRead: Int { source.bytesRead }

    /// Calls `body` with every record, in file order. Reads the file once: call it once.
    public func forEachRecord(_ body: (ExportRecord) throws -> Void) throws {
        switch format {
        case .ndjson:
            try RecordSplitter(followsCSVQuotes: false).forEachRecord(in: source) { record in
                let content = record.problem.map { .failure(Self.rejection($0)) } ?? Self.decodeJSONLine(record.bytes)
                try body(ExportRecord(record, content: content))
                return true
            }
        case .csv:
            let parser = CSVFieldParser()
            var header: CSVHeader?
            try RecordSplitter(followsCSVQuotes: true).forEachRecord(in: source) { record in
                guard let columns = header else {
                    if let problem = record.problem {
                        throw ExportReadError(file: path, line: record.line, message: "header: \(Self.rejection(problem).message)")
                    }
                    header = try CSVHeader(record: record, parser: parser, file: path)
                    return true
                }
                if let problem = record.problem {
                    try body(ExportRecord(record, content: .failure(Self.rejection(problem))))
                    return true
                }
                let (content, isSyntaxError) = columns.decode(record.bytes, parser: parser)
                // Spanning lines and not valid CSV: a quote left open, closed by a later line's quote.
                if isSyntaxError, record.bytes.contains(0x0A) { return false }
                try body(ExportRecord(record, content: content))
                return true
            }
            if header == nil {
                throw ExportReadError(file: path, line: nil, message: "is empty: a CSV export starts with a header row naming its columns")
            }
        }
    }

    /// Why a record the splitter flagged is rejected.
    static func rejection(_ problem: PhysicalRecord.Problem) -> EventRejection {
        switch problem {
        case .tooLong:
            EventRejection(.malformed, "the record is longer than \(RecordSplitter.maximumRecordBytes) bytes, the most Tally reads of one event; the rest of its line was skipped")
        case .unclosedQuote:
            EventRejection(.malformed, "a quote opened on this line is never closed: close it, or double a quote inside a quoted field (\"\")")
        }
    }

    static func decodeJSONLine(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, EventRejection> {
        do {
            return .success(try JSONParser.parse(bytes))
        } catch {
            return .failure(EventRejection(.malformed, error.description))
        }
    }
}

/// A CSV export's header: which column holds which event field or property.
struct CSVHeader {
    private enum Column { case field(String), property(String) }
    private static let eventFields: Set<String> = ["transaction_id", "external_subscription_id", "code", "timestamp"]
    private let columns: [Column]

    init(record: PhysicalRecord, parser: CSVFieldParser, file: String) throws(ExportReadError) {
        let names: [String]
        switch parser.fields(of: record.bytes) {
        case .success(let fields): names = fields
        case .failure(let error): throw ExportReadError(file: file, line: record.line, message: "header: \(error.message)")
        }
        var seen: Set<String> = []
        var columns: [Column] = []
        for (index, name) in names.enumerated() {
            guard !name.isEmpty else {
                throw ExportReadError(file: file, line: record.line, message: "header: column \(index + 1) has no name")
            }
            let key = name.hasPrefix("properties.") ? String(name.dropFirst("properties.".count)) : name
            let isProperty = name.hasPrefix("properties.") || !Self.eventFields.contains(name)
            guard seen.insert(isProperty ? "properties." + key : key).inserted else {
                throw ExportReadError(file: file, line: record.line, message: "header: column \"\(name)\" appears twice")
            }
            columns.append(isProperty ? .property(key) : .field(key))
        }
        let missing = Self.eventFields.filter { !seen.contains($0) }.sorted()
        guard missing.isEmpty else {
            throw ExportReadError(
                file: file, line: record.line,
                message: "header lacks column(s) \(missing.joined(separator: ", ")): a CSV export needs transaction_id, external_subscription_id, code and timestamp")
        }
        self.columns = columns
    }

    /// The record as an event object (an empty cell is an absent property or field), and whether
    /// it failed for not being valid CSV.
    func decode(_ bytes: UnsafeBufferPointer<UInt8>, parser: CSVFieldParser) -> (Result<JSONValue, EventRejection>, isSyntaxError: Bool) {
        if let problem = Self.encodingProblem(bytes) { return (.failure(EventRejection(.malformed, problem)), false) }
        let fields: [String]
        switch parser.fields(of: bytes) {
        case .success(let values): fields = values
        case .failure(let error): return (.failure(EventRejection(.malformed, error.message)), true)
        }
        guard fields.count == columns.count else {
            return (.failure(EventRejection(.malformed, "expected \(columns.count) fields as in the header, found \(fields.count)")), false)
        }
        var event = JSONObject()
        var properties = JSONObject()
        for (column, value) in zip(columns, fields) where !value.isEmpty {
            switch column {
            case .field(let name): event[name] = .string(value)
            case .property(let name): properties[name] = .string(value)
            }
        }
        event["properties"] = .object(properties)
        return (.success(.object(event)), false)
    }

    /// PostgreSQL text cannot hold NUL, and invalid UTF-8 would be silently repaired: refuse both.
    private static func encodingProblem(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var ascii = true
        for byte in bytes {
            if byte == 0 { return "contains a NUL byte" }
            if byte >= 0x80 { ascii = false }
        }
        if !ascii, String(validating: bytes, as: UTF8.self) == nil { return "is not valid UTF-8" }
        return nil
    }
}
