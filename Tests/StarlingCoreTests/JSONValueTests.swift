import PropertyBased
import StarlingCore
import StarlingTestKit
import Testing

/// Parses `text` and returns its canonical encoding as a string.
private func canonical(_ text: String) throws -> String {
    String(decoding: try JSONValue(parsing: text).encoded(), as: UTF8.self)
}

@Suite(.showsLogsOnFailure) struct JSONValueTests {
    // MARK: Parsing

    @Test func parsesEveryKind() throws {
        #expect(try JSONValue(parsing: "null") == .null)
        #expect(try JSONValue(parsing: "true") == .bool(true))
        #expect(try JSONValue(parsing: "false") == .bool(false))
        #expect(try JSONValue(parsing: "42") == .integer(42))
        #expect(try JSONValue(parsing: "-2.5") == .number(-2.5))
        #expect(try JSONValue(parsing: #""hi""#) == .string("hi"))
        #expect(try JSONValue(parsing: "[]") == .array([]))
        #expect(try JSONValue(parsing: "{}") == .object([:]))
        let nested = try JSONValue(parsing: #"{"a":[1,2.5,"x",true,false,null,{},[]],"b":{"c":{}}}"#)
        #expect(nested == ["a": [1, 2.5, "x", true, false, nil, [:], []], "b": ["c": [:]]])
    }

    @Test func literalsBuildTheMatchingCases() {
        let value: JSONValue = ["n": nil, "b": true, "i": 7, "d": 0.5, "s": "t", "a": [1]]
        let expected = JSONValue.object([
            "n": .null, "b": .bool(true), "i": .integer(7), "d": .number(0.5), "s": .string("t"),
            "a": .array([.integer(1)]),
        ])
        #expect(value == expected)
    }

    @Test(arguments: [
        ("0", JSONValue.integer(0)),
        ("-0", .integer(0)),
        ("9223372036854775807", .integer(.max)),
        ("-9223372036854775808", .integer(.min)),
        ("9223372036854775808", .number(9.223372036854775808e18)),
        ("-9223372036854775809", .number(-9.223372036854775809e18)),
        ("123456789012345678901234567890", .number(1.2345678901234568e29)),
        ("1.0", .number(1)),
        ("1e2", .number(100)),
        ("1E+2", .number(100)),
        ("-1.5e-3", .number(-0.0015)),
        ("0.1", .number(0.1)),
        ("1e-400", .number(0)),
    ])
    func numbersKeepIntegerOrDouble(text: String, expected: JSONValue) throws {
        let value = try JSONValue(parsing: text)
        #expect(value == expected)
        #expect((value.integerValue != nil) == (expected.integerValue != nil))
    }

    @Test func negativeZeroDoubleKeepsItsSign() throws {
        let value = try JSONValue(parsing: "-0.0")
        guard case .number(let double) = value else {
            Issue.record("expected a number, got \(value)")
            return
        }
        #expect(double == 0 && double.sign == .minus)
        #expect(value.description == "-0.0")
    }

    @Test func decodesEscapes() throws {
        let value = try JSONValue(parsing: #""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00\u0000""#)
        #expect(value == .string("\"\\/\u{8}\u{C}\n\r\t" + "Aé€😀\u{0}"))
    }

    @Test func acceptsRawMultiByteUTF8() throws {
        let text = "\"é€😀\u{FFFF}\u{10FFFF}\""
        #expect(try JSONValue(parsing: text) == .string("é€😀\u{FFFF}\u{10FFFF}"))
        #expect(try JSONValue(parsing: Array(text.utf8)) == .string("é€😀\u{FFFF}\u{10FFFF}"))
    }

    @Test func skipsOnlyJSONWhitespace() throws {
        #expect(try JSONValue(parsing: " \t\n\r1 \t\n\r") == .integer(1))
        #expect(try JSONValue(parsing: " [ 1 , { \"a\" : 2 } ] ") == [1, ["a": 2]])
        #expect(throws: JSONError.self) { try JSONValue(parsing: "\u{A0}1") }
        #expect(throws: JSONError.self) { try JSONValue(parsing: "\u{0B}1") }
    }

    @Test func lastDuplicateKeyWins() throws {
        #expect(try JSONValue(parsing: #"{"a":1,"b":2,"a":3}"#) == ["a": 3, "b": 2])
    }

    @Test func parsesNonContiguousCollections() throws {
        let bytes = Array(#"{"k":[1,"é"]}"#.utf8).lazy.map { $0 }
        #expect(try JSONValue(parsing: bytes) == ["k": [1, "é"]])
    }

    // MARK: Rejection

    @Test(arguments: [
        "", " ", "[1,]", #"{"a":1,}"#, "[1 2]", #"{"a":1 "b":2}"#, "01", "-01", "00", "+1", ".5", "1.", "1.e5",
        "1e", "1e+", "-", "- 1", "NaN", "Infinity", "-Infinity", "nul", "tru", "True", "nulls", #""abc"#, #""\x""#,
        #""\u12""#, #""\uZZZZ""#, #""\uD800""#, #""\uDC00""#, #""\uD800\u0041""#, #""\uD800x""#,
        #""\uDBFF\uDBFF""#, "\"a\nb\"", "\"\t\"", "\"\u{1F}\"", "[1] x", "1 2", #"{"a" 1}"#, "{a:1}",
        #"{"a":}"#, "[", "{", "]", "}", "'a'", "\u{FEFF}1", "[1e400]", "-1e400", "// c", "[1,,2]", #""\"#,
        #"{"a":1"#, "[1,", #"{"a""#, "[true false]",
    ])
    func rejectsMalformedText(text: String) {
        #expect(throws: JSONError.self) { try JSONValue(parsing: text) }
    }

    @Test(
        arguments: [
            [0x22, 0xFF, 0x22], [0x22, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xC3, 0x22],
            [0x22, 0xE0, 0x80, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22],
            [0x22, 0xF0, 0x80, 0x80, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],
            [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22],
            [0x22, 0xE2, 0x82], [0xC3, 0xA9], [0x5B, 0xFF, 0x5D],
        ] as [[UInt8]])
    func rejectsInvalidUTF8(bytes: [UInt8]) {
        #expect(throws: JSONError.self) { try JSONValue(parsing: bytes) }
    }

    @Test func errorsSayWhatAndWhere() {
        let cases: [(String, Int, String)] = [
            ("[1, x]", 4, "unexpected character 'x' at byte 4"),
            ("[1] x", 4, "unexpected character 'x' at byte 4 after the JSON value"),
            ("[1,]", 3, "unexpected character ']' at byte 3"),
            ("012", 0, "leading zero"),
            ("\"ab", 0, "unterminated string"),
            ("\"a\u{1}\"", 2, "control character 0x01"),
            (#""\uD800""#, 1, "lone surrogate \\uD800"),
            (#""\uDE00x""#, 1, "lone surrogate \\uDE00"),
            (#""\q""#, 2, "not a valid escape"),
            ("[1", 2, "unexpected end of input"),
            ("1e999", 0, "out of range"),
        ]
        for (text, offset, fragment) in cases {
            let error = #expect(throws: JSONError.self) { try JSONValue(parsing: text) }
            #expect(error?.offset == offset, "\(text)")
            #expect(error?.message.contains(fragment) == true, "\(text): \(error?.message ?? "")")
            #expect(error?.description == error?.message)
        }
    }

    @Test func invalidUTF8ErrorPointsAtTheBadByte() {
        #expect(throws: JSONError(message: "invalid UTF-8 byte 0xFF at byte 2", offset: 2)) {
            try JSONValue(parsing: [0x22, 0x61, 0xFF, 0x22] as [UInt8])
        }
    }

    @Test func depthIsLimited() throws {
        func nested(_ depth: Int) -> String {
            String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        }
        #expect(try JSONValue(parsing: nested(128)) != .null)
        #expect(throws: JSONError.self) { try JSONValue(parsing: nested(129)) }
        #expect(throws: JSONError.self) { try JSONValue(parsing: #"{"a":[{"b":[]}]}"#, maxDepth: 3) }
        #expect(try JSONValue(parsing: #"{"a":[{"b":[]}]}"#, maxDepth: 4) == ["a": [["b": []]]])
        #expect(try JSONValue(parsing: "7", maxDepth: 0) == 7)
        // A depth bomb fails fast at the limit instead of exhausting memory or the stack.
        let bomb = String(repeating: "[", count: 1_000_000)
        #expect(throws: JSONError.self) { try JSONValue(parsing: bomb) }
    }

    // MARK: Encoding

    @Test func encodesCompactWithKeysSortedBytewise() {
        let value: JSONValue = ["b": 1, "a": [true, nil], "é": "x", "Z": 2.5, "aa": [:], "": 0]
        #expect(value.description == #"{"":0,"Z":2.5,"a":[true,null],"aa":{},"b":1,"é":"x"}"#)
        // "e" + combining acute (0x65 0xCC 0x81) sorts before "f" bytewise, though Swift's `<`
        // compares it as "é" (U+00E9), which sorts after "f".
        let decomposed: JSONValue = ["f": 1, "e\u{301}": 2]
        #expect(decomposed.description == "{\"e\u{301}\":2,\"f\":1}")
    }

    @Test func escapesOnlyQuotesBackslashesAndControls() {
        let value = JSONValue.string("a\"b\\c\n\r\t\u{8}\u{C}\u{0}\u{1}\u{1F} /é😀\u{7F}")
        #expect(value.description == #""a\"b\\c\n\r\t\b\f\u0000\u0001\u001f /é😀"# + "\u{7F}\"")
    }

    @Test(arguments: [
        (JSONValue.integer(0), "0"),
        (.integer(-42), "-42"),
        (.integer(.max), "9223372036854775807"),
        (.integer(.min), "-9223372036854775808"),
        (.number(1), "1.0"),
        (.number(-0.0), "-0.0"),
        (.number(0.1), "0.1"),
        (.number(1e100), "1e+100"),
        (.number(9.223372036854775808e18), "9.223372036854776e+18"),
        (.number(.nan), "null"),
        (.number(.infinity), "null"),
        (.number(-.infinity), "null"),
        (.number(.leastNonzeroMagnitude), "5e-324"),
    ])
    func encodesNumbers(value: JSONValue, text: String) {
        #expect(value.description == text)
    }

    @Test func finiteDoublesParseBackAsNumbers() throws {
        let doubles: [Double] = [
            1, -1, 0.5, 1e15, 1e16, 1e22, 2e-7, 123_456_789.125, .greatestFiniteMagnitude, -.leastNormalMagnitude,
            9_007_199_254_740_992,
        ]
        for double in doubles {
            let bytes = JSONValue.number(double).encoded()
            #expect(try JSONValue(parsing: bytes) == .number(double), "\(double)")
        }
    }

    @Test func encodeIntoAppends() {
        var buffer: [UInt8] = Array("x=".utf8)
        JSONValue.array([1, "a"]).encode(into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == #"x=[1,"a"]"#)
    }

    @Test func canonicalFormIgnoresFormatting() throws {
        let loose = " { \"b\" : [ 1 , 2.50 , 1E2, -0 ] ,\n\t\"a\":{ }, \"c\": \"\\u0041\\/\\u00e9\" } "
        #expect(try canonical(loose) == #"{"a":{},"b":[1,2.5,100.0,0],"c":"A/é"}"#)
        #expect(try canonical(#"{"a":1}"#) == (try canonical("{\n  \"a\" : 1\n}")))
    }

    @Test func isFiniteLooksInsideContainers() {
        let finite: JSONValue = ["a": [1, 2.5, "s"]]
        let nan: JSONValue = ["a": [1, .number(.nan)]]
        let infinite: JSONValue = [["x": .number(-.infinity)]]
        #expect(finite.isFinite)
        #expect(!nan.isFinite)
        #expect(!infinite.isFinite)
    }

    @Test func integerValueIsOnlyForIntegers() {
        #expect(JSONValue.integer(5).integerValue == 5)
        #expect(JSONValue.number(5).integerValue == nil)
        #expect(JSONValue.string("5").integerValue == nil)
    }

    // MARK: Integer fast path

    @Test(arguments: [
        ("-42", Int64(-42)), ("0", 0), ("7", 7), ("9223372036854775807", .max), ("-9223372036854775808", .min),
    ])
    func canonicalIntegerFastPathReads(text: String, expected: Int64) {
        #expect(JSONValue.integer(fromCanonical: Array(text.utf8)) == expected)
        #expect(JSONValue.integer(fromCanonical: text.utf8) == expected)
        #expect(JSONValue.integer(fromCanonical: Array(text.utf8).lazy.map { $0 }) == expected)
    }

    @Test(arguments: [
        "", "-", "-0", "00", "042", "42.0", "4e2", " 42", "42 ", "+1", "\"42\"", "9223372036854775808",
        "-9223372036854775809", "99999999999999999999999", "true", "4a",
    ])
    func canonicalIntegerFastPathRejects(text: String) {
        #expect(JSONValue.integer(fromCanonical: Array(text.utf8)) == nil)
    }

    // MARK: Properties

    @Test func randomValuesRoundTripCanonically() async {
        await propertyCheck(count: 300, input: RandomJSON.values, Gen.uint64()) { value, seed in
            let bytes = value.encoded()
            let parsed = try JSONValue(parsing: bytes)
            #expect(parsed == value)
            #expect(parsed.encoded() == bytes)
            var rng = SeededGenerator(seed: seed)
            let loose = RandomJSON.looseText(value, using: &rng)
            #expect(try JSONValue(parsing: loose).encoded() == bytes, "\(loose)")
        }
    }

    @Test func randomIntegersTakeTheFastPath() async {
        await propertyCheck(count: 300, input: Gen.int64()) { number in
            #expect(JSONValue.integer(fromCanonical: JSONValue.integer(number).encoded()) == number)
            #expect(JSONValue.integer(fromCanonical: String(number).utf8) == number)
        }
    }
}

/// Random JSON values, and the same values written loosely (whitespace, escapes, key order).
private enum RandomJSON {
    static let values = Generator<JSONValue, Shrink.None<JSONValue>>(run: { rng in value(&rng, depth: 3) })

    static func value(_ rng: inout any SeededRandomNumberGenerator, depth: Int) -> JSONValue {
        switch Int.random(in: 0..<(depth > 0 ? 8 : 5), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2:
            let small = Bool.random(using: &rng)
            return .integer(small ? Int64.random(in: -1000...1000, using: &rng) : Int64(truncatingIfNeeded: rng.next()))
        case 3: return .number(double(&rng))
        case 4: return .string(string(&rng))
        case 5, 6:
            var elements: [JSONValue] = []
            for _ in 0..<Int.random(in: 0...4, using: &rng) { elements.append(value(&rng, depth: depth - 1)) }
            return .array(elements)
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &rng) { members[string(&rng)] = value(&rng, depth: depth - 1) }
            return .object(members)
        }
    }

    static func double(_ rng: inout any SeededRandomNumberGenerator) -> Double {
        if Bool.random(using: &rng) {
            return Double(Int.random(in: -10_000...10_000, using: &rng)) / 64
        }
        let double = Double(bitPattern: rng.next())
        return double.isFinite ? double : -0.0
    }

    static func string(_ rng: inout any SeededRandomNumberGenerator) -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...6, using: &rng) {
            let ranges: [ClosedRange<UInt32>] = [
                0x20...0x7E, 0x00...0x1F, 0x22...0x22, 0x5C...0x5C, 0x80...0xD7FF,
                0xE000...0xFFFF, 0x10000...0x10FFFF,
            ]
            let range = ranges[Int.random(in: 0..<ranges.count, using: &rng)]
            if let scalar = Unicode.Scalar(UInt32.random(in: range, using: &rng)) { scalars.append(scalar) }
        }
        return String(scalars)
    }

    /// `value` as JSON with random whitespace, shuffled keys and optional `\u` escapes.
    static func looseText(_ value: JSONValue, using rng: inout SeededGenerator) -> String {
        let space = [" ", "\n", "\t", "\r", "", ""].randomElement(using: &rng) ?? ""
        switch value {
        case .null, .bool, .integer, .number:
            return space + value.description + space
        case .string(let text):
            return space + looseString(text, using: &rng) + space
        case .array(let elements):
            let parts = elements.map { looseText($0, using: &rng) }
            return space + "[" + space + parts.joined(separator: ",") + space + "]"
        case .object(let members):
            let parts = members.shuffled(using: &rng).map { member in
                space + looseString(member.key, using: &rng) + space + ":" + looseText(member.value, using: &rng)
            }
            return "{" + parts.joined(separator: ",") + space + "}" + space
        }
    }

    static func looseString(_ text: String, using rng: inout SeededGenerator) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += Bool.random(using: &rng) ? "\\\\" : "\\u005C"
            case "/": out += Bool.random(using: &rng) ? "/" : "\\/"
            case _ where scalar.value < 0x20 || Int.random(in: 0..<4, using: &rng) == 0:
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16, uppercase: Bool.random(using: &rng))
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
