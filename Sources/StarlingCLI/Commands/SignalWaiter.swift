import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Waits for SIGINT or SIGTERM without killing the process, so a command can shut down cleanly.
///
/// The signals are caught from ``init()`` on: create the waiter *before* telling anyone the
/// process is ready, so a SIGTERM sent the moment the ready line appears still stops it cleanly.
final class SignalWaiter: Sendable {
    private struct State {
        var fired = false
        var continuation: CheckedContinuation<Void, Never>?
    }

    private let state: Mutex<State>
    /// Kept only so the sources stay installed; never touched after ``init()``.
    private nonisolated(unsafe) let sources: [any DispatchSourceSignal]

    /// Starts catching SIGINT and SIGTERM.
    init() {
        let queue = DispatchQueue(label: "starling.signals")
        let state = Mutex(State())
        self.state = state
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            sources.append(source)
        }
        self.sources = sources
        for source in sources {
            source.setEventHandler { [weak self] in self?.fire() }
            source.resume()
        }
    }

    /// Returns once SIGINT or SIGTERM has arrived since ``init()`` (at once if one already did).
    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                if state.fired { return true }
                state.continuation = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Waits for SIGINT or SIGTERM from now on.
    static func waitForTermination() async {
        await SignalWaiter().wait()
    }

    private func fire() {
        let continuation = state.withLock { state in
            state.fired = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume()
    }
}
