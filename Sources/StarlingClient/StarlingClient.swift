public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
public import StarlingModel

/// A client of the HTTP API of `starling serve` (APIContract.md, "HTTP API") for one store: the
/// same operations, results and error kinds as ``Store``, over HTTP.
///
/// Every method throws ``StoreError``: the kind, message and retryability the server answered
/// in its error body, or `UNAVAILABLE` when the endpoint cannot be reached or does not answer
/// in time. A client created with ``init(endpoint:store:token:settings:)`` owns its
/// `HTTPClient` and must be shut down with ``shutdown()``; ``with(endpoint:store:token:settings:_:)``
/// does that for you.
public final class StarlingClient: Sendable {
    /// Settings of a client.
    public struct Settings: Sendable {
        /// The longest wait for a TCP connection; a refused connection fails at once, without
        /// retries. Default 5 seconds.
        public var connectTimeout: Duration = .seconds(5)
        /// The longest wait for a whole request, from sending to the last byte of the answer.
        /// Default 30 seconds.
        public var requestTimeout: Duration = .seconds(30)
        /// The largest answer body read, in bytes; a larger one fails with `INTERNAL`.
        /// Default 64 MiB.
        public var maxResponseBytes = 64 << 20

        /// Default settings.
        public init() {}
    }

    /// The base URL of the API, without a trailing `/`, such as `http://127.0.0.1:7070`.
    public let endpoint: String
    /// The id of the store every store operation addresses.
    public let storeID: String
    /// The bearer token sent as `Authorization: Bearer <token>`, or nil to send none.
    public let token: String?
    /// The settings.
    public let settings: Settings

    let http: HTTPClient
    private let ownsHTTPClient: Bool

    /// Creates a client with its own `HTTPClient`; call ``shutdown()`` when done with it.
    /// - Parameters:
    ///   - endpoint: the base URL of `starling serve`, such as `http://127.0.0.1:7070`; a
    ///     missing `http://` is added.
    ///   - store: the store id. Default `default`.
    ///   - token: the bearer token, or nil for none. Default nil.
    ///   - settings: timeouts and limits. Default ``Settings/init()``.
    /// - Throws: `INVALID` for an endpoint that is not an `http://` or `https://` URL, or an
    ///   empty store id.
    public convenience init(
        endpoint: String, store: String = "default", token: String? = nil, settings: Settings = Settings()
    ) throws(StoreError) {
        let base = try Self.normalizedEndpoint(endpoint)
        guard !store.isEmpty else { throw .invalid("the store id is empty") }
        var configuration = HTTPClient.Configuration()
        configuration.timeout = HTTPClient.Configuration.Timeout(
            connect: TimeAmount(settings.connectTimeout), read: TimeAmount(settings.requestTimeout))
        configuration.redirectConfiguration = .disallow
        // A refused connection fails the call at once instead of retrying until the connect
        // timeout: the endpoint either runs starling serve or it does not.
        configuration.connectionPool.retryConnectionEstablishment = false
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        try self.init(validated: base, store: store, token: token, settings: settings, http: http, owns: true)
    }

    /// Creates a client that borrows `httpClient`, which the caller keeps and shuts down;
    /// ``shutdown()`` of this client does nothing.
    /// - Parameters:
    ///   - endpoint: the base URL of `starling serve`; a missing `http://` is added.
    ///   - store: the store id. Default `default`.
    ///   - token: the bearer token, or nil for none. Default nil.
    ///   - settings: the request timeout and answer limit (the connect timeout is
    ///     `httpClient`'s). Default ``Settings/init()``.
    ///   - httpClient: the HTTP client to send requests with.
    /// - Throws: `INVALID` for a bad endpoint or an empty store id.
    public convenience init(
        endpoint: String, store: String = "default", token: String? = nil, settings: Settings = Settings(),
        httpClient: HTTPClient
    ) throws(StoreError) {
        let base = try Self.normalizedEndpoint(endpoint)
        try self.init(validated: base, store: store, token: token, settings: settings, http: httpClient, owns: false)
    }

    private init(
        validated endpoint: String, store: String, token: String?, settings: Settings, http: HTTPClient, owns: Bool
    ) throws(StoreError) {
        guard !store.isEmpty else { throw .invalid("the store id is empty") }
        self.endpoint = endpoint
        self.storeID = store
        self.token = token
        self.settings = settings
        self.http = http
        self.ownsHTTPClient = owns
    }

    /// Runs `body` with a new client and shuts the client down afterwards, whatever `body` does.
    /// - Parameters:
    ///   - endpoint: the base URL of `starling serve`.
    ///   - store: the store id. Default `default`.
    ///   - token: the bearer token, or nil for none. Default nil.
    ///   - settings: timeouts and limits. Default ``Settings/init()``.
    ///   - body: what to do with the client.
    /// - Returns: what `body` returns.
    /// - Throws: `INVALID` for a bad endpoint or store id, or what `body` throws.
    public static func with<T: Sendable>(
        endpoint: String, store: String = "default", token: String? = nil, settings: Settings = Settings(),
        _ body: (StarlingClient) async throws -> T
    ) async throws -> T {
        let client = try StarlingClient(endpoint: endpoint, store: store, token: token, settings: settings)
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// Closes the connections of the client's own `HTTPClient`; a borrowed one is left alone.
    /// The client must not be used afterwards.
    public func shutdown() async {
        guard ownsHTTPClient else { return }
        try? await http.shutdown()
    }

    /// `endpoint` as a base URL: `http://` added when no scheme is given, trailing `/` removed.
    /// - Parameter endpoint: what the user wrote, such as `127.0.0.1:7070` or `http://host:7070/`.
    /// - Returns: the normalized base URL.
    /// - Throws: `INVALID` naming the endpoint when it is not an `http://` or `https://` URL with a host.
    public static func normalizedEndpoint(_ endpoint: String) throws(StoreError) -> String {
        var text = endpoint.trimmingCharacters(in: .whitespaces)
        if !text.contains("://") { text = "http://" + text }
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil
        else {
            throw .invalid("the endpoint \"\(endpoint)\" is not an http:// URL such as http://127.0.0.1:7070")
        }
        return text
    }
}
