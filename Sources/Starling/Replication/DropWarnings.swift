/// Decides which dropped datagrams are worth a warning in the log: the ones that point at a
/// misconfiguration or an attack (a wrong cluster key, an old peer, names on the wire, replays),
/// at most one per reason per 10 s, with the number left unlogged since the last one.
/// Every drop is counted in metrics either way; this only keeps a flood from flooding the log.
struct DropWarnings: Sendable {
    private var limit = WarningRateLimit<String>()

    /// Whether to log a warning for a drop of `reason` now.
    /// - Returns: the warning's hint and the number of drops of that reason not logged since the
    ///   last warning, or nil to stay quiet (a reason nobody can act on, or one logged recently).
    mutating func warning(reason: String, nowMillis: Int64) -> (hint: String, unlogged: Int)? {
        guard let hint = Self.hint(for: reason), let unlogged = limit.admit(reason, nowMillis: nowMillis) else {
            return nil
        }
        return (hint, unlogged)
    }
}

extension DropWarnings {
    /// What a drop of `reason` most likely means, for the log line; nil for the reasons not
    /// worth a warning (noise any network produces, counted in metrics only).
    static func hint(for reason: String) -> String? {
        switch reason {
        case "unauthenticated": "it is not sealed with this cluster's key (a peer with a wrong or no cluster key?)"
        case "unknownKey": "it is sealed with a key this peer's keyring does not hold (a key rotation half done?)"
        case "unexpectedSealed": "it is sealed, but this peer has no cluster key"
        case "sealVersion", "unsupportedVersion": "it is from a Starling of another wire-format version"
        case "hostName": "it announces a host name; peers accept numeric addresses only"
        case "otherCluster": "it is from another cluster (a different cluster id)"
        case "replayed", "staleSession": "it was received before (a replay)"
        case "senderMismatch": "its sealed header and its envelope name different senders"
        default: nil
        }
    }
}
