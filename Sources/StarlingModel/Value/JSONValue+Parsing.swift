extension JSONValue {
    /// Parses exactly one JSON value (RFC 8259), with optional whitespace around it.
    ///
    /// Strings must be valid UTF-8 without raw control characters; `\u` escapes must pair
    /// surrogates. A number without `.`, `e` or `E` that fits in `Int64` becomes ``integer(_:)``;
    /// any other number becomes ``number(_:)`` and must be finite as a `Double`. Of duplicate
    /// object keys the last one wins.
    /// - Parameters:
    ///   - bytes: UTF-8 text; read in place when the collection is contiguous, else copied once.
    ///   - maxDepth: The most arrays and objects that may nest; default 128.
    /// - Throws: ``JSONError`` with the byte offset of the first problem: invalid syntax or
    ///   UTF-8, a lone surrogate, a number out of `Double` range, nesting deeper than
    ///   `maxDepth`, or anything after the value.
    public init(parsing bytes: some Collection<UInt8>, maxDepth: Int = 128) throws(JSONError) {
        let parse = { (buffer: UnsafeBufferPointer<UInt8>) in JSONParser.parse(buffer, maxDepth: maxDepth) }
        if let result = bytes.withContiguousStorageIfAvailable(parse) {
            self = try result.get()
        } else {
            self = try Array(bytes).withUnsafeBufferPointer(parse).get()
        }
    }

    /// Parses exactly one JSON value from the UTF-8 of `text`; see `init(parsing:maxDepth:)`.
    /// - Parameters:
    ///   - text: The JSON text.
    ///   - maxDepth: The most arrays and objects that may nest; default 128.
    /// - Throws: ``JSONError`` with the byte offset (in `text.utf8`) of the first problem.
    public init(parsing text: String, maxDepth: Int = 128) throws(JSONError) {
        var text = text
        self = try text.withUTF8 { JSONParser.parse($0, maxDepth: maxDepth) }.get()
    }
}

/// A strict single-pass JSON parser over a contiguous UTF-8 buffer.
///
/// Containers are kept on an explicit stack rather than the call stack, so `maxDepth` limits
/// memory, never recursion.
private struct JSONParser {
    /// One open array or object.
    private struct Frame {
        var isObject: Bool
        var elements: [JSONValue] = []
        var members: [String: JSONValue] = [:]
        /// The key whose value is being parsed (objects only).
        var key: String = ""
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    private var index = 0
    /// Reused for strings that contain escapes.
    private var scratch: [UInt8] = []

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    /// Parses all of `bytes` as one value with optional surrounding whitespace.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> Result<JSONValue, JSONError> {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        return Result { () throws(JSONError) in try parser.parseDocument() }
    }

    private mutating func parseDocument() throws(JSONError) -> JSONValue {
        let value = try parseValue()
        skipWhitespace()
        if index < bytes.count {
            throw unexpected(" after the JSON value")
        }
        return value
    }

    // MARK: Values and containers

