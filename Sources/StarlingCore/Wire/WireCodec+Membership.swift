import NIOCore

// The SWIM messages: ping, pingRequest, ack, and the member updates they piggyback.

extension ByteBuffer {
    mutating func writePeerAddress(_ address: PeerAddress) {
        writeWireString(address.host)
        writeInteger(address.port, endianness: .big)
    }

    mutating func writeGossip(_ gossip: [MemberUpdate]) {
        writeWireCount(gossip.count, "gossip")
        for update in gossip {
            writeInteger(update.id.rawValue, endianness: .big)
            writePeerAddress(update.address)
            writeInteger(update.incarnation, endianness: .big)
            writeInteger(update.status.rawValue)
        }
    }

    mutating func writePing(_ ping: Ping) {
        writeInteger(ping.probeID, endianness: .big)
        writePeerAddress(ping.senderAddress)
        writeInteger(ping.senderIncarnation, endianness: .big)
        writeGossip(ping.gossip)
    }

    mutating func writePingRequest(_ request: PingRequest) {
        writeInteger(request.probeID, endianness: .big)
        writeInteger(request.target.rawValue, endianness: .big)
        writePeerAddress(request.targetAddress)
        writePeerAddress(request.senderAddress)
        writeInteger(request.senderIncarnation, endianness: .big)
        writeGossip(request.gossip)
    }

    mutating func writeAck(_ ack: Ack) {
        writeInteger(ack.probeID, endianness: .big)
        writeInteger(ack.target.rawValue, endianness: .big)
        writeInteger(ack.targetIncarnation, endianness: .big)
        writePeerAddress(ack.senderAddress)
        writeGossip(ack.gossip)
    }
}

extension WireReader {
    /// The smallest encoded member update: id, empty host, port, incarnation, status.
    private static let minMemberUpdateBytes = 8 + 2 + 2 + 8 + 1

    mutating func peerAddress(_ field: StaticString) throws(WireError) -> PeerAddress {
        let host = try string(field)
        let port = try u16(field)
        let address = PeerAddress(host: host, port: port)
        guard address.isNumeric else {
            throw WireError(.hostName, "\(field) \(host.prefix(64).debugDescription) is not a numeric IP address")
        }
        return address
    }

    mutating func gossip() throws(WireError) -> [MemberUpdate] {
        try array("gossip", minElementBytes: Self.minMemberUpdateBytes) { reader throws(WireError) in
            try reader.memberUpdate()
        }
    }

    mutating func memberUpdate() throws(WireError) -> MemberUpdate {
        let id = NodeID(rawValue: try u64("member id"))
        let address = try peerAddress("member address")
        let incarnation = try u64("member incarnation")
        let statusByte = try u8("member status")
        guard let status = MemberStatus(rawValue: statusByte) else {
            throw WireError(.malformed, "member status \(statusByte) is unknown")
        }
        return MemberUpdate(id: id, address: address, incarnation: incarnation, status: status)
    }

    mutating func ping() throws(WireError) -> Ping {
        let probeID = try u64("probe id")
        let senderAddress = try peerAddress("sender address")
        let senderIncarnation = try u64("sender incarnation")
        return Ping(
            probeID: probeID, senderAddress: senderAddress, senderIncarnation: senderIncarnation, gossip: try gossip())
    }

    mutating func pingRequest() throws(WireError) -> PingRequest {
        let probeID = try u64("probe id")
        let target = NodeID(rawValue: try u64("target"))
        let targetAddress = try peerAddress("target address")
        let senderAddress = try peerAddress("sender address")
        let senderIncarnation = try u64("sender incarnation")
        return PingRequest(
            probeID: probeID, target: target, targetAddress: targetAddress, senderAddress: senderAddress,
            senderIncarnation: senderIncarnation, gossip: try gossip())
    }

    mutating func ack() throws(WireError) -> Ack {
        let probeID = try u64("probe id")
        let target = NodeID(rawValue: try u64("target"))
        let targetIncarnation = try u64("target incarnation")
        let senderAddress = try peerAddress("sender address")
        return Ack(
            probeID: probeID, target: target, targetIncarnation: targetIncarnation, senderAddress: senderAddress,
            gossip: try gossip())
    }
}
