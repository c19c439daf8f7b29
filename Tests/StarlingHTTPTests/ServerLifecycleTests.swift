import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Starling
import StarlingCore
import StarlingHTTP
import StarlingTestKit
import Testing

/// ``StarlingServer`` end to end on loopback: what `starling serve` runs, in process.
@Suite(.serialized, .showsLogsOnFailure) struct ServerLifecycleTests {
    static func configuration(_ directory: TemporaryDirectory, seeds: [PeerAddress] = [])
        -> StarlingServer.Configuration
    {
        var configuration = StarlingServer.Configuration()
        configuration.dataDirectory = directory.path
        configuration.httpPort = 0
        configuration.replication.bind = PeerAddress(host: "127.0.0.1", port: 0)
        configuration.replication.seeds = seeds
        return configuration
    }

    /// PUTs `key` and returns whether the server acknowledged it with 200.
    static func put(_ port: Int, _ key: String) async -> Bool {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/stores/default/entries/\(key)")
        request.method = .PUT
        request.body = .bytes(ByteBuffer(string: #"{"value": "\#(key)"}"#))
        // A generous deadline: on a loaded machine a write may take seconds, and a writer stops at its
        // first failure (which should come from the shutdown, not from load).
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(15)) else { return false }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return response.status == .ok
    }

    @Test("shutdown lets in-flight writes finish: every acknowledged write is on disk")
    func shutdownKeepsEveryAcknowledgedWrite() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let server = try await StarlingServer.start(Self.configuration(directory), logger: TestNode.quietLogger)
        let port = server.httpPort
        let acknowledged = await withTaskGroup(of: [String].self) { group in
            for writer in 0..<8 {
                group.addTask {
                    var acked: [String] = []
                    for index in 0..<10_000 {
                        let key = "w\(writer)-\(index)"
                        guard await Self.put(port, key) else { break }
                        acked.append(key)
                    }
                    return acked
                }
            }
            group.addTask {
                // Shut down while the writers are busy.
                _ = await eventually { (try? server.node.store("default").keys().count) ?? 0 >= 200 }
                await server.shutdown()
                return []
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(acknowledged.count >= 200)
        #expect(await Self.put(port, "after") == false, "a stopped server accepts nothing")
        let reopened = try Node.open(directory: directory.path, logger: TestNode.quietLogger)
        let stored = Set(try reopened.store("default").keys())
        await reopened.close()
        #expect(
            Set(acknowledged).isSubset(of: stored),
            "\(Set(acknowledged).subtracting(stored).count) acknowledged writes lost")
    }

    @Test("shutdown leaves the membership: a peer sees the node as left")
    func shutdownLeavesTheCluster() async throws {
        let first = TemporaryDirectory()
        let second = TemporaryDirectory()
        defer {
            first.remove()
            second.remove()
        }
        let a = try await StarlingServer.start(Self.configuration(first), logger: TestNode.quietLogger)
        let b = try await StarlingServer.start(
            Self.configuration(second, seeds: [a.replication.boundAddress]), logger: TestNode.quietLogger)
        let joined = await eventually { await a.replication.engine.members().contains { $0.update.status == .alive } }
        #expect(joined)
        await b.shutdown()
        let left = await eventually { await a.replication.engine.members().allSatisfy { $0.update.status == .left } }
        let states = await a.replication.engine.members().map(\.update.status)
        #expect(left, "\(states)")
        await a.shutdown()
    }
}
