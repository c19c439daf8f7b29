/// Percent-encoding of the parts of a request URL (RFC 3986): everything but the unreserved
/// characters `A-Z a-z 0-9 - . _ ~` is written as `%XX` of its UTF-8 bytes.
enum PercentEncoding {
    /// A key as the rest of an entry path: `/` kept, so keys may contain it.
    static func keyPath(_ key: String) -> String { encode(key, keeping: UInt8(ascii: "/")) }

    /// One path segment, such as a store id: `/` encoded too.
    static func pathSegment(_ text: String) -> String { encode(text, keeping: nil) }

    /// A query parameter value: `/` encoded too, and `+` and `&` with it.
    static func queryValue(_ text: String) -> String { encode(text, keeping: nil) }

    /// A query string `?name=value&...` of the given parameters, in order, without those whose
    /// value is nil; the empty string when none remain.
    static func query(_ parameters: [(String, String?)]) -> String {
        let pairs = parameters.compactMap { name, value in value.map { "\(name)=\(queryValue($0))" } }
        return pairs.isEmpty ? "" : "?" + pairs.joined(separator: "&")
    }

    private static func encode(_ text: String, keeping extra: UInt8?) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) || byte == extra {
                bytes.append(byte)
            } else {
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hexDigit(byte >> 4))
                bytes.append(hexDigit(byte & 0xF))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10
    }
}
