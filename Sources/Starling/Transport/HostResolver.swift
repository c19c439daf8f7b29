import NIOCore
import NIOPosix
package import StarlingCore
import Synchronization

/// Turns the host names an operator configured (seeds, the advertised address) into numeric
/// addresses.
///
/// Only configured addresses are ever resolved: addresses learned from the wire are numeric by
/// rule (the decoder refuses names), and the transport sends to numeric addresses only, so no
/// received datagram can cause a DNS query. Tests substitute a resolver that records its calls.
package protocol HostResolver: Sendable {
    /// The numeric addresses of `address`'s host, with its port.
    /// - Throws: when the name does not resolve.
    func resolve(_ address: PeerAddress) async throws -> [PeerAddress]
}

/// The system resolver (`getaddrinfo`), run on NIO's blocking-I/O thread pool: never on an event
/// loop or the cooperative pool, where a slow lookup would stall every request.
package struct SystemHostResolver: HostResolver {
    package init() {}

    package func resolve(_ address: PeerAddress) async throws -> [PeerAddress] {
        let host = address.host
        let port = Int(address.port)
        let resolved = try await NIOThreadPool.singleton.runIfActive {
            try SocketAddress.makeAddressResolvingHost(host, port: port)
        }
        guard let ip = resolved.ipAddress else { return [] }
        return [PeerAddress(host: ip, port: address.port)]
    }
}

extension HostResolver {
    /// Resolves every address that is not numeric already, concurrently, each within `timeout`.
    /// - Returns: the numeric addresses (numeric ones as given, in order, without duplicates),
    ///   and the addresses that did not resolve in time.
    package func resolveAll(
        _ addresses: [PeerAddress], timeout: Duration
    ) async -> (resolved: [PeerAddress], unresolved: [PeerAddress]) {
        let outcomes = await withTaskGroup(of: (Int, [PeerAddress]?).self) { group in
            for (index, address) in addresses.enumerated() {
                group.addTask {
                    address.isNumeric ? (index, [address]) : (index, await resolve(address, timeout: timeout))
                }
            }
            var outcomes = [[PeerAddress]?](repeating: nil, count: addresses.count)
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes
        }
        var resolved: [PeerAddress] = []
        var unresolved: [PeerAddress] = []
        for (address, outcome) in zip(addresses, outcomes) {
            guard let outcome, !outcome.isEmpty else {
                unresolved.append(address)
                continue
            }
            for numeric in outcome where !resolved.contains(numeric) { resolved.append(numeric) }
        }
        return (resolved, unresolved)
    }

    /// One address's resolution, or nil if it failed or took longer than `timeout`. A lookup
    /// past its timeout is abandoned, not waited for: `getaddrinfo` cannot be interrupted, so
    /// it finishes on its pool thread and its answer is dropped.
    private func resolve(_ address: PeerAddress, timeout: Duration) async -> [PeerAddress]? {
        let answer = OneShot<[PeerAddress]?>()
        return await withCheckedContinuation { continuation in
            answer.install(continuation)
            Task { answer.resume(with: try? await resolve(address)) }
            Task {
                try? await Task.sleep(for: timeout)
                answer.resume(with: nil)
            }
        }
    }
}

/// A continuation resumed by whichever of several racers comes first.
private final class OneShot<Value: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Value, Never>?, done: Bool)>((nil, false))

    func install(_ continuation: CheckedContinuation<Value, Never>) {
        state.withLock { $0.continuation = continuation }
    }

    func resume(with value: Value) {
        let continuation = state.withLock { state -> CheckedContinuation<Value, Never>? in
            guard !state.done else { return nil }
            state.done = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: value)
    }
}
