public import StarlingAccess

/// How a peer serves the Redis protocol.
public struct RESPSettings: Sendable {
    /// The stores `SELECT` reaches, by index: `databases[0]` is database 0. Every peer of a
    /// cluster should list the same stores in the same order, so an index means one store
    /// everywhere. Default `["default"]`.
    public var databases: [String] = ["default"]
    /// The access policy; nil serves every command to every client (loopback only).
    public var policy: AccessPolicy?
    /// Bounds on what a client may send.
    public var limits = RESPLimits()

    /// Every default.
    public init() {}
}
