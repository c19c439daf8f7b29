import NIOCore
import Synchronization

/// Whether a connection has authenticated: its session opens the gate on a successful `AUTH`
/// or `HELLO … AUTH`, and the listener closes a connection whose gate is still shut after
/// ``RESPLimits/authTimeoutMillis``. Without an access policy the gate starts open.
final class RESPAuthGate: Sendable {
    private let open: Atomic<Bool>

    init(open: Bool) {
        self.open = Atomic(open)
    }

    var isOpen: Bool { open.load(ordering: .acquiring) }

    func openGate() {
        open.store(true, ordering: .releasing)
    }
}

/// A connection as the listener hands it over: its channel and its gate.
struct RESPConnection: Sendable {
    let channel: NIOAsyncChannel<RESPInbound, ByteBuffer>
    let gate: RESPAuthGate
}
