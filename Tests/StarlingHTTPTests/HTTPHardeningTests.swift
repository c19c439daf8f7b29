import Foundation
import Starling
import StarlingCore
import StarlingHTTP
import StarlingTestKit
import Testing

/// What a slow, idle, old or greedy HTTP client can do to `starling serve` (issue reports 6, 7
/// and 8): connections past the budget are closed at once and counted while the admitted ones
/// go on; a head sent too slowly gets 408; an idle connection and an HTTP/1.0 one are closed;
/// watch streams past `maxWatchers` get 503 `UNAVAILABLE`, and a stream is never idle.
@Suite(.serialized, .showsLogsOnFailure) struct HTTPHardeningTests {
    static func start(
        _ directory: TemporaryDirectory, _ adjust: (inout StarlingServer.Configuration) -> Void
    ) async throws -> StarlingServer {
        var configuration = StarlingServer.Configuration()
        configuration.dataDirectory = directory.path
        configuration.httpPort = 0
        configuration.replication.bind = PeerAddress(host: "127.0.0.1", port: 0)
        adjust(&configuration)
        return try await StarlingServer.start(configuration, logger: TestNode.quietLogger)
    }

    static let health = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"

    @Test("past max_connections a new connection is closed at once and counted; the open ones go on")
    func connectionsPastTheBudgetAreRefused() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let server = try await Self.start(directory) { $0.maxConnections = 3 }
        let open = try (0..<3).map { _ in try RawHTTPConnection(port: server.httpPort) }
        for connection in open {
            try connection.send(Self.health)
            #expect(await connection.readResponse().hasPrefix("HTTP/1.1 200"))
        }
        let extra = try RawHTTPConnection(port: server.httpPort)
        let refused = await extra.readUntilClosed()
        #expect(refused.closed && refused.text.isEmpty, "the connection past the budget is closed unanswered")
        #expect(server.connections.refusedConnections >= 1)
        try open[0].send(Self.health)
        #expect(await open[0].readResponse().hasPrefix("HTTP/1.1 200"), "admitted connections go on")
        await server.shutdown()
    }

    @Test("a place freed by a closed connection is given to the next one")
    func aClosedConnectionFreesItsPlace() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let server = try await Self.start(directory) { $0.maxConnections = 1 }
        do {
            let first = try RawHTTPConnection(port: server.httpPort)
            try first.send(Self.health)
            #expect(await first.readResponse().hasPrefix("HTTP/1.1 200"))
        }
        #expect(await eventually { server.connections.openConnections == 0 })
        let next = try RawHTTPConnection(port: server.httpPort)
        try next.send(Self.health)
        #expect(await next.readResponse().hasPrefix("HTTP/1.1 200"))
        await server.shutdown()
    }

    @Test("a head not finished within the header timeout is answered 408 and the connection closed")
    func aSlowHeadTimesOut() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let server = try await Self.start(directory) { $0.api.headerTimeout = .milliseconds(300) }
        let connection = try RawHTTPConnection(port: server.httpPort)
        try connection.send("GET /healthz HTTP/1.1\r\nHost: t\r\n")
        let answer = await connection.readUntilClosed()
        #expect(answer.closed)
        #expect(answer.text.hasPrefix("HTTP/1.1 408"), "\(answer.text)")
        await server.shutdown()
    }

    @Test("a keep-alive connection with no request in progress is closed after the idle timeout")
    func anIdleConnectionIsClosed() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let server = try await Self.start(directory) { $0.api.idleTimeout = .milliseconds(300) }
        let connection = try RawHTTPConnection(port: server.httpPort)
        try connection.send(Self.health)
        let answer = await connection.readUntilClosed()
        #expect(answer.text.hasPrefix("HTTP/1.1 200"))
        #expect(answer.closed, "closed after the idle timeout, not left open")
        await server.shutdown()
    }

    @Test("an HTTP/1.0 request without keep-alive gets its answer and a closed connection")
    func http10ConnectionsAreClosed() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let server = try await Self.start(directory) { $0.api.idleTimeout = nil }
        let connection = try RawHTTPConnection(port: server.httpPort)
        try connection.send("GET /healthz HTTP/1.0\r\n\r\n")
        let answer = await connection.readUntilClosed()
        #expect(answer.text.hasPrefix("HTTP/1.0 200") || answer.text.hasPrefix("HTTP/1.1 200"), "\(answer.text)")
        #expect(answer.closed, "HTTP/1.0 is not kept open")
        await server.shutdown()
    }

    @Test("a watch past max_watchers is refused with 503 UNAVAILABLE; a stream is never idle")
    func watchersPastTheCapAreRefusedAndStreamsAreNotIdle() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let server = try await Self.start(directory) {
            $0.api.maxWatchers = 1
            $0.api.idleTimeout = .milliseconds(300)
        }
        let stream = try await SSETestClient(port: server.httpPort, path: "/v1/stores/default/watch")
        #expect(stream.status == 200)
        let second = try RawHTTPConnection(port: server.httpPort)
        try second.send("GET /v1/stores/default/watch HTTP/1.1\r\nHost: t\r\n\r\n")
        let refusal = await second.readResponse()
        #expect(refusal.hasPrefix("HTTP/1.1 503"), "\(refusal)")
        #expect(refusal.contains("UNAVAILABLE") && refusal.contains("max_watchers"))
        // Past the idle timeout (the refused connection is closed by it), the stream still delivers.
        #expect(await second.readUntilClosed().closed)
        try await server.node.store("default").set("after-idle", .string("v"))
        var delivered = false
        while !delivered, let block = try await stream.nextBlock() { delivered = block.contains("after-idle") }
        #expect(delivered, "the stream outlives the idle timeout and delivers the write")
        await server.shutdown()
    }
}
