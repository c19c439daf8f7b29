import Starling
import StarlingCore
import StarlingTestKit
import Testing

@testable import StarlingCLI

/// The client commands, parsed from their arguments and run against a real HTTP API: what they
/// print, what they change, how they exit.
@Suite(.showsLogsOnFailure) struct CommandEndToEndTests {
    @Test func writeThenReadThroughEveryKeyCommand() async throws {
        try await TestServer.with { server in
            #expect(try await server.run(["set", "user:1", #"{"name":"Ada"}"#]).stdout == "OK\n")
            #expect(try server.store.get("user:1") == ["name": "Ada"])
            #expect(try await server.run(["set", "greeting", "hello world", "--ttl", "60"]).stdout == "OK\n")
            #expect(try server.store.get("greeting") == "hello world")
            let get = try await server.run(["get", "user:1"])
            #expect(get == CommandOutput(stdout: #"{"name":"Ada"}"# + "\n", stderr: "", status: 0))
            #expect(try await server.run(["get", "greeting", "--json"]).stdout == "\"hello world\"\n")
            let entry = try await server.run(["entry", "greeting"])
            #expect(entry.status == 0 && entry.stdout.hasPrefix("key:        greeting\nvalue:      \"hello world\"\n"))
            let entryJSON = try await server.run(["entry", "greeting", "--json"])
            let parsed = try JSONValue(parsing: entryJSON.stdout)
            guard case .object(let fields) = parsed else { throw StoreError.internal("not an object") }
            let stored = try #require(try server.store.entry("greeting"))
            #expect(fields["key"] == "greeting" && fields["version"] == .string(stored.version))
            #expect(try await server.run(["has", "user:1"]).stdout == "true\n")
            #expect(try await server.run(["has", "nobody"]) == CommandOutput(stdout: "false\n", stderr: "", status: 0))
            #expect(try await server.run(["ttl", "user:1"]).stdout == "no expiry (-1)\n")
            #expect(try await server.run(["ttl", "nobody", "--json"]).stdout == "-2\n")
            #expect(try await server.run(["del", "user:1"]).stdout == "deleted user:1\n")
            #expect(try await server.run(["del", "user:1", "--json"]).stdout == "false\n")
            #expect(try server.store.get("user:1") == nil)
        }
    }

    @Test func putIncrExpireMsetMgetListKeys() async throws {
        try await TestServer.with { server in
            let put = try await server.run(["put", "p", "5", "--json"])
            #expect(put.status == 0)
            #expect(try JSONValue(parsing: put.stdout).description.contains(#""value":5"#))
            #expect(try await server.run(["incr", "n"]).stdout == "1\n")
            #expect(try await server.run(["incr", "n", "10"]).stdout == "11\n")
            #expect(try await server.run(["incr", "n", "--", "-2"]).stdout == "9\n")
            #expect(try await server.run(["decr", "n", "4", "--json"]).stdout == "5\n")
            #expect(try await server.run(["expire", "p", "30"]).stdout == "p expires in 30 s\n")
            #expect(try server.store.ttl("p") > 0)
            #expect(try await server.run(["expire", "ghost", "30", "--json"]).stdout == "false\n")
            #expect(try await server.run(["mset", "a=1", "b=two", #"c={"q":null}"#]).stdout == "OK (3 keys)\n")
            #expect(try server.store.mget(["a", "b", "c"]) == [1, "two", ["q": nil]])
            #expect(try await server.run(["mget", "a", "ghost", "b", "--json"]).stdout == #"[1,null,"two"]"# + "\n")
            #expect(try await server.run(["keys", "[ab]"]).stdout == "a\nb\n")
            #expect(try await server.run(["keys", "zzz*"]) == CommandOutput(stdout: "", stderr: "", status: 0))
            #expect(try await server.run(["keys", "zzz*", "--json"]).stdout == "[]\n")
            let page = try await server.run(["list", "--limit", "2"])
            let table = "KEY  VALUE  EXPIRES_AT\na    1      never\nb    \"two\"  never\nmore entries follow"
            #expect(page.stdout.hasPrefix(table))
            let pageJSON = try JSONValue(parsing: try await server.run(["list", "--limit", "2", "--json"]).stdout)
            guard case .object(let fields) = pageJSON, case .string(let cursor)? = fields["cursor"] else {
                throw StoreError.internal("no cursor in \(pageJSON)")
            }
            let rest = try await server.run(["list", "--after", cursor, "--json"])
            #expect(rest.stdout.contains(#""has_more":false"#) && rest.stdout.contains(#""key":"p""#))
        }
    }

