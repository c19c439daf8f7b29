import StarlingCore

/// The named queries of the `peers` table: each member's replication progress.
extension SQLiteConnection {
    /// Every member's persisted progress, by node id; a row whose address does not parse is skipped.
    func peerRecords() throws(SQLiteError) -> [PeerRecord] {
        try statement(StorageSQL.everyPeer).withReset { statement throws(SQLiteError) in
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

    /// Writes one member's progress.
    func savePeer(_ record: PeerRecord) throws(SQLiteError) {
        let statement = try statement(StorageSQL.upsertPeer)
        try statement.bind(1, record.id.rawValue)
        try statement.bind(2, text: record.address.description)
        try statement.bind(3, record.acked)
        try statement.bind(4, record.received)
        try statement.bind(5, record.lastSeenMillis)
        try statement.run()
    }
}
