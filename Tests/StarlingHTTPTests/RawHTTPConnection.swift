import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback TCP connection that sends bytes as given and reads what comes back, for tests of
/// what a well-behaved HTTP client never does: a head sent in part, an idle keep-alive
/// connection, HTTP/1.0, one connection too many. Reads block on a dispatch thread, never on the
/// cooperative pool, and give up after `timeout` seconds.
final class RawHTTPConnection: @unchecked Sendable {
    // @unchecked: used by one test at a time; every read runs on `queue`.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let descriptor: Int32
    private let queue = DispatchQueue(label: "raw-http-connection")

    /// Connects to `127.0.0.1:port`.
    init(port: Int, timeout: Int = 10) throws {
        descriptor = try Self.connectLoopback(port: port, timeout: timeout)
    }

    /// A socket connected to `127.0.0.1:port` whose reads give up after `timeout` seconds.
    static func connectLoopback(port: Int, timeout: Int) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket() failed: \(errno)") }
        var time = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw Failure(description: "connect() to port \(port) failed: \(errno)")
        }
        return descriptor
    }

    deinit { close(descriptor) }

    /// Sends `text` as it is.
    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw Failure(description: "send() sent \(sent) of \(bytes.count): \(errno)") }
    }

    /// What the server sent until it closed the connection (or the read timed out, then
    /// `closed` is false).
    func readUntilClosed() async -> (text: String, closed: Bool) {
        await withCheckedContinuation { continuation in
            queue.async { [descriptor] in
                var received: [UInt8] = []
                var chunk = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                    if count > 0 {
                        received += chunk[0..<count]
                        continue
                    }
                    // 0: orderly close; ECONNRESET: closed with unread data; else the timeout.
                    let closed = count == 0 || errno == ECONNRESET
                    continuation.resume(returning: (String(decoding: received, as: UTF8.self), closed))
                    return
                }
            }
        }
    }

    /// What the server sent until it holds a complete response head and the `content-length`
    /// bytes after it (or the connection closed or the read timed out).
    func readResponse() async -> String {
        await withCheckedContinuation { continuation in
            queue.async { [descriptor] in
                var received: [UInt8] = []
                var chunk = [UInt8](repeating: 0, count: 4096)
                while true {
                    let text = String(decoding: received, as: UTF8.self)
                    if let end = text.range(of: "\r\n\r\n") {
                        let head = String(text[..<end.lowerBound])
                        if text.utf8.count - text[..<end.upperBound].utf8.count >= Self.contentLength(head) {
                            return continuation.resume(returning: text)
                        }
                    }
                    let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                    guard count > 0 else { return continuation.resume(returning: text) }
                    received += chunk[0..<count]
                }
            }
        }
    }

    /// The `content-length` of a response head; 0 without one.
    static func contentLength(_ head: String) -> Int {
        for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
            return Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }
}
