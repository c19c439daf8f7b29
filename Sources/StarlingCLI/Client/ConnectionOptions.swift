import ArgumentParser
import Starling
import StarlingClient

/// The options every client command shares: which node, which store, which token, which output.
struct ConnectionOptions: ParsableArguments {
    /// The endpoint used when neither `--endpoint` nor `STARLING_ENDPOINT` gives one.
    static let defaultEndpoint = "http://127.0.0.1:7070"

    @Option(help: "The store to address.")
    var store = "default"

    @Option(
        help: ArgumentHelp(
            "The HTTP API of starling serve. Default: $STARLING_ENDPOINT, else \(ConnectionOptions.defaultEndpoint).",
            valueName: "url"))
    var endpoint: String?

    @Option(
        help: ArgumentHelp(
            "A bearer token sent as Authorization: Bearer. Default: $STARLING_TOKEN, else none.", valueName: "token"))
    var token: String?

    @Flag(help: "Print the result as canonical JSON, for scripts.")
    var json = false

    func validate() throws {
        if let endpoint {
            do {
                _ = try StarlingClient.normalizedEndpoint(endpoint)
            } catch {
                throw ValidationError("--endpoint: \(error.message)")
            }
        }
        guard !store.isEmpty else { throw ValidationError("--store must not be empty") }
    }

    /// The endpoint to use: `--endpoint`, else `STARLING_ENDPOINT`, else ``defaultEndpoint``.
    /// - Parameter environment: the process environment.
    func resolvedEndpoint(environment: [String: String]) -> String {
        if let endpoint { return endpoint }
        if let fromEnvironment = environment["STARLING_ENDPOINT"], !fromEnvironment.isEmpty { return fromEnvironment }
        return Self.defaultEndpoint
    }

    /// The token to send: `--token`, else `STARLING_TOKEN`, else none.
    /// - Parameter environment: the process environment.
    func resolvedToken(environment: [String: String]) -> String? {
        if let token { return token.isEmpty ? nil : token }
        if let fromEnvironment = environment["STARLING_TOKEN"], !fromEnvironment.isEmpty { return fromEnvironment }
        return nil
    }
}
