import Hummingbird
import Starling
import StarlingCore
import StarlingTestKit
import Testing

@Suite("HTTP entry endpoints", .showsLogsOnFailure)
struct EntryEndpointTests {
    @Test("PUT then GET returns the entry object; HEAD answers 200")
    func putGetHead() async throws {
        try await withAPI { api, _, store in
            let put = try await api.send(
                .put, "/v1/stores/default/entries/greeting", #"{"value": {"a": [1, 2.5, "x"]}}"#)
            #expect(put.status == .ok)
            #expect(put.contentType == "application/json")
            #expect(put["key"] == "greeting")
            #expect(put["value"] == ["a": [1, 2.5, "x"]])
            #expect(put["expires_at"] == .null)
            guard case .string(let version)? = put["version"] else {
                Issue.record("no version")
                return
            }
            #expect(!version.isEmpty)
            let get = try await api.send(.get, "/v1/stores/default/entries/greeting")
            #expect(get.status == .ok)
            #expect(get.json == put.json)
            #expect(try store.get("greeting") == ["a": [1, 2.5, "x"]])
            let head = try await api.send(.head, "/v1/stores/default/entries/greeting")
            #expect(head.status == .ok)
            #expect(head.json == Optional<JSONValue>.none)
        }
    }

    @Test("keys with '/' and percent-encoding round-trip")
    func slashAndPercentKeys() async throws {
        try await withAPI { api, _, store in
            let nested = try await api.send(.put, "/v1/stores/default/entries/users/42/name", #"{"value": "ada"}"#)
            #expect(nested.status == .ok)
            #expect(try store.get("users/42/name") == "ada")
            let get = try await api.send(.get, "/v1/stores/default/entries/users/42/name")
            #expect(get["key"] == "users/42/name")

            let encoded = try await api.send(.put, "/v1/stores/default/entries/a%2Fb%20c%C3%A9", #"{"value": 1}"#)
            #expect(encoded.status == .ok)
            #expect(try store.get("a/b cé") == 1)
            #expect(try await api.send(.get, "/v1/stores/default/entries/a/b%20c%C3%A9")["value"] == 1)
            let bad = try await api.send(.put, "/v1/stores/default/entries/bad%zz", #"{"value": 1}"#)
            #expect(bad.errorKind == "INVALID")
        }
    }

    @Test("PUT with ttl sets expires_at; DELETE reports whether a live key went")
    func ttlAndDelete() async throws {
        try await withAPI { api, _, store in
            let put = try await api.send(.put, "/v1/stores/default/entries/k", #"{"value": "v", "ttl": 60}"#)
            #expect(put.status == .ok)
            if case .integer? = put["expires_at"] {} else { Issue.record("expires_at should be an integer") }
            #expect(try await api.send(.get, "/v1/stores/default/ttl?key=k")["ttl"] == 60)
            #expect(try await api.send(.get, "/v1/stores/default/ttl?key=nope")["ttl"] == -2)
            #expect(try await api.send(.delete, "/v1/stores/default/entries/k")["deleted"] == true)
            #expect(try await api.send(.delete, "/v1/stores/default/entries/k")["deleted"] == false)
            #expect(try store.has("k") == false)
        }
    }

    @Test("absent keys: GET 404 NOT_FOUND, HEAD 404")
    func absentKey() async throws {
        try await withAPI { api, _, _ in
            let get = try await api.send(.get, "/v1/stores/default/entries/missing")
            #expect(get.status == .notFound)
            #expect(get.errorKind == "NOT_FOUND")
            guard case .object(let top)? = get.json, case .object(let error)? = top["error"] else {
                Issue.record("no error object")
                return
            }
            #expect(error["retryable"] == false)
            if case .string? = error["message"] {} else { Issue.record("no message") }
            #expect(try await api.send(.head, "/v1/stores/default/entries/missing").status == .notFound)
        }
    }

    @Test("list pages through entries by prefix with a cursor")
    func list() async throws {
        try await withAPI { api, _, store in
            for index in 0..<5 { _ = try await store.set("p/\(index)", .integer(Int64(index))) }
            _ = try await store.set("q", "other")
            let first = try await api.send(.get, "/v1/stores/default/entries?prefix=p/&limit=3")
            #expect(first.status == .ok)
            guard case .array(let items)? = first["items"], case .string(let cursor)? = first["cursor"] else {
                Issue.record("bad page \(String(describing: first.json))")
                return
            }
            #expect(items.count == 3)
            #expect(first["has_more"] == true)
            let encoded = cursor.addingPercentEncodingForQuery()
            let second = try await api.send(.get, "/v1/stores/default/entries?prefix=p/&limit=3&after=\(encoded)")
            guard case .array(let rest)? = second["items"] else {
                Issue.record("bad second page")
                return
            }
            #expect(rest.count == 2)
            #expect(second["has_more"] == false)
            #expect(try await api.send(.get, "/v1/stores/default/entries?limit=0").errorKind == "INVALID")
            #expect(try await api.send(.get, "/v1/stores/default/entries?limit=x").errorKind == "INVALID")
        }
    }

    @Test("keys filters by glob pattern")
    func keys() async throws {
        try await withAPI { api, _, store in
            _ = try await store.set("user:1", 1)
            _ = try await store.set("user:2", 2)
            _ = try await store.set("item:1", 3)
            #expect(try await api.send(.get, "/v1/stores/default/keys?pattern=user:*")["keys"] == ["user:1", "user:2"])
            #expect(try await api.send(.get, "/v1/stores/default/keys")["keys"] == ["item:1", "user:1", "user:2"])
        }
    }
}

extension String {
    /// Percent-encodes every byte outside the unreserved set, for a query value.
    func addingPercentEncodingForQuery() -> String {
        var result = ""
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }
}
