import Hummingbird
import Starling

/// Answers errors thrown outside the API's handlers — no route for the path, a body Hummingbird
/// refused — with the API's JSON error body, so every failure a client sees has the same shape.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            return JSONResponse.error(Self.storeError(error.status, request: request))
        }
    }

    /// The store error answering an HTTP failure `status` of `request`.
    static func storeError(_ status: HTTPResponse.Status, request: Request) -> StoreError {
        switch status {
        case .notFound:
            .notFound("no route for \(request.method) \(request.uri.path); see GET /v1/stores")
        case .methodNotAllowed:
            .invalid("\(request.method) is not allowed on \(request.uri.path)")
        case .unauthorized:
            StoreError(.unauthenticated, "this request needs a valid bearer token")
        case .forbidden:
            StoreError(.permissionDenied, "this request is not allowed")
        case .serviceUnavailable:
            StoreError(.unavailable, "the server cannot answer right now; retry")
        case _ where status.kind == .clientError:
            .invalid("the request was refused: \(status.code) \(status.reasonPhrase)")
        default:
            .internal("the server failed with \(status.code) \(status.reasonPhrase); please report this")
        }
    }
}
