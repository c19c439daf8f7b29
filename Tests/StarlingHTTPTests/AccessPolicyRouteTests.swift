import Hummingbird
import HummingbirdTesting
import NIOCore
import Prometheus
import Starling
import StarlingAccess
import StarlingCore
import StarlingHTTP
import StarlingTestKit
import Testing

/// A request of the route sweep: method, URI and body.
struct RouteCase: Sendable, CustomStringConvertible {
    var method: HTTPRequest.Method
    var uri: String
    var body: String?

    init(_ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil) {
        self.method = method
        self.uri = uri
        self.body = body
    }

    var description: String { "\(method) \(uri)" }
}

/// Sends requests with an optional bearer token.
struct TokenClient: Sendable {
    let client: any TestClientProtocol

    /// The response to `route` with `Authorization: Bearer <token>` when `token` is not nil.
    func send(_ route: RouteCase, token: String?) async throws -> (APIResponse, HTTPFields) {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        let response = try await client.execute(
            uri: route.uri, method: route.method, headers: headers, body: route.body.map { ByteBuffer(string: $0) })
        let bytes = Array(response.body.readableBytesView)
        let json: JSONValue? = bytes.isEmpty ? Optional.none : try JSONValue(parsing: bytes)
        let parsed = APIResponse(status: response.status, json: json, contentType: response.headers[.contentType])
        return (parsed, response.headers)
    }

    /// The response to `method uri` with `token`.
    func send(_ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil, token: String?) async throws
        -> APIResponse
    {
        try await send(RouteCase(method, uri, body), token: token).0
    }
}

/// Runs `body` against the API of a node hosting `default`, `app:cache` and `secret`, under
/// ``testPolicyText``, with `public/a`, `public/b`, `private/c` and `tmp/d` in `app:cache`.
/// `extraRoutes` adds routes after the API's; `metrics` turns on `/metrics`.
func withPolicyAPI(
    metrics: PrometheusCollectorRegistry? = nil,
    extraRoutes: @escaping @Sendable (Router<BasicRequestContext>) -> Void = { _ in },
    _ body: @escaping @Sendable (TokenClient, Node, Store) async throws -> Void
) async throws {
    var nodeSettings = Node.Settings()
    nodeSettings.stores = ["default", "app:cache", "secret"]
    try await TestNode.with(settings: nodeSettings) { node, _, _ in
        let store = try node.store("app:cache")
        _ = try await store.mset(["public/a": 1, "public/b": 2, "private/c": 3, "tmp/d": 4])
        var settings = HTTPAPI.Settings()
        settings.policy = try AccessPolicy(tomlText: testPolicyText)
        settings.metrics = metrics
        let router = HTTPAPI(node: node, settings: settings).buildRouter()
        extraRoutes(router)
        let app = Application(router: router, logger: TestNode.quietLogger)
        try await app.test(.router) { client in try await body(TokenClient(client: client), node, store) }
    }
}

@Suite("Access policy: HTTP routes", .showsLogsOnFailure)
struct AccessPolicyRouteTests {
    static let reader = "reader-secret"
    static let writer = "writer-secret"
    static let tmpWriter = "tmp-secret"

