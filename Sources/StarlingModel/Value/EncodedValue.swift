/// A JSON value in its canonical encoding: the exact bytes that are stored and replicated.
///
/// Values are validated and encoded once, at the API boundary; storage and replication move
/// these bytes without decoding or re-encoding them.
public struct EncodedValue: Sendable, Hashable {
    /// Canonical compact JSON text, UTF-8.
    public var bytes: [UInt8]

    /// Wraps bytes that are already canonical JSON (read back from storage or the wire).
    public init(canonicalBytes bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Encodes `value` canonically.
    public init(_ value: JSONValue) {
        self.bytes = value.encoded()
    }

    /// The encoding of an integer.
    public init(integer: Int64) {
        self.bytes = Array(String(integer).utf8)
    }

    /// The integer this value holds, or nil if it is not a JSON integer.
    public var integerValue: Int64? { JSONValue.integer(fromCanonical: bytes) }

    /// The integer a counter counts from when it increments this value: a JSON integer, or a
    /// JSON string holding a canonical decimal 64-bit integer (`"10"`, `"-3"`; not `"010"`,
    /// `"+1"` or `" 1"`), as Redis's `INCR` counts from a string `SET k 10` stored. Nil for
    /// anything else.
    public var counterBase: Int64? {
        if let integer = integerValue { return integer }
        // A canonical JSON string of digits and a sign is the digits between quotes: neither is escaped.
        guard bytes.count >= 3, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") else {
            return nil
        }
        return JSONValue.integer(fromCanonical: bytes.dropFirst().dropLast())
    }

    /// Decodes the value.
    /// - Throws: ``JSONError`` if the bytes are not JSON (a corrupt store or a faulty peer).
    public func decoded() throws(JSONError) -> JSONValue {
        try JSONValue(parsing: bytes)
    }
}
