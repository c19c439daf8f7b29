import Hummingbird
import NIOCore
import Starling
import StarlingCore

extension JSONFields {
    /// The JSON object of the body of `request`, at most `limit` bytes, with typed access to its
    /// fields. Every problem is an `INVALID` error naming the field, so a bad request changes
    /// nothing.
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
            self.init(members: [:], what: "the request body", failureKind: .invalid)
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
        self.init(members: members, what: "the request body", failureKind: .invalid)
    }
}
