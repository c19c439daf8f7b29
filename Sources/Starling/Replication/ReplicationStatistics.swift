import Metrics
import StarlingCore

/// What a replication engine has done since it started.
public struct ReplicationStatistics: Sendable, Hashable {
    public var datagramsSent = 0
    public var datagramsReceived = 0
    public var bytesSent = 0
    public var bytesReceived = 0
    public var deltasSent = 0
    public var deltasReceived = 0
    /// Entries that arrived in deltas, repairs included, whether they changed anything or not:
    /// against ``entriesApplied``, what was sent to this node twice.
    public var entriesReceived = 0
    /// Entries that changed local state when merged.
    public var entriesApplied = 0
    /// Datagrams dropped, by reason (`unauthenticated`, `truncated`, `otherCluster`, ...).
    public var dropped: [String: Int] = [:]
    /// Deltas refused because a stamp was beyond `maxClockOffset`.
    public var clockOffsetRejections = 0
    /// Digest comparisons that found divergence and sent repairs.
    public var repairsStarted = 0
    /// Digests from members not holding this node's whole feed yet, left unanswered (they ask
    /// again later).
    public var digestsDeferred = 0
    /// Repair entries left for the next digest exchange because one answer is bounded.
    public var repairEntriesDeferred = 0
    /// Entries that changed local state through repair deltas.
    public var repairEntriesApplied = 0
    /// Replicated writes dropped as older than the purge horizon (answered with tombstones).
    public var staleWritesDropped = 0
    /// Replicated entries refused as malformed (a faulty peer: unparsable value, empty store id).
    public var invalidEntries = 0
    /// Tombstones purged by garbage collection.
    public var tombstonesPurged = 0

    /// Creates zeroed statistics.
    public init() {}
}

/// The engine's swift-metrics instruments, created once per engine.
struct ReplicationMetrics: Sendable {
    private let datagramsSent: Counter
    private let datagramsReceived: Counter
    private let bytesSent: Counter
    private let bytesReceived: Counter
    private let deltasSent: Counter
    private let entriesSent: Counter
    private let entriesApplied: Counter
    private let repairs: Counter
    private let node: String
    /// Each member's lag gauges, created when the member is first reported, not on every tick.
    private var lagGauges: [NodeID: (seq: Gauge, seconds: Gauge)] = [:]
    /// The dropped-datagram counter of each reason seen.
    private var droppedCounters: [String: Counter] = [:]

    init(node: NodeID) {
        self.node = node.description
        let dimensions = [("node", node.description)]
        datagramsSent = Counter(label: "starling_datagrams_sent_total", dimensions: dimensions)
        datagramsReceived = Counter(label: "starling_datagrams_received_total", dimensions: dimensions)
        bytesSent = Counter(label: "starling_bytes_sent_total", dimensions: dimensions)
        bytesReceived = Counter(label: "starling_bytes_received_total", dimensions: dimensions)
        deltasSent = Counter(label: "starling_deltas_sent_total", dimensions: dimensions)
        entriesSent = Counter(label: "starling_delta_entries_sent_total", dimensions: dimensions)
        entriesApplied = Counter(label: "starling_entries_applied_total", dimensions: dimensions)
        repairs = Counter(label: "starling_repairs_total", dimensions: dimensions)
    }

    func sent(datagrams: Int, bytes: Int) {
        datagramsSent.increment(by: datagrams)
        bytesSent.increment(by: bytes)
    }

    func received(datagrams: Int, bytes: Int) {
        datagramsReceived.increment(by: datagrams)
        bytesReceived.increment(by: bytes)
    }

    func deltaSent(entries: Int) {
        deltasSent.increment()
        entriesSent.increment(by: entries)
    }

    func applied(entries: Int) { entriesApplied.increment(by: entries) }

    func repair() { repairs.increment() }

    mutating func lag(member: NodeID, seq: Int64, millis: Int64) {
        let gauges: (seq: Gauge, seconds: Gauge)
        if let existing = lagGauges[member] {
            gauges = existing
        } else {
            let dimensions = [("node", node), ("member", member.description)]
            gauges = (
                Gauge(label: "starling_member_lag_seq", dimensions: dimensions),
                Gauge(label: "starling_member_lag_seconds", dimensions: dimensions)
            )
            lagGauges[member] = gauges
        }
        gauges.seq.record(seq)
        gauges.seconds.record(Double(millis) / 1000)
    }

    /// Removes the lag gauges of members not in `members`, so a forgotten member's last lag is
    /// not reported forever.
    mutating func retainLag(of members: Set<NodeID>) {
        for (member, gauges) in lagGauges where !members.contains(member) {
            gauges.seq.destroy()
            gauges.seconds.destroy()
            lagGauges[member] = nil
        }
    }

    mutating func dropped(reason: String) {
        if let counter = droppedCounters[reason] {
            counter.increment()
            return
        }
        let dimensions = [("node", node), ("reason", reason)]
        let counter = Counter(label: "starling_datagrams_dropped_total", dimensions: dimensions)
        droppedCounters[reason] = counter
        counter.increment()
    }
}
