import Synchronization

/// The watch streams an ``HTTPAPI`` has open, against its ``HTTPAPI/Settings/maxWatchers``.
final class WatcherSlots: Sendable {
    /// The most open at once.
    let limit: Int
    private let open = Mutex(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// A slot for one more stream, or nil if ``limit`` are open. The slot is given back when the
    /// returned token is released, so a stream whose body never ran gives it back too.
    func take() -> Slot? {
        let taken = open.withLock { open in
            guard open < limit else { return false }
            open += 1
            return true
        }
        return taken ? Slot(slots: self) : nil
    }

    /// How many streams are open.
    var count: Int { open.withLock { $0 } }

    fileprivate func giveBack() {
        open.withLock { $0 = Swift.max(0, $0 - 1) }
    }

    /// One open stream's place; released when the token is.
    final class Slot: Sendable {
        private let slots: WatcherSlots

        fileprivate init(slots: WatcherSlots) {
            self.slots = slots
        }

        deinit { slots.giveBack() }
    }
}
