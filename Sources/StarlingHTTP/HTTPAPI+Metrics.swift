import Hummingbird
import NIOCore
import Prometheus
import Synchronization

extension HTTPAPI {
    /// With a metrics registry in the settings, records every request's count and duration in it.
    /// Without one, adds nothing. Call it before adding the routes (and middleware, such as the
    /// access policy's) it should measure.
    /// - Parameter router: the router to extend.
    func addRequestMetrics<Context: RequestContext>(to router: Router<Context>) {
        guard let registry = settings.metrics else { return }
        router.add(middleware: RequestMetricsMiddleware(instruments: RequestInstruments(registry: registry)))
    }

    /// With a metrics registry in the settings, serves it as `GET /metrics` (Prometheus text
    /// format 0.0.4). Without one, adds nothing.
    /// - Parameter router: the router to extend.
    func addMetricsRoute<Context: RequestContext>(to router: Router<Context>) {
        guard let registry = settings.metrics else { return }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }
}

/// Counts and times every request: `starling_http_requests_total{method, route, status}` and
/// `starling_http_request_duration_seconds{method, route}`. The route is the pattern
/// (`/v1/stores/{id}/entries/**`), so the label set stays small whatever the paths requested.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Where the instruments live.
    let instruments: RequestInstruments

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let route = context.endpointPath ?? "unmatched"
        do {
            let response = try await next(request, context)
            instruments.record(
                route: route, method: request.method, status: response.status, duration: .now - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            instruments.record(route: route, method: request.method, status: status, duration: .now - start)
            throw error
        }
    }
}

/// The request instruments of one registry, created once per label set and then reused.
final class RequestInstruments: Sendable {
    /// Histogram buckets of request durations: 1 ms to 10 s.
    static let buckets: [Duration] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 10_000].map {
        .microseconds(Int64($0 * 1_000))
    }

    /// `starling_http_requests_total`.
    static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "starling", subsystem: "http", metricName: "requests", unitName: "total",
            helpText: "HTTP requests answered, by method, route pattern and status code.")
    }
    /// `starling_http_request_duration_seconds`.
    static var duration: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "starling", subsystem: "http", metricName: "request_duration", unitName: "seconds",
            helpText: "Time to answer an HTTP request, by method and route pattern.")
    }

    private let registry: PrometheusCollectorRegistry
    private let counters = Mutex<[String: Counter]>([:])
    private let histograms = Mutex<[String: DurationHistogram]>([:])

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Counts one request of `method` to `route` answered with `status` and records its duration.
    func record(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status, duration: Duration) {
        let counterKey = "\(method) \(route) \(status.code)"
        let counter = counters.withLock { counters in
            if let counter = counters[counterKey] { return counter }
            let counter = registry.makeCounter(
                descriptor: Self.requests,
                labels: [("method", method.rawValue), ("route", route), ("status", String(status.code))])
            counters[counterKey] = counter
            return counter
        }
        counter.increment()
        let histogramKey = "\(method) \(route)"
        let histogram = histograms.withLock { histograms in
            if let histogram = histograms[histogramKey] { return histogram }
            let histogram = registry.makeDurationHistogram(
                descriptor: Self.duration, labels: [("method", method.rawValue), ("route", route)],
                buckets: Self.buckets)
            histograms[histogramKey] = histogram
            return histogram
        }
        histogram.record(duration)
    }
}
