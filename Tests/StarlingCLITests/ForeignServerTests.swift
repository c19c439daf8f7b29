import Hummingbird
import ServiceLifecycle
import Starling
import StarlingClient
import StarlingCore
import StarlingTestKit
import Testing

/// The client against a stand-in server whose answers the test chooses: what it sends, and how
/// it reads answers that are not the API's.
@Suite(.showsLogsOnFailure) struct ForeignServerTests {
    /// Runs `body` with the base URL of a server answering `router`'s routes on 127.0.0.1.
    func withServer(_ router: Router<BasicRequestContext>, _ body: (String) async throws -> Void) async throws {
        let (ports, continuation) = AsyncStream<Int?>.makeStream()
        let app = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port) },
            logger: TestNode.quietLogger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [app], logger: TestNode.quietLogger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next() ?? nil)
        do {
            try await body("http://127.0.0.1:\(port)")
        } catch {
            await group.triggerGracefulShutdown()
            _ = await task.result
            throw error
        }
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    @Test func theTokenIsSentAsABearerAuthorization() async throws {
        let router = Router()
        router.get("/v1/cluster") { request, _ -> Response in
            let seen = request.headers[.authorization] ?? "none"
            let body: JSONValue = ["id": .string(seen), "members": []]
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.encoded())))
        }
        try await withServer(router) { endpoint in
            let withToken = try await StarlingClient.with(endpoint: endpoint, token: "s3cret") {
                try await $0.cluster()
            }
            #expect(withToken.id == "Bearer s3cret")
            let without = try await StarlingClient.with(endpoint: endpoint) { try await $0.cluster() }
            #expect(without.id == "none")
        }
    }

    @Test func anAnswerThatIsNotTheAPIsTakesTheKindOfItsStatus() async throws {
        let router = Router()
        router.get("/v1/stores/default/info") { _, _ -> Response in
            Response(status: .badGateway, body: ResponseBody(byteBuffer: ByteBuffer(string: "upstream down")))
        }
        router.get("/v1/stores/default/stats") { _, _ -> Response in
            Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "{\"total_keys\": \"many\"}")))
        }
        try await withServer(router) { endpoint in
            try await StarlingClient.with(endpoint: endpoint) { client in
                let gateway = await #expect(throws: StoreError.self) { try await client.info() }
                #expect(gateway?.kind == .internal)
                let expected = "\(endpoint) answered HTTP 502 with \"upstream down\"; is it a starling serve endpoint?"
                #expect(gateway?.message == expected)
                let malformed = await #expect(throws: StoreError.self) { try await client.stats() }
                #expect(malformed?.kind == .internal && malformed?.message.contains("total_keys") == true)
                let unrouted = await #expect(throws: StoreError.self) { try await client.keys() }
                #expect(unrouted?.kind == .notFound)
            }
        }
    }

    @Test func aServerThatDoesNotAnswerInTimeIsUnavailable() async throws {
        // The stand-in holds its answer until the test has seen the client give up.
        let (release, releaseAnswer) = AsyncStream<Void>.makeStream()
        defer { releaseAnswer.finish() }
        let router = Router()
        router.post("/v1/stores/default/clear") { _, _ -> Response in
            for await _ in release {}
            return Response(status: .ok)
        }
        try await withServer(router) { endpoint in
            var settings = StarlingClient.Settings()
            settings.requestTimeout = .milliseconds(200)
            let error = await #expect(throws: StoreError.self) {
                try await StarlingClient.with(endpoint: endpoint, settings: settings) { try await $0.clear() }
            }
            #expect(error?.kind == .unavailable)
            #expect(error?.message == "\(endpoint) did not answer in time; the write may or may not have been applied")
            releaseAnswer.finish()
        }
    }
}
