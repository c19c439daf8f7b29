package import StarlingCore

/// Drops sealed datagrams a peer has already accepted: per sender, the newest session and a
/// sliding window over the counters of that session (RFC 6479's bitmap, as WireGuard and IPsec
/// keep), so datagrams reordered by up to ``width`` still pass and none passes twice.
///
/// A datagram of a newer session starts the sender's window afresh (the sender restarted); one
/// of an older session, one below the window and one seen before are refused. Only datagrams
/// that authenticated are offered to the window, so forged headers cannot move it.
package struct ReplayWindow: Sendable {
    /// How many counters behind the newest one are still told apart. Default 1,024.
    package static let width: UInt64 = 1_024
    /// Senders remembered at most; past it the one with the oldest session is forgotten.
    package static let maxSenders = 4_096

    /// Why a datagram was refused.
    package enum Refusal: String, Sendable, Hashable {
        /// Its counter was accepted before.
        case replayed
        /// Its counter is below the window: too old to tell, so refused.
        case tooOld
        /// It is of a session older than one already seen from its sender.
        case staleSession
    }

    private struct Sender: Sendable {
        var session: UInt64
        var newest: UInt64
        /// Bit `c % width` is set when counter `c` (within the window) was accepted.
        var seen: [UInt64]
    }

    private var senders: [NodeID: Sender] = [:]

    /// Creates an empty window.
    package init() {}

    /// Accepts a datagram's sequence once.
    /// - Returns: nil when accepted (and recorded), else why it was refused.
    package mutating func accept(sender: NodeID, session: UInt64, counter: UInt64) -> Refusal? {
        guard var state = senders[sender], state.session >= session else {
            if senders[sender] == nil, senders.count >= Self.maxSenders,
                let oldest = senders.min(by: {
                    $0.value.session < $1.value.session
                })
            {
                senders[oldest.key] = nil
            }
            var fresh = Sender(
                session: session, newest: counter, seen: Array(repeating: 0, count: Int(Self.width / 64)))
            Self.mark(counter, in: &fresh.seen)
            senders[sender] = fresh
            return nil
        }
        guard state.session == session else { return .staleSession }
        if counter > state.newest {
            let advance = counter - state.newest
            if advance >= Self.width {
                for index in state.seen.indices { state.seen[index] = 0 }
            } else {
                var next = state.newest &+ 1
                while next <= counter {
                    Self.clear(next, in: &state.seen)
                    next &+= 1
                }
            }
            state.newest = counter
        } else {
            guard state.newest - counter < Self.width else { return .tooOld }
            guard !Self.isMarked(counter, in: state.seen) else { return .replayed }
        }
        Self.mark(counter, in: &state.seen)
        senders[sender] = state
        return nil
    }

    private static func position(_ counter: UInt64) -> (word: Int, bit: UInt64) {
        let slot = counter % width
        return (Int(slot / 64), UInt64(1) << (slot % 64))
    }

    private static func mark(_ counter: UInt64, in seen: inout [UInt64]) {
        let (word, bit) = position(counter)
        seen[word] |= bit
    }

    private static func clear(_ counter: UInt64, in seen: inout [UInt64]) {
        let (word, bit) = position(counter)
        seen[word] &= ~bit
    }

    private static func isMarked(_ counter: UInt64, in seen: [UInt64]) -> Bool {
        let (word, bit) = position(counter)
        return seen[word] & bit != 0
    }
}
