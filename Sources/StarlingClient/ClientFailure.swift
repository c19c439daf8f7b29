import AsyncHTTPClient
import Foundation
import NIOCore
import StarlingModel

/// Turns what went wrong on the wire into ``StoreError``s: error bodies of the server, and
/// transport failures.
enum ClientFailure {
    /// The error of a non-2xx answer: the kind, message and retryability of the body
    /// `{"error": {"kind", "message", "retryable"}}`, or when the body is not such (a proxy,
    /// not a Starling server) the kind of the status with the status and body in the message.
    /// - Parameters:
    ///   - status: the HTTP status code.
    ///   - body: the answer body.
    ///   - endpoint: the endpoint, named in messages about foreign answers.
    /// - Returns: the error.
    static func error(status: Int, body: [UInt8], endpoint: String) -> StoreError {
        if case .object(let top)? = try? JSONValue(parsing: body), case .object(let fields)? = top["error"],
            case .string(let name)? = fields["kind"]
        {
            let message: String
            if case .string(let text)? = fields["message"] { message = text } else { message = "no message" }
            if let kind = StoreError.Kind(name: name) { return StoreError(kind, message) }
            return StoreError(kind(ofStatus: status), "\(name): \(message)")
        }
        let excerpt = String(decoding: body.prefix(200), as: UTF8.self)
        let shown = excerpt.isEmpty ? "an empty body" : "\"\(excerpt)\""
        let message = "\(endpoint) answered HTTP \(status) with \(shown); is it a starling serve endpoint?"
        return StoreError(kind(ofStatus: status), message)
    }

    /// The error kind of an HTTP status (APIContract.md, "Errors"): the inverse of the server's mapping.
    /// - Parameter status: the HTTP status code of a failed call.
    /// - Returns: the kind; `INTERNAL` for statuses the API does not use.
    static func kind(ofStatus status: Int) -> StoreError.Kind {
        switch status {
        case 400: .invalid
        case 401: .unauthenticated
        case 403: .permissionDenied
        case 404: .notFound
        case 409: .conflict
        case 503: .unavailable
        default: .internal
        }
    }

    /// The `UNAVAILABLE` error of a request that got no answer.
    /// - Parameters:
    ///   - endpoint: the endpoint the request went to.
    ///   - error: what the HTTP client threw.
    ///   - isWrite: whether the request may have changed something, which a lost answer leaves unknown.
    /// - Returns: the error, with a message such as
    ///   `cannot reach http://127.0.0.1:7070: connection refused (is starling serve running?)`.
    static func unreachable(_ endpoint: String, _ error: any Error, isWrite: Bool) -> StoreError {
        switch cause(of: error) {
        case .refused:
            return .unavailable("cannot reach \(endpoint): connection refused (is starling serve running?)")
        case .connectTimeout:
            return .unavailable("cannot reach \(endpoint): the connection timed out (is the address right?)")
        case .noAnswer(let what):
            let outcome = isWrite ? "; the write may or may not have been applied" : ""
            return .unavailable("\(endpoint) \(what)\(outcome)")
        case .other(let text):
            return .unavailable("cannot reach \(endpoint): \(text)")
        }
    }

    /// Why a request got no answer.
    enum Cause: Equatable {
        /// Nothing listens at the address.
        case refused
        /// The TCP connection could not be made in time.
        case connectTimeout
        /// The connection was made but the answer did not come: what happened, as a phrase.
        case noAnswer(String)
        /// Anything else, described.
        case other(String)
    }

    /// Classifies what the HTTP client threw.
    static func cause(of error: any Error) -> Cause {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .getConnectionFromPoolTimeout: return .connectTimeout
            case .deadlineExceeded, .readTimeout: return .noAnswer("did not answer in time")
            case .remoteConnectionClosed: return .noAnswer("closed the connection before answering")
            default: break
            }
        }
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED { return .refused }
        if error is ChannelError, case .connectTimeout = error as? ChannelError { return .connectTimeout }
        let text = String(describing: error)
        if text.localizedCaseInsensitiveContains("connection refused") { return .refused }
        return .other(text)
    }
}
