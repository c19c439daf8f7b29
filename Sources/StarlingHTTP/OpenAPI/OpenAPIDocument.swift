import Hummingbird
import NIOCore

/// The OpenAPI 3.1 document of the HTTP API (`OpenAPI/openapi.json` beside this file), served at
/// `GET /openapi.json`. APIContract.md is the normative contract; the document describes it for tools
/// (client generators, schemathesis), and a test checks it against the live routes.
package enum OpenAPIDocument {
    /// The document's bytes, as compiled into the binary.
    package static var bytes: [UInt8] { PackageResources.openapi_json }

    /// `200` with the document.
    static func response() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
