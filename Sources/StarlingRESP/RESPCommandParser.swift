public import NIOCore
import StarlingCore

/// One command a client sent: its arguments, the first being the command's name.
public struct RESPCommand: Sendable, Equatable {
    /// The arguments as the client sent them, the name first; binary-safe.
    public let arguments: [ByteBuffer]
    /// The command's name in upper case (ASCII), such as `SET`; empty for an empty command. Made
    /// once, as the command is parsed: the listener and the session both dispatch on it.
    public let name: String

    /// Creates a command of `arguments`.
    public init(_ arguments: [ByteBuffer]) {
        self.arguments = arguments
        name =
            arguments.first.map { first in
                String(
                    decoding: first.readableBytesView.lazy.map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }, as: UTF8.self)
            } ?? ""
    }

    /// Creates a command of text arguments (tests and tools).
    public init(_ words: String...) {
        self.init(words.map { ByteBuffer(string: $0) })
    }
}

/// The bounds a client's input must keep (issue: "a NIO decoder with hard bounds"). Past any of
/// them the connection gets an error reply and is closed, as Redis closes on a protocol error.
public struct RESPLimits: Sendable, Hashable {
    /// The longest bulk string. The listener lowers it to what the node can store
    /// (``bulkBytes(maxValueBytes:maxKeyBytes:)``); the default is Redis's own `proto-max-bulk-len`.
    public var maxBulkBytes = 512 * 1_048_576
    /// The most arguments of one command (`MSET` of 50,000 keys has 100,001).
    public var maxArguments = 131_072
    /// The longest inline command or `*`/`$` header line.
    public var maxInlineBytes = 65_536
    /// The most bytes of input buffered for one connection: the largest command that can arrive.
    public var maxBufferedBytes = 64 * 1_048_576
    /// The most commands read ahead of their replies on one connection (the pipeline's depth);
    /// past it, the connection is not read until replies catch up (TCP pushes back on the client).
    public var maxPipeline = 1_024
    /// Under an access policy, how long a client may stay connected without authenticating, in
    /// milliseconds; then it is closed, so idle strangers do not hold the connection slots HTTP
    /// shares.
    public var authTimeoutMillis: Int64 = 10_000

    /// The longest bulk string worth reading for a node that stores values of at most
    /// `maxValueBytes` and keys of at most `maxKeyBytes`: a little more than either, so a value
    /// somewhat over the limit (which counts a value's JSON quotes and escapes) still gets the
    /// store's own error reply, and one far over it closes the connection.
    public static func bulkBytes(maxValueBytes: Int, maxKeyBytes: Int) -> Int {
        max(maxValueBytes, maxKeyBytes) + 65_536
    }

    /// Every default.
    public init() {}

}

/// A client sent something that is not RESP, or past a bound: the reply before closing.
public struct RESPProtocolError: Error, Sendable, Equatable {
    /// Redis's text, such as `Protocol error: invalid bulk length`.
    public let message: String

    init(_ message: String) {
        self.message = message
    }
}

/// Parses commands out of a client's byte stream: RESP arrays of bulk strings, and inline
/// commands (words on a line, as `redis-cli` and telnet send them). Pure: no I/O.
///
/// Hand-written: the package mirror has no Redis server library (SwiftNIO has no RESP codec).
public struct RESPCommandParser: Sendable {
    /// The bounds applied.
    public let limits: RESPLimits

    /// Creates a parser with `limits`.
    public init(limits: RESPLimits = RESPLimits()) {
        self.limits = limits
    }

    /// The next complete command at the front of `buffer`, consumed; nil, with `buffer`
    /// unchanged, when only part of one has arrived. Empty inline lines are skipped.
    /// - Throws: ``RESPProtocolError`` for malformed input or input past a bound.
    public func next(_ buffer: inout ByteBuffer) throws(RESPProtocolError) -> RESPCommand? {
        while true {
            guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
            if first == UInt8(ascii: "*") {
                guard let command = try multibulk(&buffer) else { return nil }
                if command.arguments.isEmpty { continue }
                return command
            }
            guard let line = try inline(&buffer) else { return nil }
            if !line.arguments.isEmpty { return line }
        }
    }

    // MARK: Arrays of bulk strings

