import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import StarlingTestKit
import Testing

/// Black-box tests of `starling serve`: real processes on loopback ports, driven only through
/// their HTTP API, the way an operator's scripts would.
@Suite(.serialized, .showsLogsOnFailure) struct ServeBlackBoxTests {
    /// A running `starling serve` process and the addresses it printed.
    struct Peer {
        let process: ChildProcess
        let http: String
        let gossip: String
        let directory: TemporaryDirectory

        /// Starts a peer on `directory`; ports 0 let the kernel choose unless given.
        static func start(
            _ directory: TemporaryDirectory, gossip: String = "127.0.0.1:0", join: [String] = [], extra: [String] = []
        ) throws -> Peer {
            var arguments =
                [
                    "serve", "--data-dir", directory.path, "--gossip", gossip, "--http", "127.0.0.1:0", "--resp",
                    "127.0.0.1:0",
                ] + extra
            for seed in join { arguments += ["--join", seed] }
            let process = try ChildProcess(Fixtures.starlingExecutable, arguments)
            guard let line = process.waitForLine(where: { $0.contains("HTTP on ") }),
                let gossip = Self.field(after: "gossip on ", in: line),
                let http = Self.field(after: "HTTP on ", in: line)
            else {
                process.kill()
                throw PeerDidNotStart(output: process.outputLines)
            }
            return Peer(process: process, http: "http://" + http, gossip: gossip, directory: directory)
        }

        static func field(after marker: String, in line: String) -> String? {
            line.components(separatedBy: marker).dropFirst().first?.components(separatedBy: ";").first
        }
    }

    struct PeerDidNotStart: Error, CustomStringConvertible {
        let output: [String]
        var description: String { "starling serve did not start: \(output)" }
    }

