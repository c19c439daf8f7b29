import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One client of a compared system, used by one task at a time: a write and a point read of a
/// key with the benchmark's value.
protocol CompareClient: Sendable {
    /// Writes `key` with the benchmark's value through this client's member.
    /// - Returns: whether the system acknowledged the write.
    func set(_ key: String) async throws -> Bool

    /// Reads `key` from this client's member.
    /// - Returns: whether the key was found.
    func get(_ key: String) async throws -> Bool

    /// Releases the client's connection, if it owns one.
    func close() async
}

/// A compared system: its members' endpoints and how to make a client of one member.
protocol CompareSystem: Sendable {
    /// The column name: `starling`, `etcd` or `redis`.
    var name: String { get }
    /// How many members the client tasks are spread over.
    var memberCount: Int { get }
    /// A client talking to member `member`.
    func client(member: Int) async throws -> any CompareClient
}

/// The HTTP client shared by the Starling and etcd drivers, so both pay the same client costs:
/// AsyncHTTPClient on the process's event loops, a pool of up to `connections` keep-alive
/// connections per member (one per concurrent task).
enum CompareHTTP {
    /// A client whose pool holds `connections` connections per host.
    static func makeClient(connections: Int) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, connections))
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }

    /// Sends `method` to `url` with `body` and returns the status and the whole response body.
    static func send(
        _ client: HTTPClient, _ method: HTTPMethod, _ url: String, body: [UInt8]? = nil
    ) async throws -> (status: UInt, body: ByteBuffer) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(body)
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return (response.status.code, collected)
    }
}

/// Starling over its HTTP API: `PUT` and `GET /v1/stores/default/entries/{key}`.
struct StarlingSystem: CompareSystem {
    let name = "starling"
    /// Base URLs of the peers, such as `http://127.0.0.1:7071`.
    let endpoints: [String]
    let http: HTTPClient
    /// `{"value":"xx…"}`: a JSON string of `valueBytes` bytes including its quotes.
    let body: [UInt8]

    var memberCount: Int { endpoints.count }

    init(endpoints: [String], http: HTTPClient, valueBytes: Int) {
        self.endpoints = endpoints
        self.http = http
        body = Array("{\"value\":\"\(String(repeating: "x", count: max(0, valueBytes - 2)))\"}".utf8)
    }

    func client(member: Int) async throws -> any CompareClient {
        Client(base: endpoints[member] + "/v1/stores/default/entries/", http: http, body: body)
    }

    /// `active_keys` of the `default` store on every peer, in endpoint order.
    func activeKeys() async throws -> [Int] {
        var counts: [Int] = []
        for endpoint in endpoints {
            let (status, body) = try await CompareHTTP.send(http, .GET, endpoint + "/v1/stores/default/stats")
            guard status == 200,
                let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
                let active = (object["active_keys"] as? NSNumber)?.intValue
            else {
                throw BenchFailure("starling: GET \(endpoint)/v1/stores/default/stats answered \(status) without active_keys")
            }
            counts.append(active)
        }
        return counts
    }

    struct Client: CompareClient {
        let base: String
        let http: HTTPClient
        let body: [UInt8]

        func set(_ key: String) async throws -> Bool {
            try await CompareHTTP.send(http, .PUT, base + key, body: body).status == 200
        }

        func get(_ key: String) async throws -> Bool {
            try await CompareHTTP.send(http, .GET, base + key).status == 200
        }

        func close() async {}
    }
}

/// etcd over its v3 JSON gateway: `POST /v3/kv/put` and `POST /v3/kv/range` with base64 keys
/// and values. Reads are `serializable` (answered by the member itself, like Starling's reads),
/// not linearizable.
struct EtcdSystem: CompareSystem {
    let name = "etcd"
    /// Client URLs of the members, such as `http://127.0.0.1:2379`.
    let endpoints: [String]
    let http: HTTPClient
    /// The value, base64: `valueBytes` bytes.
    let value: String

    var memberCount: Int { endpoints.count }

    init(endpoints: [String], http: HTTPClient, valueBytes: Int) {
        self.endpoints = endpoints
        self.http = http
        value = Data(repeating: UInt8(ascii: "x"), count: valueBytes).base64EncodedString()
    }

    func client(member: Int) async throws -> any CompareClient {
        Client(base: endpoints[member], http: http, value: value)
    }

    struct Client: CompareClient {
        let base: String
        let http: HTTPClient
        let value: String

        func set(_ key: String) async throws -> Bool {
            let body = "{\"key\":\"\(Self.base64(key))\",\"value\":\"\(value)\"}"
            return try await CompareHTTP.send(http, .POST, base + "/v3/kv/put", body: Array(body.utf8)).status == 200
        }

        func get(_ key: String) async throws -> Bool {
            let body = "{\"key\":\"\(Self.base64(key))\",\"serializable\":true}"
            let (status, reply) = try await CompareHTTP.send(http, .POST, base + "/v3/kv/range", body: Array(body.utf8))
            // A found key has a `kvs` array; an absent one has none (and `count` is omitted).
            return status == 200 && reply.readableBytesView.firstRange(of: Array("\"kvs\"".utf8)) != nil
        }

        func close() async {}

        static func base64(_ key: String) -> String { Data(key.utf8).base64EncodedString() }
    }
}

/// A single Redis over RESP: `SET` and `GET`, one connection per client, unpipelined.
struct RedisSystem: CompareSystem {
    let name = "redis"
    let host: String
    let port: Int
    let value: [UInt8]

    var memberCount: Int { 1 }

    init(host: String, port: Int, valueBytes: Int) {
        self.host = host
        self.port = port
        value = Array(repeating: UInt8(ascii: "x"), count: valueBytes)
    }

    func client(member: Int) async throws -> any CompareClient {
        Client(connection: try await RESPConnection.connect(host: host, port: port), value: value)
    }

    struct Client: CompareClient {
        let connection: RESPConnection
        let value: [UInt8]

        func set(_ key: String) async throws -> Bool {
            try await connection.command([Array("SET".utf8), Array(key.utf8), value]) == .simple("OK")
        }

        func get(_ key: String) async throws -> Bool {
            if case .bulk(let bytes?) = try await connection.command([Array("GET".utf8), Array(key.utf8)]) {
                return !bytes.isEmpty
            }
            return false
        }

        func close() async { await connection.close() }
    }
}
