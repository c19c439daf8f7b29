import Hummingbird
import Starling
import StarlingAccess

/// What a request needs from the access policy, decided from its method and path alone
/// (APIContract.md, "Access control"). Pure: the mapping of every route of ``HTTPAPI`` to an action.
///
/// Routes whose keys are in the body (`expire`, `persist`, `incr`, `decr`, `mget`, `mset`) and listings
/// (`GET /v1/stores`, `list`, `keys`) are checked here against ``AccessPolicy/Resource/someKey(store:)``
/// or ``AccessPolicy/Resource/someStore``; their handlers then check each key or filter each
/// item. A route missing from the mapping is refused: new routes are closed until mapped.
enum AccessRequirement: Sendable, Hashable {
    /// Open to anyone (`GET /healthz`, `GET /openapi.json`).
    case open
    /// Any valid token (`GET /v1/cluster`, `GET /metrics`).
    case anyToken
    /// A token that allows the action on the resource.
    case action(AccessPolicy.Action, AccessPolicy.Resource)
    /// A malformed store path (bad percent-escape): 400 `INVALID` once the token is valid.
    case invalid(StoreError)
    /// A route the policy does not map: refused with 403 for every token.
    case unmapped

    /// The requirement of `method` on `path`.
    /// - Parameters:
    ///   - method: the request method.
    ///   - path: the request path, still percent-encoded, without the query.
    ///   - keyParameter: the decoded `key` query parameter (of `ttl`), if any.
    init(method: HTTPRequest.Method, path: String, keyParameter: String?) {
        switch (method, path) {
        case (.get, "/healthz"), (.get, "/openapi.json"): self = .open
        case (.get, "/v1/cluster"), (.get, "/metrics"): self = .anyToken
        case (.get, "/v1/stores"): self = .action(.storeGet, .someStore)
        default:
            do throws(StoreError) {
                self = try Self.storeRoute(method: method, path: path, ttlKey: keyParameter)
            } catch {
                self = .invalid(error)
            }
        }
    }

    /// The requirement of a route under `/v1/stores/{id}/`.
    private static func storeRoute(method: HTTPRequest.Method, path: String, ttlKey: String?) throws(StoreError)
        -> AccessRequirement
    {
        let parts = path.split(separator: "/", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count >= 5, parts[0].isEmpty, parts[1] == "v1", parts[2] == "stores" else { return .unmapped }
        let location = try StorePath(rawPath: path)
        let store = location.storeID
        if parts.count == 6 {
            guard parts[4] == "entries", let key = location.key else { return .unmapped }
            let resource = AccessPolicy.Resource.key(store: store, key: key)
            switch method {
            case .get: return .action(.keyGet, resource)
            case .head: return .action(.keyHas, resource)
            case .put: return .action(.keySet, resource)
            case .delete: return .action(.keyDelete, resource)
            default: return .unmapped
            }
        }
        switch (method, parts[4]) {
        case (.get, "info"), (.get, "stats"): return .action(.storeInfo, .store(store))
        case (.get, "entries"), (.get, "keys"), (.get, "watch"): return .action(.keyList, .someKey(store: store))
        case (.get, "ttl"):
            return .action(.keyList, ttlKey.map { .key(store: store, key: $0) } ?? .someKey(store: store))
        case (.post, "expire"), (.post, "persist"), (.post, "incr"), (.post, "decr"), (.post, "mset"):
            return .action(.keySet, .someKey(store: store))
        case (.post, "mget"): return .action(.keyGet, .someKey(store: store))
        case (.post, "clear"): return .action(.keyDelete, .everyKey(store: store))
        default: return .unmapped
        }
    }

    /// The token of an `Authorization: Bearer <token>` header value, or nil for a missing
    /// header, another scheme or an empty token. The scheme name is case-insensitive.
    /// - Parameter authorization: the header's value.
    /// - Returns: the token.
    static func bearerToken(_ authorization: String?) -> String? {
        guard let authorization else { return nil }
        let trimmed = authorization.drop { $0 == " " }
        guard trimmed.count > 7, trimmed.prefix(7).lowercased() == "bearer " else { return nil }
        let token = trimmed.dropFirst(7).drop { $0 == " " }
        let end = token.lastIndex { $0 != " " }.map { token.index(after: $0) } ?? token.startIndex
        let result = token[..<end]
        return result.isEmpty ? nil : String(result)
    }
}
