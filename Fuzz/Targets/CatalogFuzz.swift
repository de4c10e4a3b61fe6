import TallyCore

/// The catalog decoder takes any JSON document without trapping: it decodes a catalog or reports
/// errors, each with a path.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCatalog(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let document = try? JSONParser.parse(UnsafeBufferPointer(start: data, count: size)) else { return 0 }
    do {
        let catalog = try CatalogDecoder.decode(document, file: "fuzz.json")
        _ = CatalogValidator.checkReferences(catalog, file: "fuzz.json")
    } catch {
        guard !error.errors.isEmpty else { fatalError("refused without an error") }
    }
    return 0
}
