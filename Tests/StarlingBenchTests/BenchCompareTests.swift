import NIOCore
import NIOHTTP1
import Starling
import StarlingCore
import StarlingHTTP
import StarlingTestKit
import Testing

@testable import StarlingBench

@Suite(.showsLogsOnFailure) struct RESPParserTests {
    @Test func encodesACommandAsAnArrayOfBulkStrings() {
        let encoded = RESPParser.encode([Array("SET".utf8), Array("k".utf8), Array("vv".utf8)])
        #expect(String(decoding: encoded, as: UTF8.self) == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nvv\r\n")
    }

    @Test func parsesEveryReplyKindAndSaysHowMuchItTook() throws {
        let cases: [(String, RESPReply, Int)] = [
            ("+OK\r\n", .simple("OK"), 5),
            ("-ERR wrong\r\n", .error("ERR wrong"), 12),
            (":42\r\n", .integer(42), 5),
            ("$3\r\nabc\r\n+OK\r\n", .bulk(Array("abc".utf8)), 9),
            ("$-1\r\n", .bulk(nil), 5),
        ]
        for (text, reply, consumed) in cases {
            let parsed = try #require(try RESPParser.parse(Array(text.utf8)))
            #expect(parsed.reply == reply, "parsing \(text.debugDescription)")
            #expect(parsed.consumed == consumed, "parsing \(text.debugDescription)")
        }
    }

    @Test func waitsForTheRestOfAPartialReply() throws {
        let whole = Array("$5\r\nhello\r\n".utf8)
        for cut in 0..<whole.count {
            #expect(try RESPParser.parse(whole[..<cut]) == nil, "cut at \(cut)")
        }
        #expect(try RESPParser.parse(whole)?.consumed == whole.count)
    }

    @Test func refusesRepliesItDoesNotSpeak() {
        #expect(throws: BenchFailure.self) { try RESPParser.parse(Array("*1\r\n$1\r\na\r\n".utf8)) }
        #expect(throws: BenchFailure.self) { try RESPParser.parse(Array("$x\r\n".utf8)) }
    }
}

@Suite(.showsLogsOnFailure) struct CompareReportTests {
    @Test func reportsMediansRatiosAndGoals() {
        var figures = CompareFigures()
        for (starling, etcd) in [(60_000.0, 5_000.0), (40_000, 4_000), (50_000, 6_000)] {
            figures.record("set x16 converged ops/s", .starling, starling)
            figures.record("set x16 ops/s", .etcd, etcd)
        }
        figures.record("raw SQLite upsert rows/s", .starling, 200_000)
        let report = CompareReport(
            figures: figures,
            goals: [
                CompareGoalSpec(
                    name: "vs etcd", numerator: ("set x16 converged ops/s", .starling),
                    denominator: ("set x16 ops/s", .etcd), target: 10),
                CompareGoalSpec(
                    name: "vs raw", numerator: ("set x16 converged ops/s", .starling),
                    denominator: ("raw SQLite upsert rows/s", .starling), target: 0.5),
            ],
            valueBytes: 100, runs: 3, durationSeconds: 1, concurrency: [16], starlingPeers: 3, etcdMembers: 3,
            redis: false, errors: [:], wallSeconds: 1)
        #expect(report.rows.map(\.name) == ["set x16 converged ops/s", "set x16 ops/s", "raw SQLite upsert rows/s"])
        #expect(report.rows[0].starling == 50_000)
        #expect(report.rows[1].etcd == 5_000)
        #expect(report.goals[0].ratio == 10)
        #expect(report.goals[0].met == true)
        #expect(report.goals[1].ratio == 0.25)
        #expect(report.goals[1].met == false)
        #expect(report.table().contains("vs raw: 0.25 (target >= 0.50) MISS"))
    }

    @Test func parsesRedisAddresses() {
        #expect(BenchCompare.hostPort("127.0.0.1:6379")?.host == "127.0.0.1")
        #expect(BenchCompare.hostPort("127.0.0.1:6379")?.port == 6379)
        #expect(BenchCompare.hostPort("6379") == nil)
        #expect(BenchCompare.hostPort("host:0") == nil)
    }
}

@Suite(.showsLogsOnFailure) struct BenchHTTPClientTests {
    @Test func parsesPlainHTTPEndpointsAndRefusesOthers() throws {
        #expect(try HTTPEndpoint("http://127.0.0.1:7070") == HTTPEndpoint("http://127.0.0.1:7070/"))
        #expect(try HTTPEndpoint("http://localhost:2379").port == 2379)
        for bad in [
            "https://127.0.0.1:7070", "127.0.0.1:7070", "http://127.0.0.1", "http://127.0.0.1:7070/v1", "http://:80",
        ] {
            #expect(throws: BenchFailure.self, "\(bad)") { try HTTPEndpoint(bad) }
        }
    }

    @Test func oneConnectionCarriesRequestsOneAfterAnotherWithStatusAndBody() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = StarlingServer.Configuration()
        configuration.dataDirectory = directory.path
        configuration.httpPort = 0
        configuration.replication.bind = PeerAddress(host: "127.0.0.1", port: 0)
        let server = try await StarlingServer.start(configuration, logger: TestNode.quietLogger)
        do {
            let connection = try await HTTPConnection.connect(try HTTPEndpoint("http://127.0.0.1:\(server.httpPort)"))
            let put = try await connection.send(
                .PUT, "/v1/stores/default/entries/k", body: Array(#"{"value":"v"}"#.utf8))
            #expect(put.status == 200)
            let get = try await connection.send(.GET, "/v1/stores/default/entries/k")
            #expect(get.status == 200)
            #expect(String(buffer: get.body).contains(#""value":"v""#))
            let absent = try await connection.send(.GET, "/v1/stores/default/entries/absent")
            #expect(absent.status == 404)
            #expect(String(buffer: absent.body).contains("NOT_FOUND"))
            await connection.close()
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }
}
