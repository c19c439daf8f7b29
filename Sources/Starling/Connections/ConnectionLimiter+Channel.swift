package import Logging
package import Metrics
package import NIOCore

/// The connection instruments of one listener: `starling_<listener>_connections` (a gauge of the
/// open connections it admitted) and `starling_<listener>_connections_refused_total`.
package struct ListenerConnectionMetrics: Sendable {
    /// The listener's name in the metric names and log lines: `http`.
    package let listener: String
    let open: Meter
    let refused: Counter

    /// The instruments of `listener`, created with `factory`.
    /// - Parameter factory: where the instruments are reported. Default: the bootstrapped
    ///   `MetricsSystem` (nothing, if the process bootstrapped none).
    package init(listener: String, factory: any MetricsFactory = MetricsSystem.factory) {
        self.listener = listener
        open = Meter(label: "starling_\(listener)_connections", factory: factory)
        refused = Counter(label: "starling_\(listener)_connections_refused_total", factory: factory)
    }
}

extension ConnectionLimiter {
    /// Admits the accepted `channel` or closes it: what a listener calls for each new connection,
    /// from a NIO server channel handler (`channelRead` of the accepted `Channel`) or from a child
    /// channel initializer. An admitted channel gives its place back when it closes.
    ///
    /// A refused channel is closed before anything is read from it, so the client sees the
    /// connection end (its request, if it sent one, is never read) while existing connections
    /// go on. Refusals are counted in `metrics` and logged as a warning at most once per
    /// ``logInterval``.
    /// - Returns: whether the channel was admitted.
    package func admit(_ channel: any Channel, metrics: ListenerConnectionMetrics, logger: Logger) -> Bool {
        switch admit() {
        case .admitted:
            metrics.open.increment()
            channel.closeFuture.whenComplete { [self] _ in
                release()
                metrics.open.decrement()
            }
            return true
        case .refused(let report):
            metrics.refused.increment()
            if let report {
                logger.warning(
                    "refusing new \(metrics.listener) connections: \(limit) are open, the most allowed (max_connections)",
                    metadata: [
                        "refused": "\(report)", "refused_total": "\(refusedConnections)",
                        "interval": "\(logInterval)",
                    ])
            }
            channel.close(promise: nil)
            return false
        }
    }
}
