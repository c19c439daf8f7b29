public import Hummingbird
public import Prometheus
public import Starling
public import StarlingAccess

/// The HTTP API of `starling serve` (APIContract.md, "HTTP API") for one ``Node``: every store
/// endpoint, `GET /v1/cluster` and `GET /healthz`, as routes of a Hummingbird router.
///
/// Bodies are JSON in and out (`Content-Type: application/json`), parsed by the strict
/// ``JSONValue`` parser and written by its canonical encoder. A failure answers
/// `{"error": {"kind", "message", "retryable"}}` with the status of the error's kind and
/// changes nothing.
public struct HTTPAPI: Sendable {
    /// Settings of the HTTP API.
    public struct Settings: Sendable {
        /// The largest request body accepted, in bytes; a larger one is refused with 400
        /// `INVALID`. Default nil: 1 MiB plus the node's `maxValueBytes`.
        public var maxBodyBytes: Int?
        /// How long a watch stream may stay silent before it sends a `: keep-alive` comment, so
        /// that proxies keep it open. Default 15 seconds.
        public var watchKeepAlive: Duration = .seconds(15)

        /// The most watch streams (`GET /v1/stores/{id}/watch`) open at once; another is refused
        /// with 503 `UNAVAILABLE` (retryable) until one ends. Default 256.
        public var maxWatchers = 256

        /// How long a client may take to send a request's head, from its first byte; then the
        /// server answers 408 and closes the connection. Nil: no limit. Default 10 seconds.
        public var headerTimeout: Duration? = .seconds(10)
        /// How long a client may take to send a request's body, from the end of its head; then
        /// the connection is closed. Nil: no limit. Default 30 seconds.
        public var bodyTimeout: Duration? = .seconds(30)
        /// How long a connection may stay open with no request in progress before the server
        /// closes it. A response being written (a watch stream, a write waiting for its commit)
        /// is never idle. Nil: no limit. Default 60 seconds.
        public var idleTimeout: Duration? = .seconds(60)

        /// The registry `GET /metrics` exposes and HTTP request metrics are recorded in.
        /// Default nil: no `/metrics` route and no request metrics.
        public var metrics: PrometheusCollectorRegistry?

        /// Who may do what (APIContract.md, "Access control"): requests must carry a bearer token of
        /// the policy that allows them. Default nil: no policy, every request is allowed.
        public var policy: AccessPolicy?

        /// Default settings.
        public init() {}
    }

    /// The node whose stores are served.
    public let node: Node
    /// The replication engine reported by `GET /v1/cluster`; nil for a node without peers.
    public let replication: ReplicationEngine?
    /// The settings.
    public let settings: Settings
    /// The watch streams open now, against ``Settings/maxWatchers``.
    let watchers: WatcherSlots

    /// Creates the API of `node`.
    /// - Parameters:
    ///   - node: the node whose stores are served.
    ///   - replication: the engine whose members `GET /v1/cluster` reports. Default: none.
    ///   - settings: limits. Default: ``Settings/init()``.
    public init(node: Node, replication: ReplicationEngine? = nil, settings: Settings = Settings()) {
        self.node = node
        self.replication = replication
        self.settings = settings
        self.watchers = WatcherSlots(limit: settings.maxWatchers)
    }

    /// The effective request body limit in bytes.
    var maxBodyBytes: Int {
        settings.maxBodyBytes ?? (1 << 20) + node.settings.limits.maxValueBytes
    }

    /// A new router holding every route of the API.
    /// - Returns: the router, ready for `Application(router:)`.
    public func buildRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: APIErrorMiddleware())
        addRoutes(to: router)
        return router
    }
}
