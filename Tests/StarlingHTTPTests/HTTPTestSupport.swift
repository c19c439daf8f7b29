import Hummingbird
import HummingbirdTesting
import NIOCore
import Starling
import StarlingCore
import StarlingHTTP
import StarlingTestKit
import Testing

/// A response as the tests look at it: the status and the parsed JSON body (nil when empty).
struct APIResponse {
    var status: HTTPResponse.Status
    var json: JSONValue?
    var contentType: String?

    /// The error kind of an error body, or nil.
    var errorKind: String? {
        guard case .object(let top)? = json, case .object(let error)? = top["error"],
            case .string(let kind)? = error["kind"]
        else { return nil }
        return kind
    }

    /// `json[name]` of an object body.
    subscript(_ name: String) -> JSONValue? {
        guard case .object(let members)? = json else { return nil }
        return members[name]
    }
}

/// Sends requests to the API of one test node through Hummingbird's router test framework.
struct APIClient: Sendable {
    let client: any TestClientProtocol

    /// Sends `method uri` with `body` (raw text) and parses the JSON answer.
    func send(_ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil) async throws -> APIResponse {
        let response = try await client.execute(
            uri: uri, method: method, body: body.map { ByteBuffer(string: $0) })
        let bytes = Array(response.body.readableBytesView)
        let json: JSONValue? = bytes.isEmpty ? Optional.none : try JSONValue(parsing: bytes)
        return APIResponse(status: response.status, json: json, contentType: response.headers[.contentType])
    }
}

/// Runs `body` against the API of a fresh test node.
func withAPI(
    settings: HTTPAPI.Settings = HTTPAPI.Settings(),
    _ body: @escaping @Sendable (APIClient, Node, Store) async throws -> Void
) async throws {
    try await TestNode.with { node, store, _ in
        let app = Application(router: HTTPAPI(node: node, settings: settings).buildRouter())
        try await app.test(.router) { client in try await body(APIClient(client: client), node, store) }
    }
}
