import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Waits for SIGINT or SIGTERM without killing the process, so a command can shut down cleanly.
enum SignalWaiter {
    static func waitForTermination() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let queue = DispatchQueue(label: "starling.signals")
            let fired = SignalLatch(continuation)
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                source.setEventHandler { fired.fire() }
                source.resume()
                fired.keep(source)
            }
        }
    }
}

/// Resumes a continuation once, on the first signal; keeps the signal sources alive until then.
private final class SignalLatch: @unchecked Sendable {
    // @unchecked: touched only on the signal queue after setup.
    private var continuation: CheckedContinuation<Void, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<Void, Never>) {
        self.continuation = continuation
    }

    func keep(_ source: any DispatchSourceSignal) {
        sources.append(source)
    }

    func fire() {
        continuation?.resume()
        continuation = nil
    }
}