    @Test func storeCommandsReportAndClear() async throws {
        try await TestServer.with(stores: ["app:cache"]) { server in
            _ = try await server.store.set("k", 1)
            #expect(try await server.run(["info"]).stdout.contains("backend:         kv.crdt\n"))
            let info = try await server.run(["info", "--store", "app:cache", "--json"])
            #expect(info.stdout.contains(#""id":"app:cache""#))
            #expect(try await server.run(["stats"]).stdout.contains("active_keys:   1\n"))
            #expect(try await server.run(["stats", "--json"]).stdout.contains(#""active_keys":1"#))
            #expect(
                try await server.run(["cluster"]).stdout
                    == "node \(server.node.id)\nno other members\nbackpressure: backlog 0 of at most 20000 changes, "
                    + "writes wait up to 250 ms; 0 waited (0 timed out)\n")
            let cluster = try await server.run(["cluster", "--json"])
            #expect(
                cluster.stdout
                    == #"{"address":"\#(server.gossipAddress)","backpressure":{"backlog":0,"delayed_writes":0,"max_backlog":20000,"#
                    + #""max_wait_millis":250,"timed_out_waits":0},"id":"\#(server.node.id)","members":[]}"#
                    + "\n", "as GET /v1/cluster answers")
            #expect(try await server.run(["clear"]).stdout == "OK\n")
            #expect(try server.store.keys().isEmpty)
        }
    }

    @Test func anAbsentKeyExitsThreeForGetAndEntry() async throws {
        try await TestServer.with { server in
            for command in ["get", "entry"] {
                for json in [false, true] {
                    let output = try await server.run([command, "ghost"] + (json ? ["--json"] : []))
                    #expect(
                        output
                            == CommandOutput(
                                stdout: "",
                                stderr: "error: NOT_FOUND: the key \"ghost\" is absent from store \"default\"\n",
                                status: 3))
                }
            }
        }
    }

    @Test func anErrorKindExitsOneWithTheServersMessage() async throws {
        try await TestServer.with { server in
            _ = try await server.store.set("text", "abc")
            #expect(
                try await server.run(["incr", "text"])
                    == CommandOutput(
                        stdout: "", stderr: "error: INVALID: the value of text is not an integer\n", status: 1))
            let conditional = try await server.run(["put", "k", "1", "--only-if-absent"])
            #expect(conditional.status == 1 && conditional.stderr.hasPrefix("error: INVALID: conditional writes need"))
            let both = try await server.run(["put", "k", "1", "--only-if-absent", "--if-version", "v"])
            #expect(both.stderr == "error: INVALID: only_if_absent and if_version are mutually exclusive\n")
            #expect(try await server.run(["expire", "text", "0"]).stderr == "error: INVALID: ttl must be positive\n")
            #expect(try server.store.get("k") == nil)
            let unknownStore = try await server.run(["get", "k", "--store", "nope"])
            #expect(unknownStore.status == 1 && unknownStore.stderr.hasPrefix("error: NOT_FOUND: no store \"nope\""))
            #expect(try await server.run(["has", "k", "--store", "nope"]).status == 1)
        }
    }

    @Test func anUnreachableEndpointExitsOneWithUnavailable() async throws {
        let port = try await closedPort()
        for arguments in [["get", "k"], ["set", "k", "v"], ["cluster", "--json"]] {
            let output = try await TestServer.run(
                arguments + ["--endpoint", "http://127.0.0.1:\(port)"], environment: [:])
            #expect(
                output
                    == CommandOutput(
                        stdout: "",
                        stderr: "error: UNAVAILABLE: cannot reach http://127.0.0.1:\(port): connection refused "
                            + "(is starling serve running?)\n",
                        status: 1))
        }
        let fromEnvironment = try await TestServer.run(
            ["has", "k"], environment: ["STARLING_ENDPOINT": "http://127.0.0.1:\(port)"])
        #expect(fromEnvironment.stderr.contains("cannot reach http://127.0.0.1:\(port)"))
    }

    @Test func theBinaryExitsWithTheStatusesOfAPIMd() async throws {
        try await TestServer.with { server in
            let environment = ["STARLING_ENDPOINT": server.endpoint]
            let set = try runStarlingBinary(["set", "k", "[1,2]"], environment: environment)
            #expect(set.status == 0 && set.stdout == "OK\n")
            let get = try runStarlingBinary(["get", "k"], environment: environment)
            #expect(get.status == 0 && get.stdout == "[1,2]\n")
            let missing = try runStarlingBinary(["get", "ghost"], environment: environment)
            #expect(missing.status == 3 && missing.stderr.hasPrefix("error: NOT_FOUND:"))
            let failed = try runStarlingBinary(["incr", "k"], environment: environment)
            #expect(failed.status == 1 && failed.stderr == "error: INVALID: the value of k is not an integer\n")
            let usage = try runStarlingBinary(["get"], environment: environment)
            #expect(usage.status == 2 && usage.stderr.contains("Missing expected argument '<key>'"))
            let badEndpoint = try runStarlingBinary(["get", "k", "--endpoint", "ftp://x"])
            #expect(badEndpoint.status == 2 && badEndpoint.stderr.contains("--endpoint"))
            let help = try runStarlingBinary(["set", "--help"])
            #expect(help.status == 0 && help.stdout.contains("Examples:"))
        }
    }
}
