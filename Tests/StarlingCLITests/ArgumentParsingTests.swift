import ArgumentParser
import StarlingCore
import StarlingTestKit
import Testing

@testable import StarlingCLI

/// Every client command parses its arguments as APIContract.md's "Command line" describes, and refuses
/// bad usage with ArgumentParser's validation failure (which `main` turns into status 2).
@Suite(.showsLogsOnFailure) struct ArgumentParsingTests {
    func parse<T: ParsableCommand>(_ arguments: [String], as type: T.Type) throws -> T {
        let command = try StarlingCommand.parseAsRoot(arguments)
        return try #require(command as? T, "\(arguments) parsed as \(Swift.type(of: command))")
    }

    func isUsageError(_ arguments: [String]) -> Bool {
        do {
            _ = try StarlingCommand.parseAsRoot(arguments)
            return false
        } catch {
            return StarlingCommand.exitCode(for: error) == .validationFailure
        }
    }

    @Test func keyCommandsTakeOneKeyAndTheSharedOptions() throws {
        let get = try parse(
            ["get", "a/b c", "--store", "app:cache", "--endpoint", "http://h:1", "--token", "t", "--json"],
            as: GetCommand.self)
        #expect(get.key == "a/b c")
        #expect(get.connection.store == "app:cache")
        #expect(get.connection.endpoint == "http://h:1")
        #expect(get.connection.token == "t")
        #expect(get.connection.json)
        #expect(try parse(["entry", "k"], as: EntryCommand.self).key == "k")
        #expect(try parse(["has", "k"], as: HasCommand.self).key == "k")
        #expect(try parse(["del", "k"], as: DelCommand.self).key == "k")
        #expect(try parse(["ttl", "k"], as: TTLCommand.self).key == "k")
        let defaults = try parse(["get", "k"], as: GetCommand.self).connection
        #expect(defaults.store == "default" && defaults.endpoint == nil && defaults.token == nil && !defaults.json)
    }

    @Test func writeCommandsTakeTheirValuesAndOptions() throws {
        let set = try parse(["set", "k", "{\"a\":1}", "--ttl", "30"], as: SetCommand.self)
        #expect(set.key == "k" && set.value == "{\"a\":1}" && set.ttl == 30)
        #expect(try parse(["set", "k", "v"], as: SetCommand.self).ttl == 0)
        let put = try parse(
            ["put", "k", "v", "--ttl", "5", "--only-if-absent", "--if-version", "x"], as: PutCommand.self)
        #expect(put.key == "k" && put.value == "v" && put.ttl == 5 && put.onlyIfAbsent && put.ifVersion == "x")
        let plain = try parse(["put", "k", "v"], as: PutCommand.self)
        #expect(!plain.onlyIfAbsent && plain.ifVersion == nil)
        #expect(try parse(["incr", "n"], as: IncrCommand.self).amount == 1)
        #expect(try parse(["incr", "n", "7"], as: IncrCommand.self).amount == 7)
        #expect(try parse(["incr", "n", "--", "-5"], as: IncrCommand.self).amount == -5)
        #expect(try parse(["decr", "n"], as: DecrCommand.self).amount == 1)
        #expect(try parse(["decr", "n", "3"], as: DecrCommand.self).amount == 3)
        let expire = try parse(["expire", "k", "60"], as: ExpireCommand.self)
        #expect(expire.key == "k" && expire.amount == 60 && !expire.ms)
        let pexpire = try parse(["expire", "k", "1500", "--ms"], as: ExpireCommand.self)
        #expect(pexpire.amount == 1500 && pexpire.ms)
        #expect(try parse(["persist", "k"], as: PersistCommand.self).key == "k")
        #expect(try parse(["ttl", "k", "--ms"], as: TTLCommand.self).ms)
        let setMillis = try parse(["set", "k", "v", "--ttl-ms", "250"], as: SetCommand.self)
        #expect(setMillis.ttlMs == 250 && !setMillis.keepTtl)
        let mset = try parse(["mset", "a=1", "b=x=y", "--ttl", "9"], as: MSetCommand.self)
        #expect(mset.pairs == ["a=1", "b=x=y"] && mset.ttl == 9)
    }

