import Foundation
public import Starling

/// A wall clock that moves only when a test moves it.
public final class ManualWallClock: WallClock, @unchecked Sendable {
    // @unchecked: `millis` is touched only under `lock`.
    private let lock = NSLock()
    private var millis: Int64

    /// Starts at `millis` (Unix milliseconds). Default: 2026-01-01T00:00:00Z.
    public init(millis: Int64 = 1_767_225_600_000) {
        self.millis = millis
    }

    public func nowMillis() -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        return millis
    }

    /// Moves the clock forward (or, with a negative amount, backward) by `millis`.
    public func advance(by millis: Int64) {
        lock.lock()
        self.millis += millis
        lock.unlock()
    }

    /// Sets the clock to `millis`.
    public func set(_ millis: Int64) {
        lock.lock()
        self.millis = millis
        lock.unlock()
    }
}
