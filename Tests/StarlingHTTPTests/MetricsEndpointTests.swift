import CoreMetrics
import Hummingbird
import HummingbirdTesting
import NIOCore
import Prometheus
import Starling
import StarlingHTTP
import StarlingTestKit
import Testing

@Suite("GET /metrics", .showsLogsOnFailure)
struct MetricsEndpointTests {
    /// Runs `body` against the API of a fresh test node whose settings carry `registry`.
    func withMetricsAPI(
        _ registry: PrometheusCollectorRegistry?,
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        var settings = HTTPAPI.Settings()
        settings.metrics = registry
        try await TestNode.with { node, _, _ in
            let app = Application(router: HTTPAPI(node: node, settings: settings).buildRouter())
            try await app.test(.router) { client in try await body(client) }
        }
    }

    /// The sample lines of an exposition whose metric name is `name` and that carry every label of `labels`.
    func samples(_ text: String, _ name: String, _ labels: [String] = []) -> [Substring] {
        text.split(separator: "\n").filter { line in
            line.hasPrefix(name + "{") && labels.allSatisfy { line.contains($0) }
        }
    }

    @Test("answers Prometheus text counting the requests served")
    func countsRequests() async throws {
        let registry = PrometheusCollectorRegistry()
        try await withMetricsAPI(registry) { client in
            for value in 1...3 {
                let put = try await client.execute(
                    uri: "/v1/stores/default/entries/k\(value)", method: .put,
                    body: ByteBuffer(string: #"{"value": \#(value)}"#))
                #expect(put.status == .ok)
            }
            let found = try await client.execute(uri: "/v1/stores/default/entries/k1", method: .get)
            let missing = try await client.execute(uri: "/v1/stores/default/entries/none", method: .get)
            let noStore = try await client.execute(uri: "/v1/stores/nostore/info", method: .get)
            #expect(found.status == .ok)
            #expect(missing.status == .notFound)
            #expect(noStore.status == .notFound)

            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4")
            let text = String(buffer: response.body)
            #expect(text.contains("# TYPE starling_http_requests_total counter"))
            #expect(text.contains("# TYPE starling_http_request_duration_seconds histogram"))
            let entries = #"route="/v1/stores/{id}/entries/**""#
            let puts = samples(text, "starling_http_requests_total", [#"method="PUT""#, entries, #"status="200""#])
            #expect(puts.count == 1 && puts.first?.hasSuffix(" 3") == true, "\(puts)")
            let gets = samples(text, "starling_http_requests_total", [#"method="GET""#, entries, #"status="200""#])
            #expect(gets.count == 1 && gets.first?.hasSuffix(" 1") == true, "\(gets)")
            let notFound = samples(text, "starling_http_requests_total", [#"method="GET""#, entries, #"status="404""#])
            #expect(notFound.count == 1 && notFound.first?.hasSuffix(" 1") == true, "\(notFound)")
            let counts = samples(text, "starling_http_request_duration_seconds_count", [#"method="PUT""#, entries])
            #expect(counts.count == 1 && counts.first?.hasSuffix(" 3") == true, "\(counts)")
            // The store id is a pattern capture, never a label value: no series per requested name.
            #expect(!text.contains("nostore"))
            #expect(Self.isValidExposition(text), "\(text)")
        }
    }

    @Test("swift-metrics instruments made by a factory over the registry are exposed")
    func exposesSwiftMetrics() async throws {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        CoreMetrics.Counter(label: "starling_datagrams_sent_total", dimensions: [("node", "n1")], factory: factory)
            .increment(by: 7)
        let lagDimensions = [("node", "n1"), ("member", "n2")]
        CoreMetrics.Gauge(label: "starling_member_lag_seq", dimensions: lagDimensions, factory: factory)
            .record(42)
        try await withMetricsAPI(registry) { client in
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(text.contains(#"starling_datagrams_sent_total{node="n1"} 7"#), "\(text)")
            #expect(samples(text, "starling_member_lag_seq", [#"member="n2""#]).first?.hasSuffix(" 42.0") == true)
            #expect(Self.isValidExposition(text), "\(text)")
        }
    }

    @Test("without a registry there is no /metrics route")
    func noRegistry() async throws {
        try await withMetricsAPI(nil) { client in
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(metrics.status == .notFound)
            #expect(health.status == .ok)
        }
    }

    /// Whether every line is a `# HELP`/`# TYPE` comment or a sample `name{labels} value` of
    /// the text exposition format 0.0.4.
    static func isValidExposition(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { line in
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") { return true }
            guard let space = line.lastIndex(of: " "),
                Double(line[line.index(after: space)...]) != nil
                    || ["+Inf", "-Inf", "NaN"].contains(String(line[line.index(after: space)...]))
            else { return false }
            let series = line[..<space]
            let name = series.prefix { $0 != "{" }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }) else {
                return false
            }
            let labels = series.dropFirst(name.count)
            return labels.isEmpty || (labels.hasPrefix("{") && labels.hasSuffix("}"))
        }
    }
}
