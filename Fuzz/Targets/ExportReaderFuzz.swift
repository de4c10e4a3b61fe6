import Glibc
import TallyCore
import TallyReaders

/// The export readers take any file without trapping: every record is a JSON value (an object,
/// from CSV) or a reason, in line order, or the file fails whole with an error. Whether the
/// input is read as CSV or NDJSON comes from the build: `-D FUZZ_CSV` reads it as CSV.
#if FUZZ_CSV
private let suffix = ".csv"
#else
private let suffix = ".ndjson"
#endif

/// The input as a file, which the readers need; removed when the fuzzer exits.
private let path: String = {
    atexit { unlink(path) }
    return "/tmp/tally-fuzz-\(getpid())" + suffix
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExportReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let file = fopen(path, "w") else { fatalError("cannot write \(path)") }
    _ = fwrite(data, 1, size, file)
    fclose(file)
    do {
        let reader = try ExportReader(path: path)
        var lines = 0
        try reader.forEachRecord { record in
            guard record.line > lines else { fatalError("line \(record.line) after line \(lines)") }
            lines = record.line
            #if FUZZ_CSV
            if case .success(let value) = record.content, value.objectValue == nil { fatalError("a CSV record that is not an object") }
            #endif
            _ = record.rawBytes.count
        }
    } catch is ExportReadError {
        return 0
    } catch {
        fatalError("unexpected error \(error)")
    }
    return 0
}
