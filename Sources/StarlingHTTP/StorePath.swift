import Starling

/// The store id and key of a request path `/v1/stores/{id}/...[/entries/{key...}]`, each
/// percent-decoded from the raw path so that an encoded `/` (`%2F`) stays inside the key.
struct StorePath: Sendable, Hashable {
    /// The store id.
    var storeID: String
    /// The key: the rest of the path after `entries/`, or nil for other routes.
    var key: String?

    /// Parses a raw (still percent-encoded) request path.
    /// - Throws: `INVALID` for a path that is not a store path or has bad percent-encoding.
    init(rawPath: String) throws(StoreError) {
        let parts = rawPath.split(separator: "/", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].isEmpty, parts[1] == "v1", parts[2] == "stores" else {
            throw .invalid("the path \(rawPath) is not a store path")
        }
        storeID = try Self.percentDecoded(parts[3])
        if parts.count == 6, parts[4] == "entries" {
            key = try Self.percentDecoded(parts[5])
        }
    }

    /// `text` with every `%XX` escape decoded; `+` stays `+`.
    /// - Throws: `INVALID` for a malformed escape or bytes that are not UTF-8.
    static func percentDecoded(_ text: Substring) throws(StoreError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw .invalid("the path has a malformed percent-escape")
            }
            bytes.append(high << 4 | low)
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw .invalid("the percent-decoded path is not UTF-8")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
