import Hummingbird
import NIOCore
import Starling
import StarlingCore

/// Builds the API's JSON responses: bodies by the canonical ``JSONValue`` encoder, errors as
/// `{"error": {"kind", "message", "retryable"}}` with the status of their kind.
enum JSONResponse {
    /// A response with `status` and `value` as its body.
    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        let bytes = value.encoded()
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// 200 with `value` as its body.
    static func ok(_ value: JSONValue) -> Response { json(.ok, value) }

    /// The response of a failed call.
    /// An `UNAUTHENTICATED` one carries `WWW-Authenticate: Bearer`.
    static func error(_ error: StoreError) -> Response {
        var response = json(
            status(of: error.kind),
            [
                "error": [
                    "kind": .string(error.kind.name),
                    "message": .string(error.message),
                    "retryable": .bool(error.isRetryable),
                ]
            ])
        if error.kind == .unauthenticated { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }

    /// The HTTP status of an error kind (APIContract.md, "Errors").
    static func status(of kind: StoreError.Kind) -> HTTPResponse.Status {
        switch kind.name {
        case "INVALID": .badRequest
        case "NOT_FOUND": .notFound
        case "ALREADY_EXISTS", "CONFLICT": .conflict
        case "PERMISSION_DENIED": .forbidden
        case "UNAUTHENTICATED": .unauthorized
        case "UNAVAILABLE": .serviceUnavailable
        default: .internalServerError
        }
    }
}
