package import StarlingCore

/// A member's persisted replication progress.
package struct PeerRecord: Sendable, Hashable {
    /// The member.
    package var id: NodeID
    /// Where it was last seen listening.
    package var address: PeerAddress
    /// How far the member holds this peer's feed.
    package var acked: Int64
    /// How far this peer holds the member's feed.
    package var received: Int64
    /// When it was last heard from (Unix ms).
    package var lastSeenMillis: Int64

    /// Creates a record.
    package init(id: NodeID, address: PeerAddress, acked: Int64, received: Int64, lastSeenMillis: Int64) {
        self.id = id
        self.address = address
        self.acked = acked
        self.received = received
        self.lastSeenMillis = lastSeenMillis
    }
}

extension Node {
    /// Every member's persisted replication progress.
    package func peers() throws(StoreError) -> [PeerRecord] {
        try readers.read("reading peers") { db in try db.peerRecords() }
    }

    /// Persists members' replication progress in one transaction.
    package func savePeers(_ records: [PeerRecord]) async throws(StoreError) {
        guard !records.isEmpty else { return }
        try await writer.write { context throws(StoreError) in
            for record in records {
                try context.storage("saving peer progress") { db throws(SQLiteError) in try db.savePeer(record) }
            }
        }
    }
}

extension PeerAddress {
    /// Parses `host:port` or `[v6]:port`; nil if malformed.
    package init?(parsing text: String) {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        host = host.isEmpty ? "" : host
        guard !host.isEmpty, let port = UInt16(portText) else { return nil }
        self.init(host: String(host), port: port)
    }
}
