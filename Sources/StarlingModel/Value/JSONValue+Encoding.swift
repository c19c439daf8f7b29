extension JSONValue {
    /// The canonical compact encoding of this value, as UTF-8 bytes.
    ///
    /// Canonical means equal values encode to identical bytes however they were written:
    /// no whitespace; object keys sorted bytewise by their UTF-8; integers in decimal; doubles
    /// in Swift's shortest round-trip form, always with a `.` or an exponent so they parse back
    /// as ``number(_:)`` (non-finite doubles become `null`); strings escape only `"`, `\` and
    /// control characters (`\b \f \n \r \t`, others as `\u00XX`), everything else is raw UTF-8.
    /// - Returns: JSON text that `init(parsing:maxDepth:)` reads back as
    ///   an equal value when ``isFinite`` is true.
    public func encoded() -> [UInt8] {
        var buffer: [UInt8] = []
        encode(into: &buffer)
        return buffer
    }

    /// Appends the canonical compact encoding of this value (see ``encoded()``) to `buffer`.
    /// - Parameter buffer: The bytes to append to; existing contents are kept.
    public func encode(into buffer: inout [UInt8]) {
        switch self {
        case .null:
            appendASCII("null", to: &buffer)
        case .bool(let value):
            appendASCII(value ? "true" : "false", to: &buffer)
        case .integer(let value):
            appendDecimal(value, to: &buffer)
        case .number(let value):
            appendDouble(value, to: &buffer)
        case .string(let value):
            appendString(value, to: &buffer)
        case .array(let elements):
            buffer.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { buffer.append(UInt8(ascii: ",")) }
                element.encode(into: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        case .object(let members):
            buffer.append(UInt8(ascii: "{"))
            let sorted = members.sorted { utf8Precedes($0.key, $1.key) }
            for (position, member) in sorted.enumerated() {
                if position > 0 { buffer.append(UInt8(ascii: ",")) }
                appendString(member.key, to: &buffer)
                buffer.append(UInt8(ascii: ":"))
                member.value.encode(into: &buffer)
            }
            buffer.append(UInt8(ascii: "}"))
        }
    }

    /// The integer that `bytes` encode, if they are exactly the canonical encoding of an
    /// ``integer(_:)`` (`-?(0|[1-9][0-9]*)` within `Int64`, never `-0`); nil otherwise.
    ///
    /// Allocates nothing: for reading counters without decoding a whole value.
    /// - Parameter bytes: Canonical JSON text, e.g. the bytes of `-42`.
    /// - Returns: The integer, or nil if `bytes` hold any other value or are not canonical.
    public static func integer(fromCanonical bytes: some Collection<UInt8>) -> Int64? {
        if let result = bytes.withContiguousStorageIfAvailable({ canonicalInteger(in: $0) }) {
            return result
        }
        return canonicalInteger(in: bytes)
    }
}

/// Shared body of ``JSONValue/integer(fromCanonical:)``.
private func canonicalInteger(in bytes: some Collection<UInt8>) -> Int64? {
    var iterator = bytes.makeIterator()
    guard var byte = iterator.next() else { return nil }
    let negative = byte == UInt8(ascii: "-")
    if negative {
        guard let next = iterator.next() else { return nil }
        byte = next
    }
    if byte == UInt8(ascii: "0") {
        // Only "0" itself: "-0" and leading zeros are not canonical.
        return !negative && iterator.next() == nil ? 0 : nil
    }
    var magnitude: UInt64 = 0
    var current: UInt8? = byte
    while let digit = current {
        let value = digit &- UInt8(ascii: "0")
        guard value < 10 else { return nil }
        let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
        let (sum, o2) = times10.addingReportingOverflow(UInt64(value))
        guard !o1, !o2 else { return nil }
        magnitude = sum
        current = iterator.next()
    }
    if negative {
        guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
        return Int64(truncatingIfNeeded: 0 &- magnitude)
    }
    guard magnitude <= UInt64(Int64.max) else { return nil }
    return Int64(magnitude)
}

/// Whether `lhs` sorts before `rhs` comparing their UTF-8 bytes (not Swift's `<`, which
/// compares by canonical equivalence).
private func utf8Precedes(_ lhs: String, _ rhs: String) -> Bool {
    let fast = lhs.utf8.withContiguousStorageIfAvailable { left in
        rhs.utf8.withContiguousStorageIfAvailable { right in
            left.lexicographicallyPrecedes(right)
        }
    }
    if let fast, let result = fast { return result }
    return lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
}

private func appendASCII(_ text: StaticString, to buffer: inout [UInt8]) {
    buffer.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
}

/// Appends `value` in decimal without going through `String`.
private func appendDecimal(_ value: Int64, to buffer: inout [UInt8]) {
    if value < 0 { buffer.append(UInt8(ascii: "-")) }
    var magnitude = value.magnitude
    var divisor: UInt64 = 1
    while magnitude / divisor >= 10 { divisor *= 10 }
    repeat {
        buffer.append(UInt8(ascii: "0") + UInt8(magnitude / divisor))
        magnitude %= divisor
        divisor /= 10
    } while divisor > 0
}

/// Appends a finite double in Swift's shortest round-trip form, always with a `.` or an
/// exponent; a non-finite double as `null`.
private func appendDouble(_ value: Double, to buffer: inout [UInt8]) {
    guard value.isFinite else {
        appendASCII("null", to: &buffer)
        return
    }
    let text = value.description
    var needsFraction = true
    for byte in text.utf8 {
        if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            needsFraction = false
        }
        buffer.append(byte)
    }
    if needsFraction { appendASCII(".0", to: &buffer) }
}

/// Appends `value` as a JSON string: quotes, `"` and `\` escaped, control characters escaped,
/// everything else raw UTF-8.
private func appendString(_ value: String, to buffer: inout [UInt8]) {
    buffer.append(UInt8(ascii: "\""))
    if value.utf8.withContiguousStorageIfAvailable({ appendEscaped($0, to: &buffer) }) == nil {
        appendEscaped(Array(value.utf8), to: &buffer)
    }
    buffer.append(UInt8(ascii: "\""))
}

private func appendEscaped(_ bytes: some Collection<UInt8>, to buffer: inout [UInt8]) {
    var runStart = bytes.startIndex
    var index = bytes.startIndex
    while index != bytes.endIndex {
        let byte = bytes[index]
        guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
            bytes.formIndex(after: &index)
            continue
        }
        buffer.append(contentsOf: bytes[runStart..<index])
        buffer.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): buffer.append(byte)
        case 0x08: buffer.append(UInt8(ascii: "b"))
        case 0x0C: buffer.append(UInt8(ascii: "f"))
        case 0x0A: buffer.append(UInt8(ascii: "n"))
        case 0x0D: buffer.append(UInt8(ascii: "r"))
        case 0x09: buffer.append(UInt8(ascii: "t"))
        default:
            appendASCII("u00", to: &buffer)
            buffer.append(hexDigit(byte >> 4))
            buffer.append(hexDigit(byte & 0xF))
        }
        bytes.formIndex(after: &index)
        runStart = index
    }
    buffer.append(contentsOf: bytes[runStart..<index])
}

/// The lowercase hex digit for a nibble.
private func hexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
}
