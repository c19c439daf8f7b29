import NIOCore

extension PeerAddress {
    /// Whether the host is an IPv4 or IPv6 literal, which needs no name resolution.
    ///
    /// Addresses learned from the wire must be numeric: the decoder refuses any other
    /// (``WireError/Reason/hostName``), so no datagram can make a peer send a DNS query. Only
    /// addresses an operator configured (seeds, the advertised address) are resolved, by the
    /// shell, off the event loops.
    public var isNumeric: Bool {
        // inet_pton underneath: parses, never resolves.
        (try? SocketAddress(ipAddress: host, port: Int(port))) != nil
    }
}
