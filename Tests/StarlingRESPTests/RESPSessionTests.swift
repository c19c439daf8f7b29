import NIOCore
import Starling
import StarlingAccess
import StarlingCore
import StarlingTestKit
import Testing

@testable import StarlingRESP

/// A client session against a real node: commands in, replies out, as a connection runs them.
struct SessionHarness {
    var session: RESPSession
    let node: Node

    init(node: Node, databases: [String] = ["default"], policy: AccessPolicy? = nil) {
        var settings = RESPSettings()
        settings.databases = databases
        settings.policy = policy
        session = RESPSession(shared: RESPShared(node: node, replication: nil, settings: settings, port: 0), id: 7)
        self.node = node
    }

    mutating func send(_ words: String...) async -> RESPReply {
        await session.execute(RESPCommand(words.map { ByteBuffer(string: $0) })).0
    }

    mutating func send(bytes arguments: [[UInt8]]) async -> RESPReply {
        await session.execute(RESPCommand(arguments.map { ByteBuffer(bytes: $0) })).0
    }
}

extension RESPReply {
    var isError: Bool {
        if case .error = self { return true }
        return false
    }

    func errorStarts(with prefix: String) -> Bool {
        if case .error(let text) = self { return text.hasPrefix(prefix) }
        return false
    }
}

@Suite(.showsLogsOnFailure) struct RESPSessionTests {
    @Test func stringsRoundTripExactlyAndMeetHTTPValues() async throws {
        try await TestNode.with { (node, store, _) async throws in
            var client = SessionHarness(node: node)
            #expect(await client.send("SET", "k", "hello") == .ok)
            #expect(await client.send("GET", "k") == .bulk("hello"))
            #expect(try store.get("k") == .string("hello"))
            // Any UTF-8 text, quotes and escapes included, comes back byte for byte.
            let tricky = "\"é\\\n\u{1}{}"
            #expect(await client.send("SET", "t", tricky) == .ok)
            #expect(await client.send("GET", "t") == .bulk(tricky))
            // A value written over HTTP that is not a string reads as its JSON text.
            try await store.set("j", ["a": [1, true]])
            #expect(await client.send("GET", "j") == .bulk("{\"a\":[1,true]}"))
            #expect(await client.send("GET", "missing") == .null)
            // Bytes that are not UTF-8 are refused, and nothing is stored.
            let refused = await client.send(bytes: [Array("SET".utf8), Array("b".utf8), [0xFF, 0xFE]])
            #expect(refused.errorStarts(with: "ERR the value is not valid UTF-8"))
            #expect(try store.get("b") == nil)
        }
    }

    @Test func incrCountsFromADecimalStringAsRedisDoes() async throws {
        try await TestNode.with { (node, store, _) async throws in
            var client = SessionHarness(node: node)
            #expect(await client.send("SET", "n", "10") == .ok)
            #expect(await client.send("INCR", "n") == .integer(11))
            #expect(await client.send("INCRBY", "n", "-21") == .integer(-10))
            #expect(await client.send("DECRBY", "n", "5") == .integer(-15))
            #expect(await client.send("DECR", "fresh") == .integer(-1))
            #expect(await client.send("GET", "n") == .bulk("-15"))
            #expect(try store.get("n") == .integer(-15))
            #expect(await client.send("SET", "s", "010") == .ok)
            #expect(await client.send("INCR", "s") == .error("ERR value is not an integer or out of range"))
            #expect(await client.send("INCRBY", "n", "x") == .error("ERR value is not an integer or out of range"))
            #expect(await client.send("SET", "big", String(Int64.max)) == .ok)
            #expect(await client.send("INCR", "big") == .error("ERR increment or decrement would overflow"))
        }
    }

