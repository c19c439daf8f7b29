import Starling
import StarlingCore

extension ClusterStatus.Backpressure {
    /// The node's backpressure on local writes as `GET /v1/cluster` reports it.
    init(_ status: BackpressureStatus) {
        self.init(
            maxBacklog: status.maxBacklog, maxWaitMillis: status.maxWait.wholeMilliseconds, backlog: status.backlog,
            delayedWrites: Int64(status.delayedWrites), timedOutWaits: Int64(status.timedOutWaits))
    }
}

extension ClusterStatus.Member {
    /// The member as `GET /v1/cluster` reports it, from the replication engine's snapshot.
    init(_ member: MemberSnapshot) {
        let state: String
        switch member.update.status {
        case .alive: state = "alive"
        case .suspect: state = "suspect"
        case .dead: state = "dead"
        case .left: state = "left"
        }
        self.init(
            id: member.update.id.description, address: member.update.address.description, state: state,
            incarnation: Int64(truncatingIfNeeded: member.update.incarnation), lagSeq: member.lagSeq,
            lagMillis: member.lagMillis, lastAckMillis: member.lastAckMillis)
    }
}
