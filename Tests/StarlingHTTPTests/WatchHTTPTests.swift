import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Starling
import StarlingAccess
import StarlingCore
import StarlingHTTP
import StarlingTestKit
import Testing

/// `GET /v1/stores/{id}/watch` over a live server: server-sent event framing, replay and live
/// changes, `Last-Event-ID` resume, keep-alives, errors before the stream, and streams that end
/// when the server shuts down.
@Suite(.timeLimit(.minutes(2)), .showsLogsOnFailure) struct WatchHTTPTests {
    /// One server-sent event block, split into its fields.
    struct Block: Equatable {
        var id: String?
        var event: String?
        var data: JSONValue?
        var comment: String?

        init(_ text: String) throws {
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix(":") {
                    comment = String(line.dropFirst()).trimmingCharacters(in: .whitespaces)
                } else if line.hasPrefix("id: ") {
                    id = String(line.dropFirst(4))
                } else if line.hasPrefix("event: ") {
                    event = String(line.dropFirst(7))
                } else if line.hasPrefix("data: ") {
                    data = try JSONValue(parsing: Array(line.dropFirst(6).utf8))
                } else {
                    Issue.record("unexpected line \(line) in an event block")
                }
            }
        }

        /// `data[name]` of an object.
        subscript(_ name: String) -> JSONValue? {
            guard case .object(let members)? = data else { return nil }
            return members[name]
        }
    }

    /// Runs `body` with a live server for a fresh node's API, and the port it listens on.
    static func withLiveAPI(
        settings: HTTPAPI.Settings = HTTPAPI.Settings(),
        _ body: @escaping @Sendable (Int, Node, Store) async throws -> Void
    ) async throws {
        try await TestNode.with { node, store, _ in
            let app = Application(
                router: HTTPAPI(node: node, settings: settings).buildRouter(),
                configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
                logger: TestNode.quietLogger)
            try await app.test(.live) { client in try await body(try #require(client.port), node, store) }
        }
    }

    /// The next block of `stream`, failing if the stream ended.
    static func next(_ stream: SSETestClient) async throws -> Block {
        try Block(try #require(try await stream.nextBlock(), "the stream ended"))
    }

    @Test func streamsReplayedAndLiveChangesAsServerSentEvents() async throws {
        try await Self.withLiveAPI { port, node, store in
            try await store.set("a", 1)
            try await store.set("b", ["nested": true])
            let stream = try await SSETestClient(port: port, path: "/v1/stores/default/watch?after=0")
            #expect(stream.status == 200)
            #expect(stream.headers["content-type"] == "text/event-stream")
            #expect(stream.headers["cache-control"] == "no-cache")
            #expect(try await Self.next(stream).comment == "watching store default after seq 0")
            let a = try await Self.next(stream)
            #expect(a.event == "change" && a["key"] == "a" && a["kind"] == "set" && a["value"] == 1)
            #expect(a["version"] == (try store.entry("a")).map { JSONValue.string($0.version) })
            #expect(a["expires_at"] == .null)
            let b = try await Self.next(stream)
            #expect(b["key"] == "b" && b["value"] == ["nested": true])
            #expect(b.id == "\(node.lastSeq)" && b["seq"] == .integer(node.lastSeq))
            // Live: a delete carries no value at all (null would be a value).
            try await store.delete("a")
            let deleted = try await Self.next(stream)
            #expect(deleted["key"] == "a" && deleted["kind"] == "delete" && deleted["value"] == nil)
            #expect(deleted.id == "\(node.lastSeq)")
            stream.disconnect()
        }
    }

    @Test func lastEventIDResumesAfterTheLastEventSeenAndWinsOverAfter() async throws {
        try await Self.withLiveAPI { port, node, store in
            try await store.set("a", 1)
            let afterA = node.lastSeq
            try await store.set("b", 2)
            try await store.set("c", 3)
            let stream = try await SSETestClient(
                port: port, path: "/v1/stores/default/watch?after=0",
                headers: ["Last-Event-ID": "\(afterA)"])
            #expect(try await Self.next(stream).comment == "watching store default after seq \(afterA)")
            #expect(try await Self.next(stream)["key"] == "b")
            #expect(try await Self.next(stream)["key"] == "c")
            stream.disconnect()
        }
    }

    @Test func aPrefixFiltersAndWatchingFromNowSkipsHistory() async throws {
        try await Self.withLiveAPI { port, _, store in
            try await store.set("user:old", 0)
            let stream = try await SSETestClient(port: port, path: "/v1/stores/default/watch?prefix=user%3A")
            // The opening comment means the feed is registered: later writes are in it.
            #expect(try await Self.next(stream).comment?.hasPrefix("watching store default") == true)
            try await store.set("other", 1)
            try await store.set("user:new", 2)
            let event = try await Self.next(stream)
            #expect(event["key"] == "user:new" && event["value"] == 2)
            stream.disconnect()
        }
    }

    @Test func anIdleStreamSendsKeepAliveComments() async throws {
        var settings = HTTPAPI.Settings()
        settings.watchKeepAlive = .milliseconds(50)
        try await Self.withLiveAPI(settings: settings) { port, _, _ in
            let stream = try await SSETestClient(port: port, path: "/v1/stores/default/watch")
            _ = try await Self.next(stream)
            #expect(try await Self.next(stream) == (try Block(": keep-alive")))
            #expect(try await Self.next(stream).comment == "keep-alive")
            stream.disconnect()
        }
    }

    @Test func theServerShuttingDownEndsOpenStreams() async throws {
        let ended = try await TestNode.with { node, _, _ in
            let app = Application(
                router: HTTPAPI(node: node).buildRouter(),
                configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
                logger: TestNode.quietLogger)
            // The app's graceful shutdown after the closure must end the open stream, or it hangs.
            let stream = try await app.test(.live) { client in
                let stream = try await SSETestClient(
                    port: try #require(client.port), path: "/v1/stores/default/watch")
                _ = try await Self.next(stream)
                return stream
            }
            return try await stream.nextBlock() == nil
        }
        #expect(ended)
    }

    @Test func badPositionsAndUnknownStoresAreJSONErrorsBeforeAnyStream() async throws {
        try await withAPI { api, node, store in
            try await store.set("a", 1)
            for (query, message) in [
                ("after=abc", "after must be a sequence number (an integer of 0 or more), not \"abc\""),
                ("after=-1", "after must be a sequence number (an integer of 0 or more), not \"-1\""),
                (
                    "after=99",
                    "after 99 is beyond this node's change feed head \(node.lastSeq): sequence numbers are per node, "
                        + "so resume only on the node that issued them"
                ),
            ] {
                let response = try await api.send(.get, "/v1/stores/default/watch?\(query)")
                #expect(response.status == .badRequest && response.errorKind == "INVALID", "\(query)")
                #expect(response.contentType == "application/json")
                guard case .object(let error)? = response["error"] else {
                    Issue.record("no error object for \(query)")
                    continue
                }
                #expect(error["message"] == .string(message))
            }
            let header = try await api.client.execute(
                uri: "/v1/stores/default/watch", method: .get,
                headers: [HTTPFields.Element.Name("Last-Event-ID")!: "x1"])
            #expect(header.status == .badRequest)
            #expect(String(buffer: header.body).contains("the Last-Event-ID header must be a sequence number"))
            let unknown = try await api.send(.get, "/v1/stores/nope/watch")
            #expect(unknown.status == .notFound && unknown.errorKind == "NOT_FOUND")
        }
    }

    @Test func underAnAccessPolicyTheFeedNeedsATokenAndShowsOnlyKeysItMayList() async throws {
        var settings = HTTPAPI.Settings()
        settings.policy = try AccessPolicy(
            tomlText: """
                [[token]]
                name = "public-reader"
                secret = "pr"
                [[token.rule]]
                actions = ["store.key.list"]
                stores = ["default"]
                keys = ["public/*"]
                """)
        try await Self.withLiveAPI(settings: settings) { port, _, store in
            try await store.set("private/a", 1)
            try await store.set("public/b", 2)
            let anonymous = try await SSETestClient(port: port, path: "/v1/stores/default/watch?after=0")
            #expect(anonymous.status == 401)
            let stream = try await SSETestClient(
                port: port, path: "/v1/stores/default/watch?after=0", headers: ["Authorization": "Bearer pr"])
            #expect(stream.status == 200)
            #expect(try await Self.next(stream).comment != nil)
            #expect(try await Self.next(stream)["key"] == "public/b", "private/a is not shown")
            try await store.set("private/c", 3)
            try await store.set("public/d", 4)
            #expect(try await Self.next(stream)["key"] == "public/d", "private/c is not shown")
            stream.disconnect()
        }
    }
}