    @Test func expiryInSecondsAndMillisecondsPersistAndKeepTTL() async throws {
        try await TestNode.with { (node, store, clock) async throws in
            var client = SessionHarness(node: node)
            #expect(await client.send("SET", "a", "1", "PX", "1500") == .ok)
            #expect(await client.send("PTTL", "a") == .integer(1_500))
            #expect(await client.send("TTL", "a") == .integer(2))
            #expect(await client.send("SET", "a", "2", "KEEPTTL") == .ok)
            #expect(await client.send("PTTL", "a") == .integer(1_500))
            #expect(await client.send("PERSIST", "a") == .integer(1))
            #expect(await client.send("PERSIST", "a") == .integer(0))
            #expect(await client.send("TTL", "a") == .integer(-1))
            #expect(await client.send("TTL", "nope") == .integer(-2))
            #expect(await client.send("PEXPIRE", "a", "250") == .integer(1))
            #expect(await client.send("PTTL", "a") == .integer(250))
            #expect(await client.send("EXPIRE", "a", "10") == .integer(1))
            #expect(await client.send("PTTL", "a") == .integer(10_000))
            let at = clock.nowMillis() + 3_000
            #expect(await client.send("PEXPIREAT", "a", String(at)) == .integer(1))
            #expect(try store.entry("a")?.expiresAt == at)
            #expect(await client.send("SET", "e", "v", "EX", "5") == .ok)
            #expect(try store.ttlMillis("e") == 5_000)
            #expect(await client.send("SET", "e", "v", "EXAT", String(clock.nowMillis() / 1000 + 60)) == .ok)
            #expect(await client.send("SET", "e", "v", "PXAT", String(clock.nowMillis() + 60)) == .ok)
            #expect(try store.ttlMillis("e") == 60)
            #expect(await client.send("SET", "e", "v", "EX", "0") == .error("ERR invalid expire time in 'set' command"))
            #expect(await client.send("SET", "e", "v", "EX", "5", "PX", "5") == .error("ERR syntax error"))
            // A time not in the future deletes, as in Redis.
            #expect(await client.send("EXPIRE", "a", "0") == .integer(1))
            #expect(await client.send("EXISTS", "a") == .integer(0))
            #expect(await client.send("EXPIREAT", "e", "1") == .integer(1))
            #expect(await client.send("GET", "e") == .null)
            #expect(await client.send("EXPIRE", "gone", "5") == .integer(0))
            // A time too far ahead to add to now is refused, not wrapped into the past.
            #expect(await client.send("SET", "far", "v") == .ok)
            #expect(
                await client.send("PEXPIRE", "far", String(Int64.max))
                    == .error("ERR invalid expire time in 'pexpire' command"))
            #expect(await client.send("EXISTS", "far") == .integer(1))
            #expect(await client.send("PEXPIREAT", "far", "253402300799999") == .integer(1))
            #expect(await client.send("TTL", "far") == .integer((253_402_300_799_999 - clock.nowMillis() + 500) / 1000))
            #expect(await client.send("SETEX", "sx", "7", "v") == .ok)
            #expect(await client.send("PTTL", "sx") == .integer(7_000))
            #expect(await client.send("PSETEX", "sx", "250", "w") == .ok)
            #expect(await client.send("PTTL", "sx") == .integer(250))
            #expect(await client.send("TYPE", "sx") == .simple("string"))
            #expect(await client.send("TYPE", "none-such") == .simple("none"))
        }
    }

    @Test func conditionalCommandsAreRefusedAndWriteNothing() async throws {
        try await TestNode.with { (node, store, _) async throws in
            var client = SessionHarness(node: node)
            for command in [
                ["SET", "k", "v", "NX"], ["SET", "k", "v", "XX"], ["SET", "k", "v", "GET"], ["SETNX", "k", "v"],
                ["GETSET", "k", "v"], ["GETDEL", "k"], ["WATCH", "k"], ["MULTI"], ["EVAL", "return 1", "0"],
                ["EXPIRE", "k", "5", "NX"],
            ] {
                let reply = await client.session.execute(RESPCommand(command.map { ByteBuffer(string: $0) })).0
                #expect(reply.errorStarts(with: "ERR conditional writes need a linearizable store"), "\(command)")
            }
            #expect(try store.get("k") == nil)
            #expect(await client.send("DISCARD") == .ok)
            #expect(
                await client.send("NOPE", "a", "b")
                    == .error("ERR unknown command 'NOPE', with args beginning with: 'a' 'b' "))
            #expect(await client.send("GET") == .error("ERR wrong number of arguments for 'get' command"))
        }
    }

    @Test func aRefusedMultiRefusesWhatIsQueuedAfterItUntilExecOrDiscard() async throws {
        try await TestNode.with { (node, store, _) async throws in
            var client = SessionHarness(node: node)
            #expect(await client.send("MULTI").errorStarts(with: "ERR conditional writes"))
            #expect(await client.send("SET", "k", "v").errorStarts(with: "ERR conditional writes"))
            #expect(await client.send("EXEC").errorStarts(with: "EXECABORT"))
            #expect(try store.get("k") == nil)
            #expect(await client.send("SET", "k", "v") == .ok)
            #expect(await client.send("MULTI").isError)
            #expect(await client.send("DISCARD") == .ok)
            #expect(await client.send("GET", "k") == .bulk("v"))
        }
    }

    @Test func commandGetkeysAndConfigGetAnswerAsRedisDoes() async throws {
        try await TestNode.with { (node, _, _) async throws in
            var client = SessionHarness(node: node)
            #expect(
                await client.send("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2") == .array([.bulk("a"), .bulk("b")]))
            #expect(await client.send("COMMAND", "GETKEYS", "GET", "k") == .array([.bulk("k")]))
            #expect(await client.send("COMMAND", "GETKEYS", "PING").errorStarts(with: "ERR The command has no key"))
            #expect(await client.send("COMMAND", "NOPE").errorStarts(with: "ERR unknown subcommand 'NOPE'"))
            #expect(await client.send("CONFIG", "GET", "save") == .map([(.bulk("save"), .bulk(""))]))
            #expect(await client.send("CONFIG", "SET", "save", "").errorStarts(with: "ERR CONFIG is read-only"))
        }
    }

    @Test func multiKeyCommandsCountAsRedisDoes() async throws {
        try await TestNode.with { node, _, _ in
            var client = SessionHarness(node: node)
            #expect(await client.send("MSET", "a", "1", "b", "2", "a", "3") == .ok)
            #expect(await client.send("MGET", "a", "b", "c") == .array([.bulk("3"), .bulk("2"), .null]))
            #expect(await client.send("EXISTS", "a", "b", "c", "a") == .integer(3))
            #expect(await client.send("DBSIZE") == .integer(2))
            #expect(await client.send("DEL", "a", "c") == .integer(1))
            #expect(await client.send("UNLINK", "b") == .integer(1))
            #expect(await client.send("MSET", "a") == .error("ERR wrong number of arguments for 'mset' command"))
            #expect(await client.send("FLUSHDB") == .ok)
        }
    }

    @Test func keysAndScanVisitEveryKeyOnceWithNumericCursors() async throws {
        try await TestNode.with { (node, store, _) async throws in
            var client = SessionHarness(node: node)
            var expected: Set<String> = []
            for index in 0..<57 {
                try await store.set("user:\(index)", .string("x"))
                expected.insert("user:\(index)")
            }
            try await store.set("other", .string("y"))
            guard case .array(let all) = await client.send("KEYS", "user:*") else {
                Issue.record("KEYS did not answer an array")
                return
            }
            #expect(all.count == 57)
            var seen: [String] = []
            var cursor = "0"
            var pages = 0
            repeat {
                guard case .array(let reply) = await client.send("SCAN", cursor, "MATCH", "user:*", "COUNT", "10"),
                    case .bulk(let next) = reply[0], case .array(let keys) = reply[1]
                else {
                    Issue.record("SCAN answered no cursor and page")
                    return
                }
                cursor = String(buffer: next)
                #expect(UInt64(cursor) != nil)
                for case .bulk(let key) in keys { seen.append(String(buffer: key)) }
                pages += 1
            } while cursor != "0" && pages < 100
            #expect(Set(seen) == expected && seen.count == expected.count)
            #expect(await client.send("SCAN", "999") == .error("ERR invalid cursor"))
        }
    }

    @Test func selectMapsIndexesThroughTheConfiguredList() async throws {
        var settings = Node.Settings()
        settings.stores = ["default", "app:cache"]
        try await TestNode.with(settings: settings) { (node, store, _) async throws in
            var client = SessionHarness(node: node, databases: ["default", "app:cache"])
            #expect(await client.send("SELECT", "1") == .ok)
            #expect(await client.send("SET", "k", "cached") == .ok)
            #expect(try node.store("app:cache").get("k") == .string("cached"))
            #expect(try store.get("k") == nil)
            #expect(await client.send("SELECT", "2") == .error("ERR DB index is out of range"))
            #expect(await client.send("SELECT", "0") == .ok)
            #expect(await client.send("GET", "k") == .null)
            guard case .bulk(let info) = await client.send("INFO", "keyspace") else {
                Issue.record("INFO answered no bulk string")
                return
            }
            #expect(String(buffer: info).contains("db1:keys=1,expires=0"))
        }
    }

    @Test func helloSwitchesToRESP3AndClientCommandsAnswer() async throws {
        try await TestNode.with { node, _, _ in
            var client = SessionHarness(node: node)
            guard case .map(let fields) = await client.send("HELLO", "3") else {
                Issue.record("HELLO answered no map")
                return
            }
            #expect(fields.contains { $0.0 == .bulk("proto") && $0.1 == .integer(3) })
            #expect(client.session.version == 3)
            #expect(await client.send("HELLO", "4").errorStarts(with: "NOPROTO"))
            #expect(await client.send("CLIENT", "ID") == .integer(7))
            #expect(await client.send("CLIENT", "GETNAME") == .null)
            #expect(await client.send("CLIENT", "SETNAME", "worker") == .ok)
            #expect(await client.send("CLIENT", "GETNAME") == .bulk("worker"))
            #expect(await client.send("PING") == .simple("PONG"))
            #expect(await client.send("ECHO", "hi") == .bulk("hi"))
            #expect(await client.send("AUTH", "x").errorStarts(with: "ERR AUTH <password> called without"))
            #expect(await client.send("AUTH", "default", "anything") == .ok)
            guard case .array(let commands) = await client.send("COMMAND") else {
                Issue.record("COMMAND answered no array")
                return
            }
            #expect(commands.count == RESPCommandTable.all.count)
            #expect(await client.session.execute(RESPCommand("QUIT")).1 == .close)
        }
    }

    static let policy = """
        [[token]]
        name = "app"
        secret = "app-secret"

        [[token.rule]]
        actions = ["store.get", "store.info", "store.key.get", "store.key.set", "store.key.list", "store.key.has"]
        stores = ["default"]
        keys = ["app/*"]
        """

    @Test func withAPolicyAClientMustAuthenticateAndKeysAreChecked() async throws {
        try await TestNode.with { (node, store, _) async throws in
            var client = SessionHarness(node: node, policy: try AccessPolicy(tomlText: Self.policy))
            #expect(await client.send("PING") == .simple("PONG"))
            #expect(await client.send("GET", "app/a") == .error("NOAUTH Authentication required."))
            #expect(await client.send("AUTH", "wrong").errorStarts(with: "WRONGPASS"))
            #expect(await client.send("AUTH", "default", "app-secret") == .ok)
            #expect(await client.send("SET", "app/a", "1") == .ok)
            #expect(await client.send("SET", "secret", "1").errorStarts(with: "NOPERM"))
            // A multi-key command with one key out of reach is refused whole.
            #expect(await client.send("MSET", "app/b", "2", "secret", "3").errorStarts(with: "NOPERM"))
            #expect(try store.get("app/b") == nil && store.get("secret") == nil)
            #expect(await client.send("DEL", "app/a").errorStarts(with: "NOPERM"))
            try await store.set("hidden", .string("h"))
            #expect(await client.send("KEYS", "*") == .array([.bulk("app/a")]))
            guard case .array(let scan) = await client.send("SCAN", "0") else {
                Issue.record("SCAN answered no array")
                return
            }
            #expect(scan[1] == .array([.bulk("app/a")]))
            #expect(await client.send("FLUSHDB").errorStarts(with: "NOPERM"))

            var fresh = SessionHarness(node: node, policy: try AccessPolicy(tomlText: Self.policy))
            #expect(await fresh.send("HELLO", "3", "AUTH", "default", "app-secret").isError == false)
            #expect(await fresh.send("GET", "app/a") == .bulk("1"))
        }
    }
}