    /// Every route of the API except `/healthz`, on `app:cache`.
    static let routes: [RouteCase] = [
        RouteCase(.get, "/v1/stores"),
        RouteCase(.get, "/v1/cluster"),
        RouteCase(.get, "/v1/stores/app:cache/info"),
        RouteCase(.get, "/v1/stores/app:cache/stats"),
        RouteCase(.get, "/v1/stores/app:cache/entries/public/a"),
        RouteCase(.head, "/v1/stores/app:cache/entries/public/a"),
        RouteCase(.put, "/v1/stores/app:cache/entries/public/a", #"{"value": 9}"#),
        RouteCase(.delete, "/v1/stores/app:cache/entries/public/a"),
        RouteCase(.get, "/v1/stores/app:cache/entries"),
        RouteCase(.get, "/v1/stores/app:cache/keys"),
        RouteCase(.get, "/v1/stores/app:cache/ttl?key=public/a"),
        RouteCase(.post, "/v1/stores/app:cache/expire", #"{"key": "public/a", "ttl": 5}"#),
        RouteCase(.post, "/v1/stores/app:cache/incr", #"{"key": "public/a"}"#),
        RouteCase(.post, "/v1/stores/app:cache/decr", #"{"key": "public/a"}"#),
        RouteCase(.post, "/v1/stores/app:cache/mget", #"{"keys": ["public/a"]}"#),
        RouteCase(.post, "/v1/stores/app:cache/mset", #"{"entries": {"public/a": 9}}"#),
        RouteCase(.post, "/v1/stores/app:cache/clear"),
    ]

    @Test("no token or a bad token: every route but /healthz answers 401 with WWW-Authenticate, and nothing changes")
    func unauthenticated() async throws {
        try await withPolicyAPI { api, _, store in
            #expect(try await api.send(.get, "/healthz", token: nil).json == ["status": "ok"])
            for route in Self.routes {
                for token in [nil, "wrong", ""] as [String?] {
                    let (response, headers) = try await api.send(route, token: token)
                    #expect(response.status == .unauthorized, "\(route) token \(token ?? "none")")
                    #expect(headers[.wwwAuthenticate] == "Bearer", "\(route)")
                    if route.method != .head {
                        #expect(response.errorKind == "UNAUTHENTICATED", "\(route)")
                        #expect(response.contentType == "application/json")
                    }
                }
            }
            #expect(try store.keys() == ["private/c", "public/a", "public/b", "tmp/d"])
            #expect(try store.get("public/a") == 1)
            // Another scheme is not a bearer token.
            var headers = HTTPFields()
            headers[.authorization] = "Basic cmVhZGVyLXNlY3JldA=="
            let basic = try await api.client.execute(uri: "/v1/stores", method: .get, headers: headers)
            #expect(basic.status == .unauthorized)
        }
    }

    @Test("the reader: reads of public keys pass, every write and every other key is 403 and changes nothing")
    func reader() async throws {
        try await withPolicyAPI { api, _, store in
            let reader = Self.reader
            #expect(try await api.send(.get, "/v1/stores", token: reader)["stores"] == ["app:cache"])
            #expect(try await api.send(.get, "/v1/cluster", token: reader).status == .ok)
            #expect(try await api.send(.get, "/v1/stores/app:cache/info", token: reader)["id"] == "app:cache")
            #expect(try await api.send(.get, "/v1/stores/app:cache/stats", token: reader)["total_keys"] == 4)
            #expect(try await api.send(.get, "/v1/stores/app:cache/entries/public/a", token: reader)["value"] == 1)
            #expect(try await api.send(.head, "/v1/stores/app:cache/entries/public/a", token: reader).status == .ok)
            let absent = try await api.send(.head, "/v1/stores/app:cache/entries/public/zz", token: reader)
            #expect(absent.status == .notFound)
            #expect(try await api.send(.get, "/v1/stores/app:cache/ttl?key=public/a", token: reader)["ttl"] == -1)
            let mget = try await api.send(
                .post, "/v1/stores/app:cache/mget", #"{"keys": ["public/b", "public/a"]}"#, token: reader)
            #expect(mget.json == ["values": [2, 1]])

            let denied: [RouteCase] = [
                RouteCase(.get, "/v1/stores/default/info"),
                RouteCase(.get, "/v1/stores/secret/stats"),
                RouteCase(.get, "/v1/stores/app:cache/entries/private/c"),
                RouteCase(.head, "/v1/stores/app:cache/entries/private/c"),
                RouteCase(.get, "/v1/stores/default/entries/public/a"),
                RouteCase(.get, "/v1/stores/app:cache/ttl?key=private/c"),
                RouteCase(.get, "/v1/stores/default/keys"),
                RouteCase(.get, "/v1/stores/secret/entries"),
                RouteCase(.post, "/v1/stores/app:cache/mget", #"{"keys": ["public/a", "private/c"]}"#),
                RouteCase(.put, "/v1/stores/app:cache/entries/public/a", #"{"value": 9}"#),
                RouteCase(.delete, "/v1/stores/app:cache/entries/public/a"),
                RouteCase(.post, "/v1/stores/app:cache/expire", #"{"key": "public/a", "ttl": 5}"#),
                RouteCase(.post, "/v1/stores/app:cache/incr", #"{"key": "public/a"}"#),
                RouteCase(.post, "/v1/stores/app:cache/decr", #"{"key": "public/a"}"#),
                RouteCase(.post, "/v1/stores/app:cache/mset", #"{"entries": {"public/a": 9}}"#),
                RouteCase(.post, "/v1/stores/app:cache/clear"),
            ]
            for route in denied {
                let (response, _) = try await api.send(route, token: reader)
                #expect(response.status == .forbidden, "\(route)")
                if route.method != .head {
                    #expect(response.errorKind == "PERMISSION_DENIED", "\(route)")
                }
            }
            #expect(try store.keys() == ["private/c", "public/a", "public/b", "tmp/d"])
            #expect(try store.get("public/a") == 1)
            #expect(try store.ttl("public/a") == -1)
        }
    }

    @Test("the writer may do everything on its stores but not on others")
    func writer() async throws {
        try await withPolicyAPI { api, node, store in
            let writer = Self.writer
            #expect(try await api.send(.get, "/v1/stores", token: writer)["stores"] == ["app:cache", "default"])
            for route in Self.routes {
                let (response, _) = try await api.send(route, token: writer)
                #expect(response.status == .ok, "\(route): \(String(describing: response.json))")
            }
            #expect(try store.keys() == [], "the sweep ended with clear")
            let secret = try await api.send(.put, "/v1/stores/secret/entries/k", #"{"value": 1}"#, token: writer)
            #expect(secret.status == .forbidden)
            #expect(secret.errorKind == "PERMISSION_DENIED")
            #expect(try node.store("secret").get("k") == nil)
            #expect(try await api.send(.get, "/v1/stores/secret/info", token: writer).status == .forbidden)
            // A store the rules match but the node does not host is 404 after authorization.
            #expect(try await api.send(.get, "/v1/stores/app:nope/info", token: writer).errorKind == "NOT_FOUND")
        }
    }

    @Test("list and keys return only the keys the token may list")
    func filteredListings() async throws {
        try await withPolicyAPI { api, _, _ in
            let keys = try await api.send(.get, "/v1/stores/app:cache/keys", token: Self.reader)
            #expect(keys.json == ["keys": ["public/a", "public/b"]])
            let pattern = try await api.send(.get, "/v1/stores/app:cache/keys?pattern=p*", token: Self.reader)
            #expect(pattern.json == ["keys": ["public/a", "public/b"]])
            let list = try await api.send(.get, "/v1/stores/app:cache/entries", token: Self.reader)
            guard case .array(let items)? = list["items"] else {
                Issue.record("no items")
                return
            }
            #expect(
                items.compactMap { item -> JSONValue? in
                    guard case .object(let members) = item else { return nil }
                    return members["key"]
                } == ["public/a", "public/b"])
            #expect(list["has_more"] == false)
            let all = try await api.send(.get, "/v1/stores/app:cache/keys", token: Self.writer)
            #expect(all.json == ["keys": ["private/c", "public/a", "public/b", "tmp/d"]])
        }
    }

    @Test("paging a filtered list: no cursor or has_more reveals a key the token may not list")
    func filteredCursorsRevealNothing() async throws {
        try await withPolicyAPI { api, _, store in
            // Keys in order: private/c, public/a, public/b, tmp/d; the reader may list public/* only.
            // The cursor once was the raw last key scanned: base64 of private/c on an empty first page.
            var after: String?
            var seen: [JSONValue] = []
            var cursors: [String] = []
            for _ in 0..<5 {
                let query = after.map { "?limit=1&after=\($0)" } ?? "?limit=1"
                let page = try await api.send(.get, "/v1/stores/app:cache/entries\(query)", token: Self.reader)
                #expect(page.status == .ok)
                guard case .array(let items)? = page["items"] else {
                    Issue.record("no items")
                    return
                }
                seen += items.compactMap { item -> JSONValue? in
                    guard case .object(let members) = item else { return nil }
                    return members["key"]
                }
                guard page["has_more"] == true, case .string(let cursor)? = page["cursor"] else {
                    #expect(page["cursor"] == .null)
                    break
                }
                cursors.append(cursor)
                after = cursor
            }
            #expect(seen == ["public/a", "public/b"], "each page holds a visible key, and none is missing")
            #expect(cursors.count == 1, "no page past public/b: tmp/d must not make has_more true")
            // The one cursor given out is the last visible key returned, as the library pages it.
            let direct = try store.list(prefix: "", after: nil, limit: 1, where: { $0.hasPrefix("public/") })
            #expect(direct.items.map(\.key) == ["public/a"])
            #expect(cursors == [direct.cursor].compactMap { $0 })
            let unfiltered = try store.list(prefix: "", after: nil, limit: 1)
            #expect(unfiltered.cursor != direct.cursor, "the unfiltered first page ends at private/c")
        }
    }

    @Test("a token limited to tmp/* keys: writes elsewhere, a mixed mset and clear are 403 and store nothing")
    func deniedWritesStoreNothing() async throws {
        try await withPolicyAPI { api, _, store in
            let token = Self.tmpWriter
            let allowed = try await api.send(.put, "/v1/stores/app:cache/entries/tmp/e", #"{"value": 5}"#, token: token)
            #expect(allowed.status == .ok)
            #expect(try store.get("tmp/e") == 5)
            let put = try await api.send(
                .put, "/v1/stores/app:cache/entries/public/new", #"{"value": 5}"#, token: token)
            #expect(put.status == .forbidden)
            let mset = try await api.send(
                .post, "/v1/stores/app:cache/mset", #"{"entries": {"tmp/f": 1, "public/g": 2}}"#, token: token)
            #expect(mset.status == .forbidden)
            #expect(mset.errorKind == "PERMISSION_DENIED")
            let incr = try await api.send(.post, "/v1/stores/app:cache/incr", #"{"key": "public/a"}"#, token: token)
            #expect(incr.status == .forbidden)
            let clear = try await api.send(.post, "/v1/stores/app:cache/clear", token: token)
            #expect(clear.status == .forbidden)
            // No rule of this token grants store.get, so even the store listing is refused.
            #expect(try await api.send(.get, "/v1/stores", token: token).errorKind == "PERMISSION_DENIED")
            #expect(try store.get("public/new") == nil)
            #expect(try store.get("tmp/f") == nil)
            #expect(try store.get("public/g") == nil)
            #expect(try store.get("public/a") == 1)
            #expect(try store.keys() == ["private/c", "public/a", "public/b", "tmp/d", "tmp/e"])
            #expect(try await api.send(.delete, "/v1/stores/app:cache/entries/tmp/d", token: token)["deleted"] == true)
        }
    }

    @Test("percent-encoded store ids and keys are checked as the handlers decode them")
    func percentEncoding() async throws {
        try await withPolicyAPI { api, _, store in
            let get = try await api.send(.get, "/v1/stores/app%3Acache/entries/public%2Fa", token: Self.reader)
            #expect(get["value"] == 1)
            let denied = try await api.send(.get, "/v1/stores/app%3Acache/entries/private%2Fc", token: Self.reader)
            #expect(denied.errorKind == "PERMISSION_DENIED")
            let ttl = try await api.send(.get, "/v1/stores/app:cache/ttl?key=private%2Fc", token: Self.reader)
            #expect(ttl.errorKind == "PERMISSION_DENIED")
            let sneaky = try await api.send(
                .put, "/v1/stores/app:cache/entries/tmp%2F..%2Fpublic%2Fa", #"{"value": 7}"#, token: Self.tmpWriter)
            #expect(sneaky.status == .ok, "tmp/* matches the literal key \"tmp/../public/a\"")
            #expect(try store.get("public/a") == 1)
            #expect(try store.get("tmp/../public/a") == 7)
            let malformed = try await api.send(.get, "/v1/stores/app:cache/entries/bad%zz", token: Self.reader)
            #expect(malformed.errorKind == "INVALID")
            #expect(try await api.send(.get, "/v1/stores/app:cache/entries/bad%zz", token: nil).status == .unauthorized)
        }
    }

    @Test("the Bearer scheme is case-insensitive; surrounding spaces are ignored")
    func schemeCase() async throws {
        try await withPolicyAPI { api, _, _ in
            for header in ["bearer reader-secret", "BEARER  reader-secret ", "Bearer reader-secret"] {
                var headers = HTTPFields()
                headers[.authorization] = header
                let response = try await api.client.execute(
                    uri: "/v1/stores/app:cache/info", method: .get, headers: headers)
                #expect(response.status == .ok, "\(header)")
            }
        }
    }

    @Test("routes added after the API: /metrics needs any token, an unmapped route is 403 for every token")
    func laterRoutes() async throws {
        let extraRoutes: @Sendable (Router<BasicRequestContext>) -> Void = { router in
            router.get("/metrics") { _, _ in "metrics" }
            router.get("/v1/stores/:id/snapshot") { _, _ in "bytes" }
        }
        try await withPolicyAPI(extraRoutes: extraRoutes) { api, _, _ in
            #expect(try await api.send(.get, "/metrics", token: nil).status == .unauthorized)
            for token in [Self.reader, Self.writer, Self.tmpWriter] {
                let metrics = try await api.client.execute(
                    uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(token)"])
                #expect(metrics.status == .ok)
                let unmapped = try await api.send(.get, "/v1/stores/app:cache/snapshot", token: token)
                #expect(unmapped.errorKind == "PERMISSION_DENIED")
            }
            let wrongMethod = try await api.send(.post, "/v1/stores/app:cache/info", token: Self.writer)
            #expect(wrongMethod.errorKind == "PERMISSION_DENIED")
        }
    }

    @Test("/metrics needs any valid token, and refused requests are counted in it")
    func metrics() async throws {
        try await withPolicyAPI(metrics: PrometheusCollectorRegistry()) { api, _, _ in
            #expect(try await api.send(.get, "/metrics", token: nil).status == .unauthorized)
            _ = try await api.send(.get, "/v1/stores/app:cache/entries/private/c", token: Self.reader)
            let response = try await api.client.execute(
                uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(Self.reader)"])
            #expect(response.status == .ok)
            let text = String(buffer: response.body)
            let lines = text.split(separator: "\n").filter { $0.hasPrefix("starling_http_requests_total{") }
            #expect(lines.contains { $0.contains(#"route="/metrics""#) && $0.contains(#"status="401""#) }, "\(lines)")
            #expect(lines.contains { $0.contains(#"status="403""#) }, "\(lines)")
        }
    }

    @Test("without a policy every request is allowed, as before")
    func noPolicy() async throws {
        try await withAPI { api, _, _ in
            let stores = try await api.send(.get, "/v1/stores")
            #expect(stores["stores"] == ["default"])
            let put = try await api.send(.put, "/v1/stores/default/entries/k", #"{"value": 1}"#)
            #expect(put.status == .ok)
            let clear = try await api.send(.post, "/v1/stores/default/clear")
            #expect(clear.status == .ok)
        }
    }
}
