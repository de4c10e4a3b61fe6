import CLibCSV

/// Splits one CSV record into its fields with libcsv in strict mode.
///
/// Spaces around unquoted fields are kept (libcsv trims them by default): RFC 4180 makes them part
/// of the field, and a transaction id or a model name must arrive as it was written.
final class CSVFieldParser {
    private let parser: UnsafeMutablePointer<csv_parser>
    private var fields: [String] = []

    init() {
        parser = .allocate(capacity: 1)
        precondition(csv_init(parser, UInt8(CSV_STRICT | CSV_STRICT_FINI)) == 0, "csv_init failed")
        csv_set_space_func(parser) { _ in 0 }
    }

    deinit {
        csv_free(parser)
        parser.deallocate()
    }

    /// The fields of `record` (a whole record, without its terminator), or why it is malformed.
    func fields(of record: UnsafeBufferPointer<UInt8>) -> Result<[String], CSVSyntaxError> {
        fields.removeAll(keepingCapacity: true)
        let context = Unmanaged.passUnretained(self).toOpaque()
        let parsed = csv_parse(parser, record.baseAddress, record.count, Self.onField, nil, context)
        let failed = parsed < record.count
        let finished = csv_fini(parser, Self.onField, nil, context)
        if failed || finished != 0 || csv_error(parser) != CSV_SUCCESS {
            let message = String(cString: csv_strerror(csv_error(parser)))
            // csv_fini leaves the parser ready for the next record, but keeps the last error code.
            csv_free(parser)
            precondition(csv_init(parser, UInt8(CSV_STRICT | CSV_STRICT_FINI)) == 0, "csv_init failed")
            csv_set_space_func(parser) { _ in 0 }
            return .failure(CSVSyntaxError(message: "not valid CSV (\(message)): a quote inside an unquoted field, text after a closing quote, or an unclosed quote"))
        }
        return .success(fields)
    }

    private static let onField: @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Void = {
        bytes, count, context in
        let parser = Unmanaged<CSVFieldParser>.fromOpaque(context!).takeUnretainedValue()
        guard let bytes, count > 0 else {
            parser.fields.append("")
            return
        }
        parser.fields.append(String(decoding: UnsafeRawBufferPointer(start: bytes, count: count), as: UTF8.self))
    }
}

struct CSVSyntaxError: Error {
    let message: String
}
