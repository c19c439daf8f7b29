import NIOCore

/// Reads the primitive fields of the wire format from a buffer. Every read is bounds-checked
/// and throws ``WireError`` instead of trapping.
struct WireReader {
    /// The remaining bytes.
    var buffer: ByteBuffer

    init(_ buffer: ByteBuffer) {
        self.buffer = buffer
    }

    /// The number of bytes not read yet.
    var remaining: Int { buffer.readableBytes }

    mutating func u8(_ field: StaticString) throws(WireError) -> UInt8 { try integer(field) }
    mutating func u16(_ field: StaticString) throws(WireError) -> UInt16 { try integer(field) }
    mutating func u32(_ field: StaticString) throws(WireError) -> UInt32 { try integer(field) }
    mutating func u64(_ field: StaticString) throws(WireError) -> UInt64 { try integer(field) }
    mutating func i64(_ field: StaticString) throws(WireError) -> Int64 { try integer(field) }

    private mutating func integer<T: FixedWidthInteger>(_ field: StaticString) throws(WireError) -> T {
        guard let value = buffer.readInteger(endianness: .big, as: T.self) else {
            throw WireError(.truncated, "datagram ends inside \(field)")
        }
        return value
    }

    /// A flag byte: 0 is false, 1 is true, anything else is malformed.
    mutating func bool(_ field: StaticString) throws(WireError) -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let other: throw WireError(.malformed, "\(field) is \(other), expected 0 or 1")
        }
    }

    /// `count` raw bytes.
    mutating func bytes(_ count: Int, _ field: StaticString) throws(WireError) -> [UInt8] {
        guard count <= buffer.readableBytes, let bytes = buffer.readBytes(length: count) else {
            throw WireError(.truncated, "\(field) announces \(count) bytes, \(buffer.readableBytes) remain")
        }
        return bytes
    }

    /// A string: u16 length, then that many bytes of valid UTF-8.
    mutating func string(_ field: StaticString) throws(WireError) -> String {
        let length = Int(try u16(field))
        guard length <= buffer.readableBytes,
            let slice = buffer.readSlice(length: length)
        else {
            throw WireError(.truncated, "\(field) announces \(length) bytes, \(buffer.readableBytes) remain")
        }
        guard let string = String(validating: slice.readableBytesView, as: UTF8.self) else {
            throw WireError(.invalidUTF8, "\(field) is not valid UTF-8")
        }
        return string
    }

    /// An array: u16 count, then `count` elements read by `element`, each at least
    /// `minElementBytes` long (checked up front so a huge count fails before any work).
    mutating func array<Element>(
        _ field: StaticString, minElementBytes: Int, _ element: (inout WireReader) throws(WireError) -> Element
    ) throws(WireError) -> [Element] {
        let count = Int(try u16(field))
        guard count * minElementBytes <= buffer.readableBytes else {
            throw WireError(.truncated, "\(field) announces \(count) elements, \(buffer.readableBytes) bytes remain")
        }
        var elements: [Element] = []
        elements.reserveCapacity(count)
        for _ in 0..<count {
            elements.append(try element(&self))
        }
        return elements
    }
}

extension ByteBuffer {
    /// Writes a string field: u16 length and the UTF-8 bytes.
    /// - Precondition: the string is at most 65,535 UTF-8 bytes (callers validate lengths).
    mutating func writeWireString(_ string: String) {
        writeWireCount(string.utf8.count, "string")
        writeString(string)
    }

    /// Writes an array count as u16.
    /// - Precondition: `count` is at most 65,535.
    mutating func writeWireCount(_ count: Int, _ field: StaticString) {
        guard let count16 = UInt16(exactly: count) else {
            preconditionFailure("\(field) of \(count) exceeds the wire limit of 65,535")
        }
        writeInteger(count16, endianness: .big)
    }

    /// Writes a flag byte, 0 or 1.
    mutating func writeWireBool(_ flag: Bool) {
        writeInteger(flag ? 1 : 0 as UInt8)
    }
}

/// The encoded size of a string field.
func wireSize(of string: String) -> Int { 2 + string.utf8.count }
