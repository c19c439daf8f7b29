import Starling
import StarlingClient
import StarlingCore
import StarlingTestKit
import Testing

@testable import StarlingCLI

/// The human-readable text and the `--json` results of every kind of result, and how they
/// become standard output, standard error and the exit status.
@Suite(.showsLogsOnFailure) struct FormatTests {
    let entry = Entry(key: "user:1", value: ["name": "Ada"], version: "v1", expiresAt: 1_700_000_000_000)

    @Test func entryShowsAlignedFieldsAndTheExpiryInUTC() {
        #expect(
            ClientFormat.entry(entry) == """
                key:        user:1
                value:      {"name":"Ada"}
                version:    v1
                expires_at: 1700000000000 (2023-11-14T22:13:20.000Z)
                """)
        #expect(ClientFormat.expiry(nil) == "never")
        #expect(
            entry.json.description
                == #"{"expires_at":1700000000000,"key":"user:1","value":{"name":"Ada"},"version":"v1"}"#)
    }

    @Test func ttlNamesTheSpecialValues() {
        #expect(ClientFormat.ttl(42) == "42 s")
        #expect(ClientFormat.ttl(0) == "0 s")
        #expect(ClientFormat.ttl(-1) == "no expiry (-1)")
        #expect(ClientFormat.ttl(-2) == "missing (-2)")
    }

    @Test func listIsATableWithTheNextCursorWhenMoreFollow() {
        let page = ListPage(
            items: [entry, Entry(key: "user:22", value: 5, version: "v2", expiresAt: nil)], cursor: "dXNlcjoyMg",
            hasMore: true)
        #expect(
            ClientFormat.page(page) == """
                KEY      VALUE           EXPIRES_AT
                user:1   {"name":"Ada"}  1700000000000
                user:22  5               never
                more entries follow; next page: --after dXNlcjoyMg
                """)
        #expect(ClientFormat.page(ListPage(items: [], cursor: nil, hasMore: false)) == "(no entries)")
        let last = ListPage(items: [entry], cursor: "x", hasMore: false)
        #expect(!ClientFormat.page(last).contains("more"))
        #expect(
            ListPage(items: [], cursor: nil, hasMore: false).json.description
                == #"{"cursor":null,"has_more":false,"items":[]}"#)
    }

    @Test func aCursorThatNeedsQuotingIsShellQuoted() {
        #expect(ClientFormat.shellQuoted("abc-_") == "abc-_")
        #expect(ClientFormat.shellQuoted("a b") == "'a b'")
        #expect(ClientFormat.shellQuoted("it's") == #"'it'\''s'"#)
        #expect(ClientFormat.shellQuoted("") == "''")
    }

    @Test func mgetPairsKeysWithValuesAndNullForAbsent() {
        #expect(
            ClientFormat.values([.string("x"), nil], keys: ["a", "long-key"]) == """
                KEY       VALUE
                a         "x"
                long-key  null
                """)
    }

    @Test func infoStatsAndClusterUseTheAPINames() {
        #expect(ClientFormat.info(StoreInfo(id: "s")).hasPrefix("id:              s\nbackend:         kv.crdt\n"))
        #expect(
            StoreInfo(id: "s").json.description
                == #"{"backend":"kv.crdt","conditional_put":false,"consistency":"eventual","durable":true,"#
                + #""id":"s","list":true,"ttl":true,"versioned":true}"#)
        var stats = StoreStats()
        stats.totalKeys = 3
        stats.activeKeys = 2
        stats.valueBytes = 10
        #expect(ClientFormat.stats(stats).hasPrefix("total_keys:    3\nactive_keys:   2\n"))
        #expect(
            stats.json.description
                == #"{"active_keys":2,"counters":0,"expired_keys":0,"keys_with_ttl":0,"tombstones":0,"#
                + #""total_keys":3,"value_bytes":10}"#)
        let member = ClusterStatus.Member(
            id: "b2", address: "10.0.0.2:7946", state: "alive", incarnation: 1, lagSeq: 3, lagMillis: 40,
            lastAckMillis: nil)
        let cluster = ClusterStatus(id: "a1", address: "10.0.0.1:7946", members: [member])
        #expect(
            ClientFormat.cluster(cluster) == """
                node a1
                ID  ADDRESS        STATE  LAG_SEQ  LAG_MS  LAST_ACK
                b2  10.0.0.2:7946  alive  3        40      never
                """)
        #expect(ClientFormat.cluster(ClusterStatus(id: "a1", members: [])) == "node a1\nno other members")
        let json = cluster.json.description
        #expect(json.contains(#""lag_millis":40,"lag_seconds":0.04,"lag_seq":3,"last_ack":null"#), "\(json)")
        #expect(
            json.contains(#""address":"10.0.0.1:7946","backpressure":null,"id":"a1""#),
            "the answering node's address, as the API has it: \(json)")
    }

    @Test func clusterShowsTheBackpressureOnWrites() {
        var cluster = ClusterStatus(id: "a1", members: [])
        cluster.backpressure = ClusterStatus.Backpressure(
            maxBacklog: 20_000, maxWaitMillis: 250, backlog: 25_000, delayedWrites: 7, timedOutWaits: 2)
        #expect(
            ClientFormat.cluster(cluster) == """
                node a1
                no other members
                backpressure: backlog 25000 of at most 20000 changes, writes wait up to 250 ms; 7 waited (2 timed out)
                """)
        cluster.backpressure?.maxBacklog = nil
        #expect(
            ClientFormat.cluster(cluster).hasSuffix("backpressure: off (backlog 25000 changes); 7 waited (2 timed out)")
        )
    }

    @Test func outputPrintsJSONOrTextAndErrorsOnStandardError() {
        let result = CommandResult(json: .bool(true), text: "OK")
        #expect(CommandOutput(result, json: false) == CommandOutput(stdout: "OK\n", stderr: "", status: 0))
        #expect(CommandOutput(result, json: true) == CommandOutput(stdout: "true\n", stderr: "", status: 0))
        let keys = CommandResult(json: .array([]), text: "")
        #expect(CommandOutput(keys, json: false).stdout == "")
        #expect(CommandOutput(keys, json: true).stdout == "[]\n")
        let absent = CommandOutput(CommandResult.absent("k", store: "s"), json: true)
        #expect(absent.status == 3 && absent.stdout == "")
        #expect(absent.stderr == "error: NOT_FOUND: the key \"k\" is absent from store \"s\"\n")
        let failed = CommandOutput(StoreError.invalid("ttl must be positive"))
        #expect(failed == CommandOutput(stdout: "", stderr: "error: INVALID: ttl must be positive\n", status: 1))
    }
}
