/// A hybrid logical clock: issues strictly increasing timestamps close to wall time,
/// and advances past every timestamp it receives from another peer.
///
/// The clock is a pure value: it never reads a clock itself. Callers pass the current
/// wall time in milliseconds since the Unix epoch, so tests drive it with a manual clock.
public struct HybridLogicalClock: Sendable, Hashable {
    /// The last timestamp issued or observed; every later one is greater.
    public private(set) var last: HybridTimestamp

    /// How far ahead of local wall time a received timestamp may be, in milliseconds.
    /// Default 60,000 (60 s).
    public var maxOffsetMillis: UInt64

    /// Creates a clock that issues timestamps after `last`.
    /// - Parameters:
    ///   - last: the last timestamp issued before (persisted across restarts), or `.zero`.
    ///   - maxOffsetMillis: the tolerance for remote timestamps ahead of wall time. Default 60 s.
    public init(last: HybridTimestamp = .zero, maxOffsetMillis: UInt64 = 60_000) {
        self.last = last
        self.maxOffsetMillis = maxOffsetMillis
    }

    /// Issues a new timestamp for a local event.
    ///
    /// The result is greater than every timestamp issued or received before, and its
    /// physical part is `max(last.physical, wall)`. When the logical counter would overflow
    /// within one millisecond the physical part moves one millisecond ahead instead.
    /// - Parameter wallMillis: the current wall time in milliseconds since the Unix epoch.
    /// - Returns: the new timestamp.
    public mutating func now(wallMillis: UInt64) -> HybridTimestamp {
        let wall = min(wallMillis, HybridTimestamp.maxPhysicalMillis)
        if wall > last.physicalMillis {
            last = HybridTimestamp(physicalMillis: wall, logical: 0)
        } else {
            last = Self.successor(of: last)
        }
        return last
    }

    /// Observes a timestamp received from another peer, so that later local stamps order after it.
    ///
    /// A remote timestamp more than ``maxOffsetMillis`` ahead of `wallMillis` is refused and the
    /// clock is left unchanged: one peer with a broken clock must not win every conflict forever.
    /// - Parameters:
    ///   - remote: the received timestamp.
    ///   - wallMillis: the current wall time in milliseconds since the Unix epoch.
    /// - Throws: ``ClockOffsetError`` when `remote` is too far ahead.
    public mutating func observe(_ remote: HybridTimestamp, wallMillis: UInt64) throws(ClockOffsetError) {
        let wall = min(wallMillis, HybridTimestamp.maxPhysicalMillis)
        if remote.physicalMillis > wall, remote.physicalMillis - wall > maxOffsetMillis {
            throw ClockOffsetError(remote: remote, wallMillis: wall, maxOffsetMillis: maxOffsetMillis)
        }
        if remote > last {
            last = remote
        }
    }

    /// How far the clock is ahead of wall time, in milliseconds: 0 when it is not ahead.
    ///
    /// A clock more than ``maxOffsetMillis`` ahead issues stamps that other peers refuse (they
    /// apply the same tolerance to what they receive), so its node must not take writes.
    /// - Parameter wallMillis: the current wall time in milliseconds since the Unix epoch.
    public func millisAhead(ofWall wallMillis: UInt64) -> UInt64 {
        let wall = min(wallMillis, HybridTimestamp.maxPhysicalMillis)
        return last.physicalMillis > wall ? last.physicalMillis - wall : 0
    }

    /// Raises ``last`` to `timestamp` if it is later; used when restoring a persisted clock.
    public mutating func advance(to timestamp: HybridTimestamp) {
        if timestamp > last { last = timestamp }
    }

    private static func successor(of timestamp: HybridTimestamp) -> HybridTimestamp {
        if timestamp.logical == UInt16.max {
            return HybridTimestamp(
                physicalMillis: min(timestamp.physicalMillis + 1, HybridTimestamp.maxPhysicalMillis), logical: 0)
        }
        return HybridTimestamp(rawValue: timestamp.rawValue + 1)
    }
}

/// A remote timestamp was further ahead of local wall time than the clock tolerates.
public struct ClockOffsetError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The refused timestamp.
    public var remote: HybridTimestamp
    /// Local wall time when it was refused, in milliseconds since the Unix epoch.
    public var wallMillis: UInt64
    /// The tolerance in force, in milliseconds.
    public var maxOffsetMillis: UInt64

    public var description: String {
        "remote timestamp \(remote) is \(remote.physicalMillis - wallMillis) ms ahead of local wall time "
            + "(tolerance \(maxOffsetMillis) ms)"
    }
}
