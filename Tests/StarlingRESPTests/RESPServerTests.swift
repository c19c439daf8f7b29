import Logging
import NIOCore
import NIOPosix
import Starling
import StarlingAccess
import StarlingCore
import StarlingTestKit
import Testing

@testable import StarlingRESP

/// A raw TCP client of the RESP listener: writes bytes, reads until it has what it expects.
struct RawRESPClient {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    var received = ByteBuffer()

    /// Connects to `port` and runs `body` with the client; closes the connection after it.
    static func with(port: Int, _ body: (inout RawRESPClient) async throws -> Void) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var client = RawRESPClient(outbound: outbound, iterator: inbound.makeAsyncIterator())
            try await body(&client)
        }
    }

    func send(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    func send(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    /// Reads until `count` bytes arrived, or the connection ended; returns what arrived.
    mutating func read(bytes count: Int) async throws -> String {
        while received.readableBytes < count, var chunk = try await iterator.next() {
            received.writeBuffer(&chunk)
        }
        return received.readString(length: min(count, received.readableBytes)) ?? ""
    }

    /// Reads to the end of the input (the server closed the connection) and returns what
    /// arrived that was not read yet. A server that never closes fails the suite's time limit.
    mutating func readUntilClosed() async throws -> String {
        while var chunk = try await iterator.next() { received.writeBuffer(&chunk) }
        return received.readString(length: received.readableBytes) ?? ""
    }
}

/// The listener over real TCP: pipelines, half-sent commands, bounds, the connection limit.
/// Each test has a minute: a connection the server should close but never does fails it then.
@Suite(.showsLogsOnFailure, .timeLimit(.minutes(1))) struct RESPServerTests {
    static func withServer(
        limits: RESPLimits = RESPLimits(), connections: ConnectionLimiter? = nil, policy: AccessPolicy? = nil,
        _ body: (RESPServer, Store) async throws -> Void
    ) async throws {
        try await TestNode.with { (node, store, _) async throws in
            var settings = RESPSettings()
            settings.limits = limits
            settings.policy = policy
            let server = try await RESPServer.bind(
                host: "127.0.0.1", port: 0, node: node, replication: nil, settings: settings,
                connections: connections, logger: TestNode.quietLogger)
            let running = Task { try await server.run() }
            defer { running.cancel() }
            try await body(server, store)
            server.close()
            _ = await running.result
        }
    }

    @Test func aPipelineIsAnsweredInOrderInOneGo() async throws {
        try await Self.withServer { server, store in
            try await RawRESPClient.with(port: server.port) { client in
                var pipeline = ""
                for index in 0..<200 {
                    pipeline += "*3\r\n$3\r\nSET\r\n$\(String(index).count + 2)\r\nk:\(index)\r\n$1\r\nv\r\n"
                }
                // A run of GETs is read in one snapshot; a bad key in it still gets its own error.
                pipeline += "PING\r\n*2\r\n$3\r\nGET\r\n$4\r\nk:42\r\nget k:7\r\nGET nope\r\nGET k:199\r\n"
                try await client.send(pipeline)
                try await client.send("GET k:1\r\nGET \"\"\r\nGET k:2\r\n")
                let expected =
                    String(repeating: "+OK\r\n", count: 200) + "+PONG\r\n$1\r\nv\r\n$1\r\nv\r\n$-1\r\n$1\r\nv\r\n"
                    + "$1\r\nv\r\n-ERR the key is empty\r\n$1\r\nv\r\n"
                #expect(try await client.read(bytes: expected.utf8.count) == expected)
                #expect(try store.get("k:199") == .string("v"))
            }
        }
    }

    @Test func aHalfSentCommandRunsOnlyWhenCompleteAndNeverIfTheClientLeaves() async throws {
        try await Self.withServer { server, store in
            try await RawRESPClient.with(port: server.port) { client in
                try await client.send("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$5\r\nhel")
                try await client.send("lo\r\n")
                #expect(try await client.read(bytes: 5) == "+OK\r\n")
                #expect(try store.get("a") == .string("hello"))
                try await client.send("*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$5\r\nhel")
            }
            // The next client's command runs after the listener saw the first one leave.
            try await RawRESPClient.with(port: server.port) { next in
                try await next.send("PING\r\n")
                #expect(try await next.read(bytes: 7) == "+PONG\r\n")
                #expect(try store.get("b") == nil)
            }
        }
    }

    @Test func inputPastABoundGetsAnErrorAndIsClosedWhileOthersGoOn() async throws {
        var limits = RESPLimits()
        limits.maxBulkBytes = 1_024
        try await Self.withServer(limits: limits) { server, store in
            try await RawRESPClient.with(port: server.port) { other in
                try await RawRESPClient.with(port: server.port) { hostile in
                    try await hostile.send("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$999999\r\n")
                    let reply = "-ERR Protocol error: invalid bulk length\r\n"
                    #expect(try await hostile.read(bytes: reply.utf8.count) == reply)
                    #expect(try await hostile.readUntilClosed() == "")
                }
                #expect(try store.get("x") == nil)
                try await RawRESPClient.with(port: server.port) { garbage in
                    try await garbage.send((0..<70_000).map { _ in UInt8.random(in: 33...126) })
                    #expect(try await garbage.readUntilClosed().hasPrefix("-ERR Protocol error"))
                }
                try await other.send("ECHO still-here\r\n")
                #expect(try await other.read(bytes: 17) == "$10\r\nstill-here\r\n")
            }
        }
    }

    @Test func aClientThatNeverReadsHoldsNobodyUp() async throws {
        try await Self.withServer { server, store in
            try await store.set("big", .string(String(repeating: "x", count: 100_000)))
            try await RawRESPClient.with(port: server.port) { stalled in
                // 2,000 GETs of 100 kB: 200 MB of replies it never reads.
                let get = "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n"
                let batch = String(repeating: get, count: 100)
                for _ in 0..<20 { try await stalled.send(batch) }
                try await RawRESPClient.with(port: server.port) { other in
                    for index in 0..<20 {
                        try await other.send("SET k \(index)\r\nGET k\r\n")
                        let expected = "+OK\r\n$\(String(index).count)\r\n\(index)\r\n"
                        #expect(try await other.read(bytes: expected.utf8.count) == expected)
                    }
                }
            }
        }
    }

    @Test func underAPolicyAClientThatNeverAuthenticatesIsClosed() async throws {
        var limits = RESPLimits()
        limits.authTimeoutMillis = 2_000
        let policy = try AccessPolicy(tomlText: RESPSessionTests.policy)
        try await Self.withServer(limits: limits, policy: policy) { server, store in
            try await RawRESPClient.with(port: server.port) { client in
                let value = String(repeating: "v", count: 10_000)
                try await client.send("AUTH app-secret\r\n*3\r\n$3\r\nSET\r\n$5\r\napp/x\r\n$10000\r\n\(value)\r\n")
                #expect(try await client.read(bytes: 10) == "+OK\r\n+OK\r\n")
                #expect(try store.get("app/x") == .string(value))
                // A stranger connected after it, which never authenticates, is closed once its
                // timeout passed; by then the authenticated client's timeout passed too.
                try await RawRESPClient.with(port: server.port) { (idle: inout RawRESPClient) async throws in
                    #expect(try await idle.readUntilClosed() == "")
                }
                try await client.send("PING\r\n")
                #expect(try await client.read(bytes: 7) == "+PONG\r\n", "an authenticated client stays")
            }
        }
    }

    @Test func pastTheSharedConnectionLimitANewConnectionIsClosed() async throws {
        let limiter = ConnectionLimiter(limit: 2)
        try await Self.withServer(connections: limiter) { server, _ in
            try await RawRESPClient.with(port: server.port) { first in
                try await RawRESPClient.with(port: server.port) { second in
                    try await first.send("PING\r\n")
                    try await second.send("PING\r\n")
                    #expect(try await first.read(bytes: 7) == "+PONG\r\n")
                    #expect(try await second.read(bytes: 7) == "+PONG\r\n")
                    try await RawRESPClient.with(port: server.port) { (third: inout RawRESPClient) async throws in
                        #expect(try await third.readUntilClosed() == "")
                        #expect(try await third.read(bytes: 1) == "")
                    }
                    #expect(limiter.refusedConnections == 1)
                    try await first.send("QUIT\r\n")
                    #expect(try await first.read(bytes: 5) == "+OK\r\n")
                    #expect(try await first.readUntilClosed() == "")
                }
            }
        }
    }
}
