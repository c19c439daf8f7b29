/// Decides which dropped datagrams are worth a warning in the log: the ones that point at a
/// misconfiguration or an attack (a wrong cluster key, an old peer, names on the wire, replays),
/// at most one per reason per ``interval``, with the number left unlogged since the last one.
/// Every drop is counted in metrics either way; this only keeps a flood from flooding the log.
struct DropWarnings: Sendable {
    /// Reasons that deserve a warning: what an operator can act on.
    static let reasons: Set<String> = [
        "unauthenticated", "unknownKey", "sealVersion", "unexpectedSealed", "hostName", "otherCluster",
        "replayed", "staleSession", "unsupportedVersion", "senderMismatch",
    ]
    /// The least time between two warnings of one reason, in milliseconds. Default 10 s.
    var intervalMillis: Int64 = 10_000
    private var last: [String: (millis: Int64, suppressed: Int)] = [:]

    /// Whether to log a warning for a drop of `reason` now.
    /// - Returns: the number of drops of that reason not logged since the last warning, or nil
    ///   to stay quiet.
    mutating func shouldWarn(reason: String, nowMillis: Int64) -> Int? {
        guard Self.reasons.contains(reason) else { return nil }
        if let previous = last[reason], nowMillis - previous.millis < intervalMillis {
            last[reason]?.suppressed += 1
            return nil
        }
        let suppressed = last[reason]?.suppressed ?? 0
        last[reason] = (nowMillis, 0)
        return suppressed
    }
}

extension DropWarnings {
    /// What a drop of `reason` most likely means, for the log line.
    static func hint(for reason: String) -> String {
        switch reason {
        case "unauthenticated": "it is not sealed with this cluster's key (a peer with a wrong or no cluster key?)"
        case "unknownKey": "it is sealed with a key this peer's keyring does not hold (a key rotation half done?)"
        case "unexpectedSealed": "it is sealed, but this peer has no cluster key"
        case "sealVersion", "unsupportedVersion": "it is from a Starling of another wire-format version"
        case "hostName": "it announces a host name; peers accept numeric addresses only"
        case "otherCluster": "it is from another cluster (a different cluster id)"
        case "replayed", "staleSession": "it was received before (a replay)"
        case "senderMismatch": "its sealed header and its envelope name different senders"
        default: reason
        }
    }
}
