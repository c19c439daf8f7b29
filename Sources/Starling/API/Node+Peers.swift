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
        try readers.read("reading peers") { db in
            let statement = try db.statement("SELECT node_id, address, acked, received, last_seen FROM peers ORDER BY node_id")
            defer { statement.reset() }
            var records: [PeerRecord] = []
            while try statement.step() {
                guard let address = PeerAddress(parsing: statement.text(1)) else { continue }
                records.append(
                    PeerRecord(
                        id: NodeID(rawValue: statement.uint64(0)), address: address, acked: statement.int64(2),
                        received: statement.int64(3), lastSeenMillis: statement.int64(4)))
            }
            return records
        }
    }

    /// Persists members' replication progress in one transaction.
    package func savePeers(_ records: [PeerRecord]) async throws(StoreError) {
        guard !records.isEmpty else { return }
        try await writer.write { context throws(StoreError) in
            for record in records { try context.savePeer(record) }
        }
    }
}

extension WriteContext {
    mutating func savePeer(_ record: PeerRecord) throws(StoreError) {
        do {
            let statement = try connection.statement(
                """
                INSERT INTO peers (node_id, address, acked, received, last_seen) VALUES (?1, ?2, ?3, ?4, ?5)
                ON CONFLICT (node_id) DO UPDATE SET address = excluded.address, acked = excluded.acked,
                    received = excluded.received, last_seen = excluded.last_seen
                """)
            statement.bind(1, record.id.rawValue)
            statement.bind(2, text: record.address.description)
            statement.bind(3, record.acked)
            statement.bind(4, record.received)
            statement.bind(5, record.lastSeenMillis)
            try statement.run()
        } catch {
            let failure = StoreError(error, while: "saving peer progress")
            batchFailure = batchFailure ?? failure
            throw failure
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
