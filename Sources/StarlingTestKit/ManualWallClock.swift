public import Starling
import Synchronization

/// A wall clock that moves only when a test moves it.
public final class ManualWallClock: WallClock, Sendable {
    private let millis: Mutex<Int64>

    /// Starts at `millis` (Unix milliseconds). Default: 2026-01-01T00:00:00Z.
    public init(millis: Int64 = 1_767_225_600_000) {
        self.millis = Mutex(millis)
    }

    public func nowMillis() -> Int64 {
        millis.withLock { $0 }
    }

    /// Moves the clock forward (or, with a negative amount, backward) by `millis`.
    public func advance(by millis: Int64) {
        self.millis.withLock { $0 += millis }
    }

    /// Sets the clock to `millis`.
    public func set(_ millis: Int64) {
        self.millis.withLock { $0 = millis }
    }
}
