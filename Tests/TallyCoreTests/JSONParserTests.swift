import Testing
import TallyCore

@Suite struct JSONParserTests {
    // MARK: Numbers

    @Test(arguments: ["2000000", "-0.5", "1.5e-3", "0", "-0", "1E+2", "0.000", "123456789012345678901234567890123456789012"])
    func numberKeepsItsLiteralText(literal: String) throws {
        #expect(try JSONParser.parse(literal) == .number(literal))
        #expect(try JSONParser.parse(#"{"tokens": \#(literal)}"#) == .object(JSONObject([(key: "tokens", value: .number(literal))])))
    }

    /// Each text and the byte offset the error must point at.
    @Test(arguments: [
        ("01", 1), ("-01", 2), ("1.", 2), (".5", 0), ("+1", 0), ("1e", 2), ("1e+", 3), ("-", 1), ("-a", 1),
        ("1.e3", 2), ("0x10", 1), ("1.5.2", 3), ("NaN", 0), ("Infinity", 0), ("[1, 01]", 5),
    ])
    func invalidNumberIsRejected(text: String, offset: Int) {
        #expect(syntaxError(text)?.offset == offset)
    }

    // MARK: Strings

    @Test func everyEscapeIsDecoded() throws {
        let text = #""\" \\ \/ \b \f \n \r \t \u00e9 \u00C9 \u0041""#
        #expect(try JSONParser.parse(text) == .string("\" \\ / \u{08} \u{0C} \n \r \t é É A"))
    }

