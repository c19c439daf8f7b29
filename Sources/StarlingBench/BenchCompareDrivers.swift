import Foundation
import NIOCore
import NIOHTTP1

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

/// Starling over its HTTP API: `PUT` and `GET /v1/stores/default/entries/{key}`.
struct StarlingSystem: CompareSystem {
    let name = "starling"
    /// The peers' HTTP APIs.
    let endpoints: [HTTPEndpoint]
    /// `{"value":"xx…"}`: a JSON string of `valueBytes` bytes including its quotes.
    let body: [UInt8]

    var memberCount: Int { endpoints.count }

    init(endpoints: [HTTPEndpoint], valueBytes: Int) {
        self.endpoints = endpoints
        body = Array("{\"value\":\"\(String(repeating: "x", count: max(0, valueBytes - 2)))\"}".utf8)
    }

    func client(member: Int) async throws -> any CompareClient {
        Client(connection: try await HTTPConnection.connect(endpoints[member]), body: body)
    }

    /// A connection to every peer, for polling `active_keys`.
    func statsProbe() async throws -> StatsProbe {
        var connections: [HTTPConnection] = []
        do {
            for endpoint in endpoints { connections.append(try await HTTPConnection.connect(endpoint)) }
        } catch {
            for connection in connections { await connection.close() }
            throw error
        }
        return StatsProbe(connections: connections, endpoints: endpoints)
    }

    /// Reads every peer's `active_keys` of the `default` store.
    struct StatsProbe: Sendable {
        let connections: [HTTPConnection]
        let endpoints: [HTTPEndpoint]

        /// `active_keys` of every peer, in endpoint order.
        func activeKeys() async throws -> [Int] {
            var counts: [Int] = []
            for (connection, endpoint) in zip(connections, endpoints) {
                let reply = try await connection.send(.GET, "/v1/stores/default/stats")
                guard reply.status == 200,
                    let object = try JSONSerialization.jsonObject(with: Data(reply.body.readableBytesView))
                        as? [String: Any],
                    let active = (object["active_keys"] as? NSNumber)?.intValue
                else {
                    throw BenchFailure(
                        "starling: GET http://\(endpoint.host):\(endpoint.port)/v1/stores/default/stats answered \(reply.status) without active_keys"
                    )
                }
                counts.append(active)
            }
            return counts
        }

        func close() async {
            for connection in connections { await connection.close() }
        }
    }

    struct Client: CompareClient {
        static let path = "/v1/stores/default/entries/"
        let connection: HTTPConnection
        let body: [UInt8]

        func set(_ key: String) async throws -> Bool {
            try await connection.send(.PUT, Self.path + key, body: body).status == 200
        }

        func get(_ key: String) async throws -> Bool {
            try await connection.send(.GET, Self.path + key).status == 200
        }

        func close() async { await connection.close() }
    }
}

/// etcd over its v3 JSON gateway: `POST /v3/kv/put` and `POST /v3/kv/range` with base64 keys
/// and values. Reads are `serializable` (answered by the member itself, like Starling's reads),
/// not linearizable.
struct EtcdSystem: CompareSystem {
    let name = "etcd"
    /// The members' client URLs.
    let endpoints: [HTTPEndpoint]
    /// The value, base64: `valueBytes` bytes.
    let value: String

    var memberCount: Int { endpoints.count }

    init(endpoints: [HTTPEndpoint], valueBytes: Int) {
        self.endpoints = endpoints
        value = Data(repeating: UInt8(ascii: "x"), count: valueBytes).base64EncodedString()
    }

    func client(member: Int) async throws -> any CompareClient {
        Client(connection: try await HTTPConnection.connect(endpoints[member]), value: value)
    }

    struct Client: CompareClient {
        let connection: HTTPConnection
        let value: String

        func set(_ key: String) async throws -> Bool {
            let body = "{\"key\":\"\(Self.base64(key))\",\"value\":\"\(value)\"}"
            return try await connection.send(.POST, "/v3/kv/put", body: Array(body.utf8)).status == 200
        }

        func get(_ key: String) async throws -> Bool {
            let body = "{\"key\":\"\(Self.base64(key))\",\"serializable\":true}"
            let reply = try await connection.send(.POST, "/v3/kv/range", body: Array(body.utf8))
            // A found key has a `kvs` array; an absent one has none (and `count` is omitted).
            return reply.status == 200 && reply.body.readableBytesView.firstRange(of: Array("\"kvs\"".utf8)) != nil
        }

        func close() async { await connection.close() }

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
