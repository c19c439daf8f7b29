import Hummingbird
import Logging
import ServiceLifecycle
import Starling

/// The HTTP listener of a ``StarlingServer``: a Hummingbird application in its own service
/// group, so the server stops it gracefully on its own signal handling.
struct HTTPListener {
    /// The group running the application.
    let group: ServiceGroup
    /// The task running the group.
    let task: Task<Void, any Error>
    /// The port the listener is bound to.
    let port: Int?

    /// Starts serving `api` on `host:port` and returns once the socket is bound.
    /// - Throws: the error that stopped the server from starting, such as an address in use.
    /// - Parameter limiter: the connection budget the listener admits connections from; nil: no limit.
    static func start(
        api: HTTPAPI, host: String, port: Int, limiter: ConnectionLimiter? = nil, logger: Logger
    ) async throws -> HTTPListener {
        let (events, continuation) = AsyncStream<Result<Int?, any Error>>.makeStream()
        let app = Application(
            router: api.buildRouter(),
            server: api.server(limiter: limiter),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { channel in continuation.yield(.success(channel.localAddress?.port)) },
            logger: logger)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [app], logger: logger))
        let task = Task {
            do {
                try await group.run()
                continuation.finish()
            } catch {
                continuation.yield(.failure(error))
                continuation.finish()
                throw error
            }
        }
        for await event in events {
            return HTTPListener(group: group, task: task, port: try event.get())
        }
        throw HTTPListenerStopped()
    }

    /// Stops accepting requests, lets in-flight ones finish, and waits for the server to stop.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}

/// The HTTP server stopped before it started listening.
struct HTTPListenerStopped: Error, CustomStringConvertible {
    var description: String { "the HTTP server stopped before it started listening" }
}
