import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal HTTP/1.1 client for server-sent event streams over a plain loopback socket: it sends
/// one GET, reads the head, and then hands out the stream's blocks (the text up to each blank
/// line), undoing chunked transfer encoding. Reads block on a dispatch thread, never on the
/// cooperative pool, and give up after `timeout`.
final class SSETestClient: @unchecked Sendable {
    // @unchecked: used by one test at a time; every read runs on `queue`.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let descriptor: Int32
    private let queue = DispatchQueue(label: "sse-test-client")
    private var raw: [UInt8] = []
    private var decoded: [UInt8] = []
    private var chunked = false
    private var ended = false
    /// The response status.
    private(set) var status = 0
    /// The response headers, names lowercased.
    private(set) var headers: [String: String] = [:]

    /// Connects to `127.0.0.1:port`, sends `GET path` with `headers`, and reads the response head.
    init(port: Int, path: String, headers extra: [String: String] = [:], timeout: Int = 20) async throws {
        do {
            descriptor = try RawHTTPConnection.connectLoopback(port: port, timeout: timeout)
        } catch {
            throw Failure(description: "\(error)")
        }
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        for (name, value) in extra { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        guard send(descriptor, bytes, bytes.count, 0) == bytes.count else {
            close(descriptor)
            throw Failure(description: "send() failed: \(errno)")
        }
        try await onQueue { try self.readHead() }
    }

    deinit { close(descriptor) }

    /// Closes the connection in both directions, as a client that goes away.
    func disconnect() { shutdown(descriptor, Int32(SHUT_RDWR)) }

    /// The next block of the event stream (its lines joined by `\n`, without the blank line), or
    /// nil when the server ended the stream.
    func nextBlock() async throws -> String? {
        try await onQueue { try self.readBlock() }
    }

    /// The body after the head, up to the end of the response (for error answers).
    func remainingBody() async throws -> String {
        try await onQueue {
            while try self.fill() {}
            return String(decoding: self.decoded, as: UTF8.self)
        }
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    private func receive() throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        if count < 0 { throw Failure(description: "recv() failed or timed out: \(errno)") }
        if count == 0 { return false }
        raw += buffer[0..<count]
        return true
    }

    private func readHead() throws {
        let separator = Array("\r\n\r\n".utf8)
        while true {
            if let end = raw.firstRange(of: separator) {
                let head = String(decoding: raw[..<end.lowerBound], as: UTF8.self)
                raw.removeSubrange(..<end.upperBound)
                var lines = head.components(separatedBy: "\r\n")
                status = Int(lines.removeFirst().split(separator: " ")[1]) ?? 0
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
                        .trimmingCharacters(in: .whitespaces)
                }
                chunked = headers["transfer-encoding"]?.lowercased() == "chunked"
                return
            }
            guard try receive() else { throw Failure(description: "the connection closed before the response head") }
        }
    }

    /// Moves more body bytes into `decoded`. Returns false at the end of the body.
    private func fill() throws -> Bool {
        if ended { return false }
        guard chunked else {
            let more = try receive()
            decoded += raw
            raw.removeAll()
            ended = !more
            return more
        }
        let crlf = Array("\r\n".utf8)
        while true {
            if let line = raw.firstRange(of: crlf) {
                let sizeText = String(decoding: raw[..<line.lowerBound], as: UTF8.self)
                guard let size = Int(sizeText.split(separator: ";")[0], radix: 16) else {
                    throw Failure(description: "bad chunk size \(sizeText)")
                }
                if size == 0 {
                    ended = true
                    return false
                }
                let start = line.upperBound
                if raw.count >= start + size + 2 {
                    decoded += raw[start..<start + size]
                    raw.removeSubrange(..<(start + size + 2))
                    return true
                }
            }
            guard try receive() else {
                ended = true
                return false
            }
        }
    }

    private func readBlock() throws -> String? {
        let separator = Array("\n\n".utf8)
        while true {
            if let end = decoded.firstRange(of: separator) {
                let block = String(decoding: decoded[..<end.lowerBound], as: UTF8.self)
                decoded.removeSubrange(..<end.upperBound)
                return block
            }
            guard try fill() else { return nil }
        }
    }
}
