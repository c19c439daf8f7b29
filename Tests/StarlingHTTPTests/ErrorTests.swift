import Hummingbird
import Starling
import StarlingCore
import StarlingHTTP
import StarlingTestKit
import Testing

@Suite("HTTP errors", .showsLogsOnFailure)
struct ErrorTests {
    /// Sends a request that must fail with `status`/`kind`, then checks that nothing was stored.
    func expectFailure(
        _ api: APIClient, _ store: Store, _ method: HTTPRequest.Method, _ uri: String, _ body: String?,
        status: HTTPResponse.Status, kind: String
    ) async throws {
        let response = try await api.send(method, uri, body)
        #expect(response.status == status, "\(method) \(uri) \(body ?? "")")
        #expect(response.errorKind == kind, "\(method) \(uri) \(body ?? "")")
        #expect(response.contentType == "application/json")
        #expect(try store.keys() == [], "a failed request stored something")
    }

    @Test("bad requests are 400 INVALID and store nothing")
    func invalid() async throws {
        try await withAPI { api, _, store in
            let put = "/v1/stores/default/entries/k"
            for body in [
                "{", "", "[1]", #"{"ttl": 5}"#, #"{"value": 1, "ttl": -1}"#, #"{"value": 1, "ttl": "5"}"#,
                #"{"value": 1, "ttl": 1.5}"#, #"{"value": 1, "only_if_absent": true}"#,
                #"{"value": 1, "if_version": "abc"}"#, #"{"value": 1, "only_if_absent": "yes"}"#,
                #"{"value": 1, "typo": 2}"#, #"{"value": 1} trailing"#,
            ] {
                try await expectFailure(api, store, .put, put, body, status: .badRequest, kind: "INVALID")
            }
            let longKey = String(repeating: "k", count: 2000)
            try await expectFailure(
                api, store, .put, "/v1/stores/default/entries/\(longKey)", #"{"value": 1}"#,
                status: .badRequest, kind: "INVALID")
            try await expectFailure(
                api, store, .post, "/v1/stores/default/mset", #"{"entries": {"a": 1, "": 2}}"#,
                status: .badRequest, kind: "INVALID")
            try await expectFailure(
                api, store, .post, "/v1/stores/default/mset", #"{"entries": [1]}"#,
                status: .badRequest, kind: "INVALID")
            try await expectFailure(
                api, store, .post, "/v1/stores/default/mget", #"{"keys": [1]}"#, status: .badRequest, kind: "INVALID")
            try await expectFailure(
                api, store, .post, "/v1/stores/default/incr", #"{"amount": 1}"#, status: .badRequest, kind: "INVALID")
            try await expectFailure(
                api, store, .post, "/v1/stores/default/expire", #"{"key": "k", "ttl": 0}"#,
                status: .badRequest, kind: "INVALID")
            try await expectFailure(
                api, store, .get, "/v1/stores/default/ttl", nil, status: .badRequest, kind: "INVALID")
        }
    }

    @Test("an oversized body is 400 INVALID")
    func oversizedBody() async throws {
        var settings = HTTPAPI.Settings()
        settings.maxBodyBytes = 64
        try await withAPI(settings: settings) { api, _, store in
            let big = "{\"value\": \"" + String(repeating: "x", count: 200) + "\"}"
            try await expectFailure(
                api, store, .put, "/v1/stores/default/entries/k", big, status: .badRequest, kind: "INVALID")
            #expect(try await api.send(.put, "/v1/stores/default/entries/k", #"{"value": 1}"#).status == .ok)
        }
    }

    @Test("an unknown store is 404 NOT_FOUND on every endpoint")
    func unknownStore() async throws {
        try await withAPI { api, _, store in
            for (method, path, body) in [
                (HTTPRequest.Method.get, "info", nil), (.get, "stats", nil), (.get, "entries/k", nil),
                (.put, "entries/k", #"{"value": 1}"#), (.delete, "entries/k", nil), (.get, "entries", nil),
                (.get, "keys", nil), (.get, "ttl?key=k", nil), (.post, "expire", #"{"key": "k", "ttl": 5}"#),
                (.post, "incr", #"{"key": "k"}"#), (.post, "mget", #"{"keys": ["k"]}"#),
                (.post, "mset", #"{"entries": {"k": 1}}"#), (.post, "clear", nil),
            ] as [(HTTPRequest.Method, String, String?)] {
                try await expectFailure(
                    api, store, method, "/v1/stores/nope/\(path)", body, status: .notFound, kind: "NOT_FOUND")
            }
            #expect(try await api.send(.head, "/v1/stores/nope/entries/k").status == .notFound)
        }
    }

    @Test("a path without a route is 404 NOT_FOUND with the API's error body")
    func unmatchedRoute() async throws {
        try await withAPI { api, _, store in
            for (method, path) in [
                (HTTPRequest.Method.get, "/nope"), (.get, "/v1/stores/default/nope"),
                (.post, "/v1/stores/default/info"),
            ] {
                try await expectFailure(api, store, method, path, nil, status: .notFound, kind: "NOT_FOUND")
            }
        }
    }
}