    private mutating func parseValue() throws(JSONError) -> JSONValue {
        var stack: [Frame] = []
        var value: JSONValue
        scan: while true {
            skipWhitespace()
            guard index < bytes.count else { throw unexpected(": expected a value") }
            switch bytes[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = bytes[index] == UInt8(ascii: "{")
                guard stack.count < maxDepth else {
                    throw JSONError.at(index, "nesting deeper than the maximum depth of \(maxDepth)")
                }
                index += 1
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: isObject ? "}" : "]") {
                    index += 1
                    value = isObject ? .object([:]) : .array([])
                } else {
                    var frame = Frame(isObject: isObject)
                    if isObject { frame.key = try parseKey() }
                    stack.append(frame)
                    continue scan
                }
            case UInt8(ascii: "\""):
                value = .string(try parseString())
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                value = .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = try parseNumber()
            default:
                throw unexpected(": expected a value")
            }

            // A value is complete: add it to the open containers, closing those that end here.
            while let top = stack.indices.last {
                skipWhitespace()
                let isObject = stack[top].isObject
                if isObject {
                    let key = stack[top].key
                    stack[top].members[key] = value
                } else {
                    stack[top].elements.append(value)
                }
                guard index < bytes.count else {
                    throw unexpected(isObject ? ": expected ',' or '}'" : ": expected ',' or ']'")
                }
                let byte = bytes[index]
                if byte == UInt8(ascii: ",") {
                    index += 1
                    if isObject {
                        skipWhitespace()
                        stack[top].key = try parseKey()
                    }
                    continue scan
                } else if byte == UInt8(ascii: isObject ? "}" : "]") {
                    index += 1
                    let frame = stack.removeLast()
                    value = isObject ? .object(frame.members) : .array(frame.elements)
                } else {
                    throw unexpected(isObject ? ": expected ',' or '}'" : ": expected ',' or ']'")
                }
            }
            return value
        }
    }

    /// Parses `"key" :` with the cursor at the opening quote (whitespace already skipped).
    private mutating func parseKey() throws(JSONError) -> String {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
            throw unexpected(": expected a string key")
        }
        let key = try parseString()
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
            throw unexpected(": expected ':' after an object key")
        }
        index += 1
        return key
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let start = index
        let count = literal.utf8CodeUnitCount
        let text = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for offset in 0..<count {
            guard index < bytes.count, bytes[index] == text[offset] else {
                if index == start { throw unexpected(": expected a value") }
                throw unexpected(" in literal '\(literal)'")
            }
            index += 1
        }
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                index += 1
            default:
                return
            }
        }
    }

    // MARK: Numbers

    /// Parses a number per the RFC 8259 grammar, as an `Int64` when it can be one.
    private mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = index
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }

        var magnitude: UInt64 = 0
        var overflow = false
        guard index < bytes.count, isDigit(bytes[index]) else {
            throw unexpected(": expected a digit after '-'")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) {
                throw JSONError.at(index - 1, "number with a leading zero")
            }
        } else {
            while index < bytes.count, isDigit(bytes[index]) {
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(bytes[index] &- UInt8(ascii: "0")))
                overflow = overflow || o1 || o2
                magnitude = sum
                index += 1
            }
        }

        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            try skipDigits(after: "'.'")
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            try skipDigits(after: "the exponent")
        }

        if isInteger, !overflow {
            if negative, magnitude <= UInt64(Int64.max) + 1 {
                return .integer(Int64(truncatingIfNeeded: 0 &- magnitude))
            }
            if !negative, magnitude <= UInt64(Int64.max) {
                return .integer(Int64(magnitude))
            }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let double = Double(text), double.isFinite else {
            throw JSONError.at(start, "number \(text) is out of range")
        }
        return .number(double)
    }

    /// Skips one or more digits; `what` names what they follow, for the error message.
    private mutating func skipDigits(after what: String) throws(JSONError) {
        guard index < bytes.count, isDigit(bytes[index]) else {
            throw unexpected(": expected a digit after \(what)")
        }
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    // MARK: Strings

    /// Parses a string with the cursor at its opening quote; validates UTF-8 and escapes.
    /// Without escapes the string is one slice of the input; with them, plain runs are copied
    /// in bulk into `scratch` between decoded escapes.
    private mutating func parseString() throws(JSONError) -> String {
        let open = index
        index += 1
        var run = index
        var escaped = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                let plain = UnsafeBufferPointer(rebasing: bytes[run..<index])
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    guard escaped else { return String(decoding: plain, as: UTF8.self) }
                    scratch.append(contentsOf: plain)
                    return String(decoding: scratch, as: UTF8.self)
                }
                if !escaped {
                    scratch.removeAll(keepingCapacity: true)
                    escaped = true
                }
                scratch.append(contentsOf: plain)
                try parseEscape()
                run = index
            } else if byte < 0x20 {
                throw controlCharacter()
            } else if byte < 0x80 {
                index += 1
            } else {
                try skipMultiByteScalar()
            }
        }
        throw JSONError(message: "unterminated string starting at byte \(open)", offset: open)
    }

    /// Decodes one escape sequence at the cursor (a backslash) into `scratch`.
    private mutating func parseEscape() throws(JSONError) {
        let start = index
        guard index + 1 < bytes.count else {
            index += 1
            throw unexpected(": expected an escape character after '\\'")
        }
        let decoded: UInt8
        switch bytes[index + 1] {
        case UInt8(ascii: "\""): decoded = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): decoded = UInt8(ascii: "\\")
        case UInt8(ascii: "/"): decoded = UInt8(ascii: "/")
        case UInt8(ascii: "b"): decoded = 0x08
        case UInt8(ascii: "f"): decoded = 0x0C
        case UInt8(ascii: "n"): decoded = 0x0A
        case UInt8(ascii: "r"): decoded = 0x0D
        case UInt8(ascii: "t"): decoded = 0x09
        case UInt8(ascii: "u"):
            index += 2
            var scalar = try parseHex4()
            if scalar >= 0xD800, scalar <= 0xDFFF {
                let hex = String(scalar, radix: 16, uppercase: true)
                let lone = JSONError.at(start, "lone surrogate \\u\(hex) in string")
                guard scalar <= 0xDBFF, index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u")
                else { throw lone }
                index += 2
                let low = try parseHex4()
                guard low >= 0xDC00, low <= 0xDFFF else { throw lone }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            // Never a surrogate here, so always a valid scalar.
            if let scalar = Unicode.Scalar(scalar) { scratch.append(contentsOf: scalar.utf8) }
            return
        default:
            index += 1
            throw unexpected(": not a valid escape after '\\'")
        }
        scratch.append(decoded)
        index += 2
    }

    /// Reads the four hex digits of a `\u` escape at the cursor.
    private mutating func parseHex4() throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw unexpected(": expected 4 hex digits after '\\u'") }
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw unexpected(": expected 4 hex digits after '\\u'")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Validates the multi-byte UTF-8 sequence at the cursor (RFC 3629: no overlong forms, no
    /// surrogates, nothing above U+10FFFF) and steps over it.
    private mutating func skipMultiByteScalar() throws(JSONError) {
        let length: Int
        let second: ClosedRange<UInt8>
        switch bytes[index] {
        case 0xC2...0xDF: (length, second) = (2, 0x80...0xBF)
        case 0xE0: (length, second) = (3, 0xA0...0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (length, second) = (3, 0x80...0xBF)
        case 0xED: (length, second) = (3, 0x80...0x9F)
        case 0xF0: (length, second) = (4, 0x90...0xBF)
        case 0xF1...0xF3: (length, second) = (4, 0x80...0xBF)
        case 0xF4: (length, second) = (4, 0x80...0x8F)
        default: throw invalidUTF8(at: index)
        }
        guard index + length <= bytes.count else { throw invalidUTF8(at: index) }
        guard second.contains(bytes[index + 1]) else { throw invalidUTF8(at: index) }
        for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 {
            throw invalidUTF8(at: index)
        }
        index += length
    }

    // MARK: Errors

    /// An error at the cursor naming the byte found there (or the end of input), then `context`.
    private func unexpected(_ context: String) -> JSONError {
        guard index < bytes.count else {
            return JSONError(message: "unexpected end of input at byte \(index)\(context)", offset: index)
        }
        let byte = bytes[index]
        let found: String
        if byte > 0x20, byte < 0x7F {
            found = "character '\(Character(Unicode.Scalar(byte)))'"
        } else {
            found = "byte 0x\(hex2(byte))"
        }
        return JSONError(message: "unexpected \(found) at byte \(index)\(context)", offset: index)
    }

    private func controlCharacter() -> JSONError {
        JSONError.at(index, "unescaped control character 0x\(hex2(bytes[index])) in string (use \\n, \\t or \\u00XX)")
    }

    private func invalidUTF8(at offset: Int) -> JSONError {
        JSONError.at(offset, "invalid UTF-8 byte 0x\(hex2(bytes[offset]))")
    }

    private func hex2(_ byte: UInt8) -> String {
        let text = String(byte, radix: 16, uppercase: true)
        return byte < 0x10 ? "0" + text : text
    }
}
