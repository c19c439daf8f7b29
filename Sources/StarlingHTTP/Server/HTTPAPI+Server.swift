public import HummingbirdCore
import Metrics
import NIOCore
import Prometheus
package import Starling

extension HTTPAPI {
    /// The HTTP/1 server for this API's application: Hummingbird's, with the idle timeout of
    /// ``Settings/idleTimeout``, the header and body timeouts, `Connection: close` handling, and
    /// the connection limit of `limiter`.
    /// - Parameters:
    /// - Parameter limiter: the connection budget, shared with the process's other listeners; nil: no limit.
    /// - Returns: the builder for `Application(router:server:)`.
    package func server(limiter: ConnectionLimiter?) -> HTTPServerBuilder {
        let settings = settings
        let factory: any MetricsFactory =
            settings.metrics.map { PrometheusMetricsFactory(registry: $0) }
            ?? MetricsSystem.factory
        let metrics = ListenerConnectionMetrics(listener: "http", factory: factory)
        return HTTPServerBuilder { responder in
            GuardedHTTP1Channel(
                base: HTTP1Channel(
                    responder: responder,
                    configuration: HTTP1Channel.Configuration(idleTimeout: settings.idleTimeout.map(TimeAmount.init))),
                limiter: limiter, metrics: metrics, headerTimeout: settings.headerTimeout,
                bodyTimeout: settings.bodyTimeout)
        }
    }

    /// The HTTP/1 server for this API's application, with every setting of ``Settings`` and at most
    /// `maxConnections` connections open (past it a new connection is closed at once).
    /// - Parameter maxConnections: the most open connections; nil: no limit.
    /// - Returns: the builder for `Application(router:server:)`.
    public func server(maxConnections: Int?) -> HTTPServerBuilder {
        server(limiter: maxConnections.map { ConnectionLimiter(limit: $0) })
    }
}
