import Starling
import StarlingCore

/// A command's error reply: the text after `-`, its first word a Redis error code.
struct RESPFailure: Error, Sendable {
    let message: String

    init(_ message: String) {
        self.message = message
    }

    /// The reply of a store error: `ERR`, or the code Redis clients map to the same failure
    /// (`NOAUTH`, `NOPERM`), then the message.
    init(_ error: StoreError) {
        switch error.kind {
        case .unauthenticated: message = "NOAUTH \(error.message)"
        case .permissionDenied: message = "NOPERM \(error.message)"
        case .unavailable: message = "ERR unavailable: \(error.message)"
        default: message = "ERR \(error.message)"
        }
    }

    static func arity(_ name: String) -> RESPFailure {
        RESPFailure("ERR wrong number of arguments for '\(name.lowercased())' command")
    }

    static let notInteger = RESPFailure("ERR value is not an integer or out of range")

    /// Redis's refusal of an expiry that is not positive or does not fit, naming the command.
    static func invalidExpireTime(_ command: String) -> RESPFailure {
        RESPFailure("ERR invalid expire time in '\(command.lowercased())' command")
    }
    static let syntax = RESPFailure("ERR syntax error")
    static let noAuth = RESPFailure("NOAUTH Authentication required.")

    /// The refusal of a conditional command (`SETNX`, `SET … NX`, `WATCH`, …): the spec's
    /// `INVALID` rule for `kv.crdt`.
    static func conditional(_ what: String) -> RESPFailure {
        RESPFailure(
            "ERR conditional writes need a linearizable store; Starling is kv.crdt (eventually consistent), "
                + "so \(what) is not supported")
    }
}
