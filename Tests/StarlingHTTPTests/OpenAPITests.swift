import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Prometheus
import Starling
import StarlingCore
import StarlingTestKit
import Testing

@testable import StarlingHTTP

/// The OpenAPI document describes the API the router serves: the same routes, and responses
/// that match their schemas. (schemathesis checks the same against a live peer in CI, with
/// generated requests; `tools/schemathesis`.)
@Suite(.showsLogsOnFailure) struct OpenAPITests {
    static func document() throws -> [String: JSONValue] {
        guard case .object(let document) = try JSONValue(parsing: OpenAPIDocument.bytes) else {
            throw StoreError.internal("the document is not an object")
        }
        return document
    }

    @Test func theDocumentIsServedAndIsOpenAPI31() async throws {
        try await withAPI { api, _, _ in
            let served = try await api.send(.get, "/openapi.json")
            #expect(served.status == .ok)
            #expect(served.contentType == "application/json")
            #expect(served["openapi"] == "3.1.0")
            #expect(served.json == .object(try Self.document()))
        }
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationIsARoute() async throws {
        var settings = HTTPAPI.Settings()
        settings.metrics = PrometheusCollectorRegistry()
        let routes = try await TestNode.with { node, _, _ in
            HTTPAPI(node: node, settings: settings).buildRouter().routes
        }
        let routed = Set(
            routes.map { route in
                let path = route.path.description.replacingOccurrences(of: ":id", with: "{id}")
                    .replacingOccurrences(of: "**", with: "{key}")
                return "\(route.method.rawValue) \(path)"
            })
        guard case .object(let paths)? = try Self.document()["paths"] else { throw StoreError.internal("no paths") }
        var documented: Set<String> = []
        for (path, item) in paths {
            guard case .object(let operations) = item else { continue }
            for method in operations.keys where method != "parameters" {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        let undocumented = routed.subtracting(documented).sorted()
        let unrouted = documented.subtracting(routed).sorted()
        #expect(undocumented.isEmpty, "routed but not documented: \(undocumented)")
        #expect(unrouted.isEmpty, "documented but not routed: \(unrouted)")
    }

    @Test func liveResponsesMatchTheirDocumentedSchemas() async throws {
        let document = try Self.document()
        try await withAPI { api, _, store in
            try await store.set("user/1", ["name": "Ada"], ttl: 60)
            _ = try await store.incr("visits")
            let requests: [(HTTPRequest.Method, String, String?, String)] = [
                (.get, "/healthz", nil, "/healthz"),
                (.get, "/v1/cluster", nil, "/v1/cluster"),
                (.get, "/v1/stores", nil, "/v1/stores"),
                (.get, "/v1/stores/default/info", nil, "/v1/stores/{id}/info"),
                (.get, "/v1/stores/default/stats", nil, "/v1/stores/{id}/stats"),
                (.get, "/v1/stores/default/entries?limit=1", nil, "/v1/stores/{id}/entries"),
                (.get, "/v1/stores/default/entries/user/1", nil, "/v1/stores/{id}/entries/{key}"),
                (.get, "/v1/stores/default/entries/absent", nil, "/v1/stores/{id}/entries/{key}"),
                (.put, "/v1/stores/default/entries/k", #"{"value": [1, "x", null]}"#, "/v1/stores/{id}/entries/{key}"),
                (
                    .put, "/v1/stores/default/entries/k", #"{"value": 1, "if_version": "v"}"#,
                    "/v1/stores/{id}/entries/{key}"
                ),
                (.delete, "/v1/stores/default/entries/k", nil, "/v1/stores/{id}/entries/{key}"),
                (.get, "/v1/stores/default/keys?pattern=u*", nil, "/v1/stores/{id}/keys"),
                (.get, "/v1/stores/default/ttl?key=user/1", nil, "/v1/stores/{id}/ttl"),
                (.post, "/v1/stores/default/expire", #"{"key": "user/1", "ttl": 5}"#, "/v1/stores/{id}/expire"),
                (.post, "/v1/stores/default/incr", #"{"key": "visits", "amount": 2}"#, "/v1/stores/{id}/incr"),
                (.post, "/v1/stores/default/decr", #"{"key": "visits"}"#, "/v1/stores/{id}/decr"),
                (.post, "/v1/stores/default/mget", #"{"keys": ["user/1", "absent"]}"#, "/v1/stores/{id}/mget"),
                (.post, "/v1/stores/default/mset", #"{"entries": {"a": 1}}"#, "/v1/stores/{id}/mset"),
                (.get, "/v1/stores/nowhere/info", nil, "/v1/stores/{id}/info"),
                (.post, "/v1/stores/default/clear", nil, "/v1/stores/{id}/clear"),
            ]
            for (method, uri, body, path) in requests {
                let response = try await api.send(method, uri, body)
                let schema = try Self.responseSchema(document, path: path, method: method, status: response.status)
                let problems = SchemaCheck(document: document).problems(response.json ?? .null, against: schema)
                #expect(problems.isEmpty, "\(method) \(uri) → \(response.status.code): \(problems)")
            }
        }
    }

    /// The schema of the documented response to `method path` with `status` (or `default`).
    static func responseSchema(
        _ document: [String: JSONValue], path: String, method: HTTPRequest.Method, status: HTTPResponse.Status
    ) throws -> JSONValue {
        let check = SchemaCheck(document: document)
        guard case .object(let paths)? = document["paths"], case .object(let item)? = paths[path],
            case .object(let operation)? = item[method.rawValue.lowercased()],
            case .object(let responses)? = operation["responses"],
            let response = responses["\(status.code)"] ?? responses["default"],
            case .object(let resolved) = check.resolve(response),
            case .object(let content)? = resolved["content"], case .object(let json)? = content["application/json"],
            let schema = json["schema"]
        else { throw StoreError.internal("no documented JSON response for \(method) \(path) \(status.code)") }
        return schema
    }
}

/// Checks a JSON value against the part of JSON Schema (2020-12) the document uses: `$ref`,
/// `type` (one or several), `properties`, `required`, `additionalProperties`, `items`, `enum`,
/// `const` and `minimum`. Anything else in a schema is ignored.
struct SchemaCheck {
    let document: [String: JSONValue]

    /// `#/components/...` references followed to what they name.
    func resolve(_ value: JSONValue) -> JSONValue {
        guard case .object(let members) = value, case .string(let reference)? = members["$ref"] else { return value }
        var current: JSONValue = .object(document)
        for part in reference.dropFirst(2).split(separator: "/") {
            guard case .object(let level) = current, let next = level[String(part)] else { return .null }
            current = next
        }
        return resolve(current)
    }

    func problems(_ value: JSONValue, against schema: JSONValue, at path: String = "$") -> [String] {
        guard case .object(let rules) = resolve(schema) else { return [] }
        var problems: [String] = []
        if let allowed = rules["type"] {
            let types: [JSONValue] = if case .array(let many) = allowed { many } else { [allowed] }
            if !types.contains(where: { matches(value, type: $0) }) { return ["\(path): \(value) is not \(allowed)"] }
        }
        if let constant = rules["const"], constant != value { problems.append("\(path): \(value) is not \(constant)") }
        if case .array(let options)? = rules["enum"], !options.contains(value) {
            problems.append("\(path): \(value) is not one of \(options)")
        }
        if let minimum = rules["minimum"], let number = Self.double(value), let bound = Self.double(minimum),
            number < bound
        {
            problems.append("\(path): \(value) is below \(minimum)")
        }
        if case .object(let members) = value {
            let properties: [String: JSONValue] = if case .object(let p)? = rules["properties"] { p } else { [:] }
            if case .array(let required)? = rules["required"] {
                for case .string(let name) in required where members[name] == nil {
                    problems.append("\(path): \(name) is missing")
                }
            }
            for (name, member) in members {
                if let property = properties[name] {
                    problems += self.problems(member, against: property, at: "\(path).\(name)")
                } else if rules["additionalProperties"] == .bool(false) {
                    problems.append("\(path): \(name) is not documented")
                }
            }
        }
        if case .array(let elements) = value, let items = rules["items"] {
            for (index, element) in elements.enumerated() {
                problems += self.problems(element, against: items, at: "\(path)[\(index)]")
            }
        }
        return problems
    }

    private func matches(_ value: JSONValue, type: JSONValue) -> Bool {
        switch (type, value) {
        case (.string("null"), .null), (.string("boolean"), .bool), (.string("integer"), .integer),
            (.string("number"), .integer), (.string("number"), .number), (.string("string"), .string),
            (.string("array"), .array), (.string("object"), .object):
            true
        default:
            false
        }
    }

    private static func double(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let integer): Double(integer)
        case .number(let number): number
        default: nil
        }
    }
}