    /// Sends a request and returns the status and the parsed JSON body (nil when empty).
    static func request(
        _ method: HTTPMethod, _ url: String, body: String? = nil, token: String? = nil
    ) async throws -> (status: Int, json: Any?) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        let json = bytes.readableBytes == 0 ? nil : try JSONSerialization.jsonObject(with: Data(buffer: bytes))
        return (Int(response.status.code), json)
    }

    /// Every live key of a peer's `default` store with its value, read through paged `list`.
    static func contents(of peer: Peer) async throws -> [String: String] {
        var result: [String: String] = [:]
        var after = ""
        while true {
            let query = after.isEmpty ? "limit=1000" : "limit=1000&after=\(after)"
            let (status, json) = try await request(.GET, "\(peer.http)/v1/stores/default/entries?\(query)")
            guard status == 200, let page = json as? [String: Any], let items = page["items"] as? [[String: Any]]
            else { throw PeerDidNotStart(output: ["list answered \(status)"]) }
            for item in items {
                let value = try JSONSerialization.data(
                    withJSONObject: item["value"] ?? NSNull(), options: [.fragmentsAllowed, .sortedKeys])
                result[item["key"] as? String ?? ""] = String(decoding: value, as: UTF8.self)
            }
            guard page["has_more"] as? Bool == true, let cursor = page["cursor"] as? String else { return result }
            after = cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? cursor
        }
    }

    /// Waits until `peer` holds exactly `expected`.
    static func holds(_ peer: Peer, _ expected: [String: String], timeout: Duration = .seconds(60)) async -> Bool {
        await eventually(timeout: timeout, interval: .milliseconds(100)) {
            (try? await contents(of: peer)) == expected
        }
    }

    @Test func writesThroughOnePeerAreReadThroughAnotherAndAKilledPeerCatchesUp() async throws {
        let dirs = (0..<3).map { _ in TemporaryDirectory() }
        defer { for dir in dirs { dir.remove() } }
        let a = try Peer.start(dirs[0])
        let b = try Peer.start(dirs[1], join: [a.gossip])
        var c = try Peer.start(dirs[2], join: [a.gossip])

        var expected: [String: String] = [:]
        for index in 0..<40 {
            let key = "users/\(index)"
            let (status, _) = try await Self.request(
                .PUT, "\(a.http)/v1/stores/default/entries/\(key)", body: #"{"value": {"n": \#(index)}}"#)
            #expect(status == 200)
            expected[key] = #"{"n":\#(index)}"#
        }
        #expect(await Self.holds(b, expected), "a write through one peer is readable through another")
        #expect(await Self.holds(c, expected))
        let (status, json) = try await Self.request(.GET, "\(c.http)/v1/stores/default/entries/users/7")
        #expect(status == 200)
        #expect((json as? [String: Any])?["key"] as? String == "users/7")

        // SIGKILL one peer; the others keep taking writes and deletes while it is down.
        c.process.kill(SIGKILL)
        for index in 0..<20 {
            _ = try await Self.request(
                .PUT, "\(b.http)/v1/stores/default/entries/late/\(index)", body: #"{"value": "x\#(index)"}"#)
            expected["late/\(index)"] = #""x\#(index)""#
        }
        for index in 0..<10 {
            let (status, json) = try await Self.request(.DELETE, "\(a.http)/v1/stores/default/entries/users/\(index)")
            #expect(status == 200 && (json as? [String: Any])?["deleted"] as? Bool == true)
            expected["users/\(index)"] = nil
        }
        for _ in 0..<3 {
            _ = try await Self.request(
                .POST, "\(a.http)/v1/stores/default/incr", body: #"{"key": "hits", "amount": 2}"#)
            _ = try await Self.request(.POST, "\(b.http)/v1/stores/default/incr", body: #"{"key": "hits"}"#)
        }
        expected["hits"] = "9"

        // Restarted on the same data directory and gossip port, it catches up with everything.
        c = try Peer.start(dirs[2], gossip: c.gossip, join: [a.gossip])
        #expect(await Self.holds(c, expected), "the restarted peer caught up")
        #expect(await Self.holds(a, expected))
        #expect(await Self.holds(b, expected))
        for peer in [a, b, c] { peer.process.kill(SIGTERM) }
        for peer in [a, b, c] { #expect(peer.process.waitForExit() == 0, "SIGTERM stops a peer cleanly") }
    }

    @Test func clusterUpStartsPeersThatReplicateAndStopsThemOnSIGINT() async throws {
        let root = TemporaryDirectory()
        defer { root.remove() }
        // Ports from a range the kernel does not hand out as ephemeral ones (32768+).
        let httpPort = Int.random(in: 20_000..<25_000)
        let gossipPort = Int.random(in: 25_000..<30_000)
        let respPort = Int.random(in: 15_000..<20_000)
        let cluster = try ChildProcess(
            Fixtures.starlingExecutable,
            [
                "cluster", "up", "3", "--data-root", root.path, "--http-port", "\(httpPort)", "--gossip-port",
                "\(gossipPort)", "--resp-port", "\(respPort)",
            ])
        #expect(cluster.waitForLine(where: { $0.contains("3 peers running") }) != nil, "\(cluster.outputLines)")
        let first = "http://127.0.0.1:\(httpPort)"
        let third = "http://127.0.0.1:\(httpPort + 2)"
        let (status, _) = try await Self.request(
            .PUT, "\(first)/v1/stores/default/entries/greeting", body: #"{"value": "hello"}"#)
        #expect(status == 200)
        let replicated = await eventually {
            (try? await Self.request(.GET, "\(third)/v1/stores/default/entries/greeting").status) == 200
        }
        #expect(replicated, "a write on peer 1 appears on peer 3")

        cluster.kill(SIGINT)
        #expect(cluster.waitForExit() == 0)
        #expect(cluster.outputLines.contains("stopping 3 peers"))
        // Every peer released its data directory: it opens again at once.
        for peer in 1...3 {
            let reopened = try ChildProcess(
                Fixtures.starlingExecutable, ["debug", "hold", "--data-dir", root.appending("peer-\(peer)")])
            #expect(
                reopened.waitForLine(where: { $0.contains("holding") }) != nil, "peer \(peer): \(reopened.outputLines)")
            reopened.kill()
        }
    }

    @Test("a policy needs a cluster key, and a peer without the key learns nothing through gossip")
    func aPolicyCannotBeBypassedThroughGossip() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let policy = directory.appending("policy.toml")
        try """
        [[token]]
        name = "admin"
        secret = "admin-secret"

        [[token.rule]]
        actions = ["*"]
        stores = ["*"]
        """.write(toFile: policy, atomically: true, encoding: .utf8)
        // Once, the policy's peer started with open gossip and any peer could join it and read.
        let refused = try ChildProcess(
            Fixtures.starlingExecutable,
            [
                "serve", "--data-dir", directory.appending("refused"), "--policy-file", policy, "--http", "127.0.0.1:0",
                "--resp", "127.0.0.1:0",
            ],
            readingStandardError: true)
        #expect(refused.waitForLine(where: { $0.contains("starling keygen") }) != nil, "\(refused.outputLines)")
        #expect(refused.waitForExit() == 2)
        let key = directory.appending("cluster.key")
        let keygen = try ChildProcess(Fixtures.starlingExecutable, ["keygen", key])
        #expect(keygen.waitForExit() == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let again = try ChildProcess(Fixtures.starlingExecutable, ["keygen", key])
        #expect(again.waitForExit() == 1, "keygen does not replace a key without --force")

        let guarded = try Peer.start(
            TemporaryDirectory(), extra: ["--policy-file", policy, "--cluster-key-file", key])
        defer {
            guarded.process.kill()
            guarded.directory.remove()
        }
        let put = try await Self.request(
            .PUT, "\(guarded.http)/v1/stores/default/entries/secret", body: #"{"value": "s3cret"}"#,
            token: "admin-secret")
        #expect(put.status == 200)
        let stranger = try Peer.start(TemporaryDirectory(), join: [guarded.gossip])
        defer {
            stranger.process.kill()
            stranger.directory.remove()
        }
        let member = try Peer.start(TemporaryDirectory(), join: [guarded.gossip], extra: ["--cluster-key-file", key])
        defer {
            member.process.kill()
            member.directory.remove()
        }
        // The keyed member receives the entry; the stranger, which joined at the same time, does not.
        let replicated = await eventually {
            (try? await Self.request(.GET, "\(member.http)/v1/stores/default/entries/secret").status) == 200
        }
        #expect(replicated)
        #expect(try await Self.request(.GET, "\(stranger.http)/v1/stores/default/entries/secret").status == 404)
        // The guarded peer refused the stranger's datagrams, and counted them.
        let counted = await eventually {
            var request = HTTPClientRequest(url: "\(guarded.http)/metrics")
            request.headers.add(name: "Authorization", value: "Bearer admin-secret")
            guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(10)),
                let body = try? await response.body.collect(upTo: 16 << 20)
            else { return false }
            return String(buffer: body).contains(#"reason="unauthenticated""#)
        }
        #expect(counted)
    }
}