    private func multibulk(_ buffer: inout ByteBuffer) throws(RESPProtocolError) -> RESPCommand? {
        var cursor = buffer.readerIndex + 1
        guard let count = try headerNumber(buffer, at: &cursor, tooLong: "too big mbulk count string") else {
            return nil
        }
        guard count <= Int64(limits.maxArguments) else {
            throw RESPProtocolError("Protocol error: invalid multibulk length")
        }
        var arguments: [ByteBuffer] = []
        arguments.reserveCapacity(max(0, Int(count)))
        var index: Int64 = 0
        while index < count {
            guard let marker = buffer.getInteger(at: cursor, as: UInt8.self) else { return nil }
            guard marker == UInt8(ascii: "$") else {
                throw RESPProtocolError("Protocol error: expected '$', got '\(Self.printable(marker))'")
            }
            cursor += 1
            guard let length = try headerNumber(buffer, at: &cursor, tooLong: "too big bulk count string") else {
                return nil
            }
            guard length >= 0, length <= Int64(limits.maxBulkBytes) else {
                throw RESPProtocolError("Protocol error: invalid bulk length")
            }
            let end = cursor + Int(length)
            guard end + 2 <= buffer.writerIndex else { return nil }
            guard buffer.getInteger(at: end, as: UInt16.self) == 0x0D0A else {
                throw RESPProtocolError("Protocol error: bulk string not ended by CRLF")
            }
            arguments.append(buffer.getSlice(at: cursor, length: Int(length)) ?? ByteBuffer())
            cursor = end + 2
            index += 1
        }
        buffer.moveReaderIndex(to: cursor)
        // `*0` and `*-1` are no command: Redis ignores them.
        return RESPCommand(arguments)
    }

    /// The decimal number of a `*` or `$` header starting at `cursor`, which moves past its CRLF;
    /// nil if the line has not fully arrived.
    private func headerNumber(_ buffer: ByteBuffer, at cursor: inout Int, tooLong: String) throws(RESPProtocolError)
        -> Int64?
    {
        let view = buffer.readableBytesView
        let start = cursor
        let searchEnd = min(buffer.writerIndex, start + limits.maxInlineBytes)
        var position = start
        let base = buffer.readerIndex
        while position < searchEnd, view[view.startIndex + (position - base)] != 13 { position += 1 }
        if position >= searchEnd {
            if buffer.writerIndex - start >= limits.maxInlineBytes {
                throw RESPProtocolError("Protocol error: \(tooLong)")
            }
            return nil
        }
        guard position + 1 < buffer.writerIndex else { return nil }
        guard view[view.startIndex + (position + 1 - base)] == 10 else {
            throw RESPProtocolError("Protocol error: header not ended by CRLF")
        }
        let digits = view[(view.startIndex + (start - base))..<(view.startIndex + (position - base))]
        // A canonical decimal, as Redis's string2ll takes it: no sign but `-`, no leading zeros.
        guard let number = JSONValue.integer(fromCanonical: digits) else {
            throw RESPProtocolError("Protocol error: invalid length")
        }
        cursor = position + 2
        return number
    }

    // MARK: Inline commands

    /// An inline command: a line of words separated by spaces or tabs, ended by LF (a CR
    /// before it is dropped). Double quotes group words with spaces, as in Redis.
    private func inline(_ buffer: inout ByteBuffer) throws(RESPProtocolError) -> RESPCommand? {
        let view = buffer.readableBytesView
        let limit = min(view.count, limits.maxInlineBytes)
        guard let newline = view.prefix(limit).firstIndex(of: 10) else {
            if view.count >= limits.maxInlineBytes { throw RESPProtocolError("Protocol error: too big inline request") }
            return nil
        }
        var line = Array(view[view.startIndex..<newline])
        if line.last == 13 { line.removeLast() }
        buffer.moveReaderIndex(forwardBy: newline - view.startIndex + 1)
        return RESPCommand(try Self.words(line).map { ByteBuffer(bytes: $0) })
    }

    /// The words of an inline line; `"…"` groups, with `\"` and `\\` escapes.
    static func words(_ line: [UInt8]) throws(RESPProtocolError) -> [[UInt8]] {
        var words: [[UInt8]] = []
        var index = 0
        while index < line.count {
            while index < line.count, line[index] == 32 || line[index] == 9 { index += 1 }
            guard index < line.count else { break }
            var word: [UInt8] = []
            if line[index] == UInt8(ascii: "\"") {
                index += 1
                var closed = false
                while index < line.count {
                    let byte = line[index]
                    if byte == UInt8(ascii: "\\"), index + 1 < line.count {
                        word.append(line[index + 1])
                        index += 2
                        continue
                    }
                    index += 1
                    if byte == UInt8(ascii: "\"") {
                        closed = true
                        break
                    }
                    word.append(byte)
                }
                guard closed, index >= line.count || line[index] == 32 || line[index] == 9 else {
                    throw RESPProtocolError("Protocol error: unbalanced quotes in request")
                }
            } else {
                while index < line.count, line[index] != 32, line[index] != 9 {
                    word.append(line[index])
                    index += 1
                }
            }
            words.append(word)
        }
        return words
    }

    private static func printable(_ byte: UInt8) -> String {
        byte >= 32 && byte < 127 ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
    }
}
