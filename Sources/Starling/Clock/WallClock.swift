#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// The source of wall-clock time for a node: the only place the store reads real time.
/// Tests inject a manual clock (see `StarlingTestKit.ManualWallClock`).
public protocol WallClock: Sendable {
    /// The current time in milliseconds since the Unix epoch.
    func nowMillis() -> Int64
}

/// The system's real-time clock (`CLOCK_REALTIME`).
public struct SystemWallClock: WallClock {
    /// Creates the system clock.
    public init() {}

    public func nowMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
