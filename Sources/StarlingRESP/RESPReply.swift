public import NIOCore

/// One reply of the Redis serialization protocol, written as RESP2 or RESP3.
///
/// RESP3 (after `HELLO 3`) has a null of its own and maps; in RESP2 the null is the null bulk
/// string `$-1` and a map is a flat array of keys and values, as Redis writes them.
public enum RESPReply: Sendable, Equatable {
    /// `+OK`: a short status.
    case simple(String)
    /// `-ERR …`: the first word is the error's code (`ERR`, `NOAUTH`, `NOPERM`, …).
    case error(String)
    /// `:42`.
    case integer(Int64)
    /// `$3\r\nabc`: binary-safe bytes.
    case bulk(ByteBuffer)
    /// A nil: RESP2 `$-1`, RESP3 `_`.
    case null
    /// `*n` and its elements.
    case array([RESPReply])
    /// RESP3 `%n` of key and value pairs; a flat array in RESP2.
    case map([(RESPReply, RESPReply)])

    /// A bulk string of the UTF-8 of `text`.
    public static func bulk(_ text: String) -> RESPReply {
        .bulk(ByteBuffer(string: text))
    }

    /// `+OK`.
    public static let ok = RESPReply.simple("OK")

    public static func == (lhs: RESPReply, rhs: RESPReply) -> Bool {
        switch (lhs, rhs) {
        case (.simple(let a), .simple(let b)), (.error(let a), .error(let b)): a == b
        case (.integer(let a), .integer(let b)): a == b
        case (.bulk(let a), .bulk(let b)): a == b
        case (.null, .null): true
        case (.array(let a), .array(let b)): a == b
        case (.map(let a), .map(let b)): a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }
}

extension ByteBuffer {
    /// Appends `reply` in RESP2 (`version` 2) or RESP3 (3).
    /// - Returns: the bytes written.
    @discardableResult
    public mutating func writeRESP(_ reply: RESPReply, version: Int) -> Int {
        let start = writerIndex
        switch reply {
        case .simple(let text):
            writeInteger(UInt8(ascii: "+"))
            writeLine(text)
        case .error(let text):
            writeInteger(UInt8(ascii: "-"))
            writeLine(text)
        case .integer(let value):
            writeInteger(UInt8(ascii: ":"))
            writeDecimal(value)
            writeCRLF()
        case .bulk(var bytes):
            writeInteger(UInt8(ascii: "$"))
            writeDecimal(Int64(bytes.readableBytes))
            writeCRLF()
            writeBuffer(&bytes)
            writeCRLF()
        case .null:
            if version >= 3 {
                writeStaticString("_\r\n")
            } else {
                writeStaticString("$-1\r\n")
            }
        case .array(let elements):
            writeInteger(UInt8(ascii: "*"))
            writeDecimal(Int64(elements.count))
            writeCRLF()
            for element in elements { writeRESP(element, version: version) }
        case .map(let pairs):
            writeInteger(version >= 3 ? UInt8(ascii: "%") : UInt8(ascii: "*"))
            writeDecimal(Int64(version >= 3 ? pairs.count : pairs.count * 2))
            writeCRLF()
            for (key, value) in pairs {
                writeRESP(key, version: version)
                writeRESP(value, version: version)
            }
        }
        return writerIndex - start
    }

    /// A simple string or error line: CR and LF inside it would end the line early, so they
    /// become spaces.
    private mutating func writeLine(_ text: String) {
        for byte in text.utf8 {
            writeInteger(byte == 13 || byte == 10 ? UInt8(ascii: " ") : byte)
        }
        writeCRLF()
    }

    private mutating func writeCRLF() {
        writeInteger(UInt16(0x0D0A))
    }

    /// Writes `value` in decimal without making a `String`.
    private mutating func writeDecimal(_ value: Int64) {
        if value < 0 { writeInteger(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            repeat {
                raw[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            writeBytes(UnsafeRawBufferPointer(rebasing: raw[(20 - count)...]))
        }
    }
}