    @Test(arguments: [#""\ud83d\ude00""#, #""\uD83D\uDE00""#])
    func surrogatePairIsOneScalar(text: String) throws {
        let value = try JSONParser.parse(text)
        #expect(value == .string("😀"))
        #expect(value.stringValue?.unicodeScalars.map(\.value) == [0x1F600])
    }

    @Test(arguments: [
        #""\ud83d""#, #""\ude00""#, #""\ud83dx""#, #""\ud83d\u0041""#, #""\ud83d\ud83d""#, #""\ude00\ud83d""#,
        #""x\ud83d\n""#,
    ])
    func loneSurrogateIsRejected(text: String) {
        #expect(syntaxError(text) != nil)
    }

    @Test(arguments: [#""\x""#, #""\u12""#, #""\u12g4""#, #""\U0041""#, #""\'""#, #""\"#, #""abc"#, "\"\\\u{01}\""])
    func invalidEscapeOrUnterminatedStringIsRejected(text: String) {
        #expect(syntaxError(text) != nil)
    }

    @Test(arguments: [UInt8(0x00), 0x01, 0x08, 0x09, 0x0A, 0x0D, 0x1F])
    func rawControlCharacterInAStringIsRejected(byte: UInt8) {
        // "ab<byte>c"
        let error = parse(bytes: [0x22, 0x61, 0x62, byte, 0x63, 0x22]).failure
        #expect(error?.offset == 3)
    }

    @Test func deleteCharacterNeedsNoEscape() throws {
        #expect(try JSONParser.parse("\"a\u{7F}b\"") == .string("a\u{7F}b"))
    }

    @Test(arguments: ["日本", "é", "café 日本 😀"])
    func rawUTF8IsKept(text: String) throws {
        #expect(try JSONParser.parse("\"\(text)\"") == .string(text))
        #expect(try JSONParser.parse("{\"\(text)\": 1}").objectValue?.keys == [text])
    }

    @Test func rawUTF8AndEscapesMix() throws {
        #expect(try JSONParser.parse(#""日本\n\u00e9é""#) == .string("日本\né" + "é"))
    }

    @Test(arguments: [
        [UInt8(0xFF)],               // never valid
        [0x80],                      // lone continuation byte
        [0xC3],                      // truncated two-byte sequence
        [0xE6, 0x97],                // truncated three-byte sequence
        [0xC0, 0xAF],                // overlong "/"
        [0xED, 0xA0, 0x80],          // UTF-8-encoded surrogate U+D800
        [0xF4, 0x90, 0x80, 0x80],    // above U+10FFFF
    ])
    func invalidUTF8InAStringIsRejected(invalid: [UInt8]) {
        let plain: [UInt8] = [0x22] + invalid + [0x22]
        #expect(parse(bytes: plain).failure != nil)
        // Also with an escape in the same string, which takes the decoding path.
        let escaped: [UInt8] = Array(#""\n"#.utf8) + invalid + [0x22]
        #expect(parse(bytes: escaped).failure != nil)
        // And in a key.
        let key: [UInt8] = Array(#"{""#.utf8) + invalid + Array(#"": 1}"#.utf8)
        #expect(parse(bytes: key).failure != nil)
    }

    @Test func invalidUTF8OutsideAStringIsRejected() {
        #expect(parse(bytes: [0xFF]).failure?.offset == 0)
        #expect(parse(bytes: Array("[1, ".utf8) + [0xC3, 0xA9] + Array("]".utf8)).failure?.offset == 4)
    }

    @Test func validUTF8BytesBuiltByHandAreKept() {
        // "é日😀" as bytes
        let bytes: [UInt8] = [0x22, 0xC3, 0xA9, 0xE6, 0x97, 0xA5, 0xF0, 0x9F, 0x98, 0x80, 0x22]
        #expect(parse(bytes: bytes).success == .string("é日😀"))
    }

    // MARK: Structure

    @Test func nestedObjectsAndArrays() throws {
        let text = #"{"a": [1, {"b": [true, null, "x"]}, []], "c": {}, "d": {"e": {"f": -2.5}}}"#
        let expected: JSONValue = [
            "a": [1, ["b": [true, .null, "x"]], []],
            "c": [:],
            "d": ["e": ["f": .number("-2.5")]],
        ]
        #expect(try JSONParser.parse(text) == expected)
    }

    @Test func objectKeepsKeyOrder() throws {
        let object = try JSONParser.parse(#"{"z": 1, "a": 2, "m": 3, "b": 4}"#).objectValue
        #expect(object?.keys == ["z", "a", "m", "b"])
    }

    @Test func repeatedKeyKeepsTheLastValue() throws {
        let object = try #require(try JSONParser.parse(#"{"a": 1, "b": 2, "a": 3}"#).objectValue)
        #expect(object["a"] == 3)
        #expect(object.count == 2)
        #expect(object.keys == ["a", "b"])
    }

    @Test func literals() throws {
        #expect(try JSONParser.parse("true") == .bool(true))
        #expect(try JSONParser.parse("false") == .bool(false))
        #expect(try JSONParser.parse("null") == .null)
        #expect(try JSONParser.parse("[true,false,null]") == [true, false, .null])
    }

    @Test(arguments: ["tru", "True", "nul", "NULL", "fals", "falsey", "truth", "nil"])
    func misspelledLiteralIsRejected(text: String) {
        #expect(syntaxError(text) != nil)
    }

    @Test(arguments: [("{} x", 3), ("1 2", 2), ("[]]", 2), (#"{"a":1}}"#, 7), ("null,", 4), ("\"a\"\"b\"", 3)])
    func trailingTextIsRejected(text: String, offset: Int) {
        let error = syntaxError(text)
        #expect(error?.offset == offset)
        #expect(error?.reason == "unexpected text after the value")
    }

    @Test(arguments: [#"{"a": 1"#, #"{"a":"#, #"{"a""#, "{", "[", "[1,", "[1", #""abc"#, "", "   ", "-"])
    func truncatedInputIsRejected(text: String) {
        #expect(syntaxError(text)?.offset == text.utf8.count)
    }

    @Test func nestingUpTo64LevelsIsAccepted() throws {
        let arrays = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try JSONParser.parse(arrays)
        let objects = String(repeating: #"{"a":"#, count: 64) + "1" + String(repeating: "}", count: 64)
        _ = try JSONParser.parse(objects)
        let mixed = String(repeating: #"[{"a":"#, count: 32) + "1" + String(repeating: "}]", count: 32)
        _ = try JSONParser.parse(mixed)
    }

    @Test func nestingDeeperThan64IsRejected() {
        let arrays = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(syntaxError(arrays)?.offset == 64)
        let objects = String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65)
        #expect(syntaxError(objects)?.offset == 64 * 5)
        // Far deeper than any stack would allow: still a plain error, not a crash.
        #expect(syntaxError(String(repeating: "[", count: 100_000)) != nil)
    }

    @Test func siblingsDoNotAddDepth() throws {
        let deep = String(repeating: "[", count: 62) + "[]" + String(repeating: "]", count: 62)
        let siblings = try JSONParser.parse("[" + Array(repeating: deep, count: 3).joined(separator: ",") + "]")
        #expect(siblings.arrayCount == 3)
    }

    @Test func whitespaceAroundTheValueIsAllowed() throws {
        #expect(try JSONParser.parse(" \t\r\n {\n\t\"a\" : [ 1 ,\r\n 2 ] ,\"b\":\"c\" } \n\t ") == ["a": [1, 2], "b": "c"])
        #expect(try JSONParser.parse("\n42\n") == 42)
    }

    @Test(arguments: ["\u{0C}1", "\u{A0}1", "1\u{0B}", "\u{FEFF}{}"])
    func otherSpacesAreNotWhitespace(text: String) {
        #expect(syntaxError(text) != nil)
    }

    /// Each text and the byte offset of the byte at fault.
    @Test(arguments: [
        ("[1,]", 3), (#"{"a" 1}"#, 5), (#"{"a":1,}"#, 7), ("[1 2]", 3), (#"{a: 1}"#, 1), (#"{"a": x}"#, 6),
        ("\"ab\u{01}\"", 3), (#"{"a": 1 "b": 2}"#, 8),
    ])
    func errorOffsetPointsAtTheProblem(text: String, offset: Int) {
        #expect(syntaxError(text)?.offset == offset)
    }

    /// Each text and the byte offset of the backslash that starts the bad escape.
    @Test(arguments: [
        (#"{"k": "\u12"}"#, 7), (#"["ok", "\x"]"#, 8), (#""ab\ud800""#, 3), (#""ab\ude00""#, 3),
        (#""\ud83d\u0041 tail""#, 1),
    ])
    func escapeErrorOffsetPointsAtTheEscape(text: String, offset: Int) {
        #expect(syntaxError(text)?.offset == offset)
    }

    @Test func invalidUTF8ErrorOffsetPointsAtTheBadByte() {
        // "ab<FF>cd": the bad byte is at offset 3.
        #expect(parse(bytes: [0x22, 0x61, 0x62, 0xFF, 0x63, 0x64, 0x22]).failure?.offset == 3)
    }

    @Test func errorDescriptionCountsBytesFromOne() {
        #expect(syntaxError("{} x")?.description == "invalid JSON at byte 4: unexpected text after the value")
    }

    // MARK: Writing

    @Test(arguments: [
        #"{"transaction_id": "tx-1", "code": "ai_tokens", "timestamp": 1790000000, "properties": {"tokens": 2000000, "model": "mistral-small"}}"#,
        #"[1.5e-3, -0.5, 0, 1E+2, true, false, null, "", [], {}]"#,
        #"{"z": {"y": [{"x": "\"quoted\" \\ back/slash \b\f\n\r\t \u0001 \u001f \u007f"}]}, "a": "日本 é 😀 \ud83d\ude00"}"#,
        #""\u0000""#,
    ])
    func serializedRoundTrips(text: String) throws {
        let value = try JSONParser.parse(text)
        let serialized = value.serialized
        #expect(try JSONParser.parse(serialized) == value)
        #expect(try JSONParser.parse(value.prettyPrinted) == value)
        #expect(try JSONParser.parse(serialized).serialized == serialized)
    }

    @Test func serializedIsCompactInStoredOrderWithLiteralNumbers() throws {
        let value = try JSONParser.parse(#" { "b" : [ 1.50 , -0.0 , 1e3 ] , "a" : "x" , "c" : { } , "d" : [ ] } "#)
        #expect(value.serialized == #"{"b":[1.50,-0.0,1e3],"a":"x","c":{},"d":[]}"#)
    }

    @Test func serializedEscapesQuotesBackslashesAndControlCharacters() {
        let value: JSONValue = .string("a\"b\\c/\n\r\t\u{08}\u{0C}\u{00}\u{01}\u{1F}\u{7F}é😀")
        #expect(value.serialized == #""a\"b\\c/\n\r\t\b\f\u0000\u0001\u001f\u007fé😀""#)
        let object: JSONValue = ["k\"\n": "v"]
        #expect(object.serialized == #"{"k\"\n":"v"}"#)
    }

    @Test func everyControlCharacterRoundTrips() throws {
        let string = String(String.UnicodeScalarView((0..<0x20).map { Unicode.Scalar(UInt8($0)) }))
        let serialized = JSONValue.string(string).serialized
        #expect(!serialized.unicodeScalars.contains { $0.value < 0x20 })
        #expect(try JSONParser.parse(serialized) == .string(string))
    }

    @Test(arguments: [
        ("mistral-small", #""mistral-small""#), ("", #""""#), ("say \"hi\"\n", #""say \"hi\"\n""#),
        ("back\\slash", #""back\\slash""#), ("tab\tbell\u{07}", #""tab\tbell\u0007""#), ("日本", #""日本""#),
    ])
    func quotedWritesAJSONStringLiteral(text: String, quoted: String) throws {
        #expect(JSONValue.quoted(text) == quoted)
        #expect(try JSONParser.parse(quoted) == .string(text))
    }

    /// An object of many keys keeps the rule of a small one, a repeated key keeping its first place
    /// and its last value, without comparing every key with every other (100,000 keys here).
    @Test func manyKeysKeepTheirOrderAndTheLastValueOfARepeat() throws {
        let keys = (0..<100_000).map { "k\($0)" }
        let text = "{" + keys.map { #""\#($0)": 1"# }.joined(separator: ", ") + #", "k5": 2, "k99999": 3}"#
        guard case .object(let object) = try JSONParser.parse(text) else {
            Issue.record("not an object")
            return
        }
        #expect(object.count == 100_000)
        #expect(object.keys.first == "k0" && object.keys.last == "k99999")
        #expect(object.entries[5].value == .number("2"))
        #expect(object.entries[99_999].value == .number("3"))
        #expect(object["k6"] == .number("1"))
    }

    // MARK: Helpers

    private func syntaxError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSONSyntaxError? {
        do {
            let value = try JSONParser.parse(text)
            Issue.record("expected a syntax error, parsed \(value)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    private func parse(bytes: [UInt8]) -> Result<JSONValue, JSONSyntaxError> {
        bytes.withUnsafeBufferPointer { buffer in Result { () throws(JSONSyntaxError) in try JSONParser.parse(buffer) } }
    }
}

extension JSONValue {
    fileprivate var arrayCount: Int? {
        if case .array(let elements) = self { return elements.count }
        return nil
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }

    fileprivate var success: Success? {
        if case .success(let value) = self { return value }
        return nil
    }
}
