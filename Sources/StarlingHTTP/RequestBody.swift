import Hummingbird
import NIOCore
import Starling
import StarlingCore

/// The JSON object of a request body, with typed access to its fields. Every problem is an
/// `INVALID` error naming the field, so a bad request changes nothing.
struct RequestBody {
    /// The members of the body object.
    let fields: [String: JSONValue]

    /// Reads and parses the body of `request`, at most `limit` bytes.
    /// - Parameters:
    ///   - allowed: the field names the endpoint accepts; any other is refused.
    ///   - allowEmpty: whether an empty body counts as `{}`.
    /// - Throws: `INVALID` for an oversized body, malformed JSON, a non-object or an unknown field.
    init(_ request: Request, limit: Int, allowed: Set<String>, allowEmpty: Bool = false) async throws(StoreError) {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw .invalid("the request body is larger than \(limit) bytes")
        } catch is NIOTooManyBytesError {
            throw .invalid("the request body is larger than \(limit) bytes")
        } catch {
            throw .invalid("the request body could not be read: \(error)")
        }
        let bytes = buffer.readableBytesView
        if allowEmpty, bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            fields = [:]
            return
        }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: bytes)
        } catch {
            throw .invalid("the request body is not valid JSON: \(error.message) at byte \(error.offset)")
        }
        guard case .object(let members) = value else { throw .invalid("the request body must be a JSON object") }
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw .invalid("unknown field \"\(unknown)\"; expected \(allowed.sorted().joined(separator: ", "))")
        }
        fields = members
    }

    /// The value of a required field (any JSON value, including null).
    func required(_ name: String) throws(StoreError) -> JSONValue {
        guard let value = fields[name] else { throw .invalid("the field \"\(name)\" is required") }
        return value
    }

    /// A required string field.
    func string(_ name: String) throws(StoreError) -> String {
        guard case .string(let text) = try required(name) else {
            throw .invalid("the field \"\(name)\" must be a string")
        }
        return text
    }

    /// An optional integer field; nil when absent or null.
    func integer(_ name: String) throws(StoreError) -> Int64? {
        switch fields[name] {
        case nil, .null?: return nil
        case .integer(let number)?: return number
        default: throw .invalid("the field \"\(name)\" must be an integer")
        }
    }

    /// An optional boolean field; nil when absent or null.
    func bool(_ name: String) throws(StoreError) -> Bool? {
        switch fields[name] {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        default: throw .invalid("the field \"\(name)\" must be a boolean")
        }
    }

    /// An optional string field; nil when absent or null.
    func optionalString(_ name: String) throws(StoreError) -> String? {
        switch fields[name] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw .invalid("the field \"\(name)\" must be a string")
        }
    }
}
