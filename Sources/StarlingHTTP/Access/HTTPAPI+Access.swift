import Hummingbird
import Starling
import StarlingAccess
import StarlingCore

extension HTTPAPI {
    /// The token of `request` under ``Settings/policy``, or nil when there is no policy.
    /// ``AccessMiddleware`` has already refused requests without a valid token; this checks
    /// again so that a handler never acts for an unknown caller.
    /// - Throws: `UNAUTHENTICATED` if there is a policy and the request has no known token.
    func accessToken(_ request: Request) throws(StoreError) -> AccessPolicy.Token? {
        guard let policy = settings.policy else { return nil }
        guard let token = policy.token(for: AccessRequirement.bearerToken(request.headers[.authorization])) else {
            throw AccessRefusal.unauthenticated(request.headers[.authorization] != nil)
        }
        return token
    }

    /// Checks that the request's token allows `action` on every key of `keys` in `store`, for
    /// the routes whose keys are in the body. No-op without a policy.
    /// - Throws: `UNAUTHENTICATED` without a known token, `PERMISSION_DENIED` naming the first
    ///   key not allowed.
    func authorize(_ request: Request, _ action: AccessPolicy.Action, store: String, keys: some Sequence<String>)
        throws(StoreError)
    {
        guard let token = try accessToken(request) else { return }
        for key in keys where !token.allows(action, on: .key(store: store, key: key)) {
            throw AccessRefusal.denied(token: token, action: action, resource: .key(store: store, key: key))
        }
    }

    /// Which keys of `store` the request may see through a listing with `action`: every key
    /// without a policy, else those a rule of its token allows.
    /// - Throws: `UNAUTHENTICATED` without a known token.
    func visibleKeys(_ request: Request, _ action: AccessPolicy.Action, store: String) throws(StoreError)
        -> @Sendable (String) -> Bool
    {
        guard let token = try accessToken(request) else { return { _ in true } }
        return { token.allows(action, on: .key(store: store, key: $0)) }
    }

    /// `GET /v1/stores`: `{"stores": [...]}`, only the stores the token may `store.get`.
    func storeList(_ request: Request) throws(StoreError) -> JSONValue {
        let token = try accessToken(request)
        let names = node.storeNamesSorted.filter { token?.allows(.storeGet, on: .store($0)) ?? true }
        return ["stores": .array(names.map { .string($0) })]
    }
}
