import Hummingbird
import Logging
import Starling
import StarlingAccess

/// Enforces an ``AccessPolicy`` before any route runs: 401 `UNAUTHENTICATED` (with
/// `WWW-Authenticate: Bearer`) without a known bearer token, 403 `PERMISSION_DENIED` when the
/// token does not allow the route's ``AccessRequirement``. `GET /healthz` and `GET /openapi.json` stay open.
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The policy enforced.
    let policy: AccessPolicy

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let requirement = AccessRequirement(
            method: request.method, path: request.uri.path,
            keyParameter: request.uri.queryParameters["key"].map(String.init))
        if requirement == .open { return try await next(request, context) }
        guard let token = policy.token(for: AccessRequirement.bearerToken(request.headers[.authorization])) else {
            context.logger.info("access refused: no valid bearer token", metadata: ["path": "\(request.uri.path)"])
            return Self.refusal(request, AccessRefusal.unauthenticated(request.headers[.authorization] != nil))
        }
        switch requirement {
        case .open, .anyToken:
            return try await next(request, context)
        case .action(let action, let resource) where token.allows(action, on: resource):
            return try await next(request, context)
        case .action(let action, let resource):
            context.logger.info(
                "access denied", metadata: ["token": "\(token.name)", "action": "\(action)", "resource": "\(resource)"])
            return Self.refusal(request, AccessRefusal.denied(token: token, action: action, resource: resource))
        case .invalid(let error):
            return Self.refusal(request, error)
        case .unmapped:
            context.logger.info("access denied: unmapped route", metadata: ["token": "\(token.name)"])
            let message = "\(request.method) \(request.uri.path) is not a route the access policy covers"
            return Self.refusal(request, StoreError(.permissionDenied, message))
        }
    }

    /// The error response; without a body for HEAD, like every HEAD answer of the API.
    private static func refusal(_ request: Request, _ error: StoreError) -> Response {
        let response = JSONResponse.error(error)
        guard request.method == .head else { return response }
        return Response(status: response.status, headers: response.headers)
    }
}

/// The errors of refused requests, shared by the middleware and the handlers.
enum AccessRefusal {
    /// 401 `UNAUTHENTICATED`: `presented` tells whether a token was sent but is not known.
    static func unauthenticated(_ presented: Bool) -> StoreError {
        StoreError(
            .unauthenticated,
            presented
                ? "the Authorization header holds no bearer token known to the access policy"
                : "a bearer token is required: send Authorization: Bearer <token>")
    }

    /// 403 `PERMISSION_DENIED` naming the token (never its secret), the action and the resource.
    static func denied(token: AccessPolicy.Token, action: AccessPolicy.Action, resource: AccessPolicy.Resource)
        -> StoreError
    {
        StoreError(.permissionDenied, "the token \"\(token.name)\" does not allow \(action) on \(resource)")
    }
}
