import StarlingModel
import Testing

/// The API's objects are written once (APIObjects.swift): what the server writes, the client reads
/// back unchanged, and a malformed object is an error of the reader's kind naming the field.
@Suite struct APIObjectTests {
    @Test func everyObjectReadsBackWhatItWrote() throws {
        let entry = Entry(key: "user:1", value: ["name": "Ada", "n": 3], version: "v1", expiresAt: 1_700_000_000_123)
        #expect(try Entry(json: entry.json) == entry)
        let endless = Entry(key: "k", value: .null, version: "v2", expiresAt: nil)
        #expect(try Entry(json: endless.json) == endless)

        let page = ListPage(items: [entry, endless], cursor: "k", hasMore: true)
        #expect(try ListPage(json: page.json) == page)

        var info = StoreInfo(id: "app:cache")
        info.ttl = false
        #expect(try StoreInfo(json: info.json) == info)

        var stats = StoreStats()
        (stats.totalKeys, stats.activeKeys, stats.expiredKeys, stats.keysWithTTL) = (5, 4, 1, 2)
        (stats.tombstones, stats.counters, stats.valueBytes) = (7, 1, 99)
        #expect(try StoreStats(json: stats.json) == stats)

        let member = ClusterStatus.Member(
            id: "b", address: "10.0.0.2:7946", state: "suspect", incarnation: 3, lagSeq: 12, lagMillis: 1500,
            lastAckMillis: nil)
        let cluster = ClusterStatus(id: "a", address: "10.0.0.1:7946", members: [member])
        #expect(try ClusterStatus(json: cluster.json) == cluster)
        var pressed = cluster
        pressed.backpressure = ClusterStatus.Backpressure(
            maxBacklog: nil, maxWaitMillis: 250, backlog: 12, delayedWrites: 3, timedOutWaits: 1)
        #expect(try ClusterStatus(json: pressed.json) == pressed)
    }

    @Test func objectsHaveTheContractsFieldNames() {
        let entry = Entry(key: "k", value: 1, version: "v", expiresAt: nil)
        #expect(entry.json.description == #"{"expires_at":null,"key":"k","value":1,"version":"v"}"#)
        let member = ClusterStatus.Member(
            id: "b", address: "h:1", state: "alive", incarnation: 0, lagSeq: 0, lagMillis: 2500, lastAckMillis: 9)
        guard case .object(let fields) = member.json else {
            Issue.record("a member is not an object")
            return
        }
        #expect(fields["lag_seconds"] == .number(2.5))
        #expect(fields["last_ack"] == .integer(9))
    }

    @Test func fieldsAddedLaterReadAsZeroWhenAbsent() throws {
        let stats = try StoreStats(json: [
            "total_keys": 1, "active_keys": 1, "expired_keys": 0, "keys_with_ttl": 0, "tombstones": 0,
        ])
        #expect(stats.counters == 0 && stats.valueBytes == 0)
        let member = try ClusterStatus.Member(json: [
            "id": "b", "address": "h:1", "state": "alive", "lag_seq": 0, "lag_millis": 0,
        ])
        #expect(member.incarnation == 0 && member.lastAckMillis == nil)
    }

    @Test func aMalformedObjectIsAnErrorOfTheReadersKindNamingTheField() {
        #expect(throws: StoreError(.internal, #"the field "version" of the entry must be a string"#)) {
            try Entry(json: ["key": "k", "value": 1, "version": 2], failureKind: .internal)
        }
        #expect(throws: StoreError(.invalid, #"the field "has_more" of the list page is required"#)) {
            try ListPage(json: ["items": []])
        }
        #expect(throws: StoreError(.invalid, "the info must be a JSON object")) {
            try StoreInfo(json: "info")
        }
        #expect(throws: StoreError(.internal, #"the field "keys" of the answer must be an array of strings"#)) {
            try JSONFields(["keys": ["a", 1]], what: "the answer", failureKind: .internal).strings("keys")
        }
    }

    @Test func optionalFieldsAcceptNullAndAbsenceButNotAnotherType() throws {
        let fields = try JSONFields(["ttl": nil, "flag": true], what: "the body", failureKind: .invalid)
        #expect(try fields.optionalInteger("ttl") == nil)
        #expect(try fields.optionalInteger("absent") == nil)
        #expect(try fields.optionalBool("flag") == true)
        #expect(throws: StoreError(.invalid, #"the field "flag" of the body must be a string"#)) {
            try fields.optionalString("flag")
        }
    }
}