    @Test func queryAndStoreCommandsTakeTheirOptions() throws {
        let list = try parse(
            ["list", "--prefix", "user:", "--after", "dXNlcjox", "--limit", "5"], as: ListCommand.self)
        #expect(list.prefix == "user:" && list.after == "dXNlcjox" && list.limit == 5)
        let defaults = try parse(["list"], as: ListCommand.self)
        #expect(defaults.prefix == "" && defaults.after == nil && defaults.limit == 100)
        #expect(try parse(["keys"], as: KeysCommand.self).pattern == "*")
        #expect(try parse(["keys", "user:*"], as: KeysCommand.self).pattern == "user:*")
        #expect(try parse(["mget", "a", "b"], as: MGetCommand.self).keys == ["a", "b"])
        _ = try parse(["info", "--json"], as: InfoCommand.self)
        _ = try parse(["stats"], as: StatsCommand.self)
        _ = try parse(["clear", "--store", "s"], as: ClearCommand.self)
        _ = try parse(["cluster"], as: ClusterCommand.self)
    }

    @Test(arguments: [
        ["get"], ["get", "a", "b"], ["entry"], ["has"], ["del"], ["ttl"],
        ["set", "k"], ["set", "k", "v", "--ttl", "soon"], ["put", "k"],
        ["list", "--limit", "many"], ["keys", "a", "b"],
        ["incr"], ["incr", "k", "one"], ["decr", "k", "1.5"], ["expire", "k"], ["expire", "k", "later"],
        ["mget"], ["mset"], ["mset", "novalue"], ["mset", "=v"],
        ["info", "extra"], ["cluster", "--bogus"],
        ["get", "k", "--endpoint", "ftp://h"], ["get", "k", "--endpoint", "http://"], ["get", "k", "--store", ""],
        ["nosuchcommand"],
    ])
    func badUsageIsAValidationFailure(_ arguments: [String]) {
        #expect(isUsageError(arguments), "\(arguments)")
    }

    @Test func everyClientCommandHasExamplesInItsHelp() {
        let commands: [any ParsableCommand.Type] = [
            GetCommand.self, EntryCommand.self, HasCommand.self, DelCommand.self, TTLCommand.self, SetCommand.self,
            PutCommand.self, ListCommand.self, KeysCommand.self, IncrCommand.self, DecrCommand.self,
            ExpireCommand.self, MGetCommand.self, MSetCommand.self, InfoCommand.self, StatsCommand.self,
            ClearCommand.self, ClusterCommand.self,
        ]
        // `cluster` is a group whose default subcommand is the client command `cluster status`.
        let registered = StarlingCommand.configuration.subcommands + Cluster.configuration.subcommands
        for command in commands {
            let name = command == ClusterCommand.self ? "cluster" : command.configuration.commandName ?? "?"
            #expect(command.configuration.discussion.contains("Examples:\n  starling \(name)"), "\(name)")
            #expect(registered.contains { $0 == command }, "\(name) is registered")
        }
    }

    @Test func endpointAndTokenComeFromOptionThenEnvironmentThenDefault() throws {
        let bare = try parse(["get", "k"], as: GetCommand.self).connection
        #expect(bare.resolvedEndpoint(environment: [:]) == "http://127.0.0.1:7070")
        #expect(bare.resolvedEndpoint(environment: ["STARLING_ENDPOINT": "http://e:1"]) == "http://e:1")
        #expect(bare.resolvedToken(environment: [:]) == nil)
        #expect(bare.resolvedToken(environment: ["STARLING_TOKEN": "env"]) == "env")
        let given = try parse(["get", "k", "--endpoint", "http://o:2", "--token", "opt"], as: GetCommand.self)
        #expect(given.connection.resolvedEndpoint(environment: ["STARLING_ENDPOINT": "http://e:1"]) == "http://o:2")
        #expect(given.connection.resolvedToken(environment: ["STARLING_TOKEN": "env"]) == "opt")
    }
}
