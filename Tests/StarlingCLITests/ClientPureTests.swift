import Starling
import StarlingCore
import StarlingTestKit
import Testing

@testable import StarlingClient

/// The pure parts of the client: URLs, error bodies, answer decoding.
@Suite(.showsLogsOnFailure) struct ClientPureTests {
    @Test func keysArePercentEncodedExceptUnreservedAndSlash() {
        #expect(PercentEncoding.keyPath("a/b-c_d.e~f") == "a/b-c_d.e~f")
        #expect(PercentEncoding.keyPath("a b?c#d%e+f&g") == "a%20b%3Fc%23d%25e%2Bf%26g")
        #expect(PercentEncoding.keyPath("é/☃") == "%C3%A9/%E2%98%83")
        #expect(PercentEncoding.pathSegment("app/x y") == "app%2Fx%20y")
        let query = PercentEncoding.query([("prefix", "a&b=c/"), ("after", nil), ("limit", "5")])
        #expect(query == "?prefix=a%26b%3Dc%2F&limit=5")
        #expect(PercentEncoding.query([("after", nil)]) == "")
    }

    @Test func endpointsAreNormalizedOrRefused() throws {
        #expect(try StarlingClient.normalizedEndpoint("127.0.0.1:7070") == "http://127.0.0.1:7070")
        #expect(try StarlingClient.normalizedEndpoint("http://h:1/") == "http://h:1")
        #expect(try StarlingClient.normalizedEndpoint("https://h") == "https://h")
        for bad in ["ftp://h", "http://", "http://h?x=1", "://"] {
            #expect(throws: StoreError.self, "\(bad)") { try StarlingClient.normalizedEndpoint(bad) }
        }
    }

    @Test func errorBodiesKeepTheServersKindAndMessage() {
        let body = Array(#"{"error":{"kind":"CONFLICT","message":"m","retryable":true}}"#.utf8)
        let error = ClientFailure.error(status: 409, body: body, endpoint: "http://h")
        #expect(error.kind == .conflict && error.message == "m" && error.isRetryable)
        let unknownKind = ClientFailure.error(
            status: 400, body: Array(#"{"error":{"kind":"NEW_KIND","message":"m"}}"#.utf8), endpoint: "http://h")
        #expect(unknownKind.kind == .invalid && unknownKind.message == "NEW_KIND: m")
    }

    @Test func foreignAnswersTakeTheKindOfTheirStatus() {
        let cases: [(Int, StoreError.Kind)] = [
            (400, .invalid), (401, .unauthenticated), (403, .permissionDenied), (404, .notFound), (409, .conflict),
            (503, .unavailable), (500, .internal), (502, .internal),
        ]
        for (status, kind) in cases {
            let error = ClientFailure.error(status: status, body: Array("<html>".utf8), endpoint: "http://h")
            #expect(error.kind == kind, "\(status)")
            let expected = "http://h answered HTTP \(status) with \"<html>\"; is it a starling serve endpoint?"
            #expect(error.message == expected)
        }
        #expect(ClientFailure.error(status: 404, body: [], endpoint: "http://h").message.contains("an empty body"))
    }

    @Test func answersDecodeIntoTypedResults() throws {
        let entry = try Entry(
            json: ["key": "k", "value": [1, 2], "version": "v", "expires_at": nil], failureKind: .internal)
        #expect(entry == Entry(key: "k", value: [1, 2], version: "v", expiresAt: nil))
        let page = try ListPage(json: ["items": [], "cursor": nil, "has_more": false], failureKind: .internal)
        #expect(page == ListPage(items: [], cursor: nil, hasMore: false))
        let member: JSONValue = [
            "id": "b", "address": "h:1", "state": "suspect", "incarnation": 2, "lag_seq": 1, "lag_millis": 9,
            "last_ack": 5,
        ]
        let cluster = try ClusterStatus(
            json: ["id": "a", "address": "h:0", "members": [member]], failureKind: .internal)
        #expect(cluster.address == "h:0")
        let expected = ClusterStatus.Member(
            id: "b", address: "h:1", state: "suspect", incarnation: 2, lagSeq: 1, lagMillis: 9, lastAckMillis: 5)
        #expect(cluster.members == [expected])
        #expect(throws: StoreError.self) { try Entry(json: ["key": 1], failureKind: .internal) }
        #expect(throws: StoreError.self) { try ListPage(json: "not an object", failureKind: .internal) }
    }
}
