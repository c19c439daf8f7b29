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

    /// Decodes the value.
    /// - Throws: ``JSONError`` if the bytes are not JSON (a corrupt store or a faulty peer).
    public func decoded() throws(JSONError) -> JSONValue {
        try JSONValue(parsing: bytes)
    }
}
