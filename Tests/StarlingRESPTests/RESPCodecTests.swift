import Foundation
import NIOCore
import StarlingCore
import StarlingRESP
import StarlingTestKit
import Testing

@Suite struct RESPCommandParserTests {
    static func parseAll(_ text: String, limits: RESPLimits = RESPLimits()) throws -> [[String]] {
        var buffer = ByteBuffer(string: text)
        let parser = RESPCommandParser(limits: limits)
        var commands: [[String]] = []
        while let command = try parser.next(&buffer) {
            commands.append(command.arguments.map { String(buffer: $0) })
        }
        return commands
    }

    @Test func arraysOfBulkStringsAndInlineCommandsParse() throws {
        #expect(try Self.parseAll("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") == [["GET", "k"]])
        #expect(try Self.parseAll("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n") == [["PING"], ["ECHO", ""]])
        #expect(try Self.parseAll("SET k  \"two words\"\r\nPING\n\r\n") == [["SET", "k", "two words"], ["PING"]])
        #expect(try Self.parseAll("*0\r\n*-1\r\nPING\r\n") == [["PING"]])
    }

    @Test func bulkStringsAreBinarySafe() throws {
        var buffer = ByteBuffer(bytes: Array("*2\r\n$3\r\nSET\r\n$4\r\n".utf8) + [0, 13, 10, 255] + [13, 10])
        let command = try #require(try RESPCommandParser().next(&buffer))
        #expect(Array(command.arguments[1].readableBytesView) == [0, 13, 10, 255])
        #expect(command.name == "SET")
    }

    @Test func aCommandArrivingByteByByteParsesOnlyWhenComplete() throws {
        let bytes = Array("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n".utf8)
        var buffer = ByteBuffer()
        let parser = RESPCommandParser()
        for (index, byte) in bytes.enumerated() {
            buffer.writeInteger(byte)
            let command = try parser.next(&buffer)
            if index < bytes.count - 1 {
                #expect(command == nil, "parsed early at byte \(index)")
                #expect(buffer.readerIndex == 0)
            } else {
                #expect(command == RESPCommand("SET", "key", "value"))
            }
        }
    }

    @Test func inputPastABoundIsAProtocolError() {
        var limits = RESPLimits()
        limits.maxBulkBytes = 8
        limits.maxArguments = 3
        limits.maxInlineBytes = 32
        #expect(throws: RESPProtocolError.self) { try Self.parseAll("*1\r\n$9\r\n", limits: limits) }
        #expect(throws: RESPProtocolError.self) { try Self.parseAll("*4\r\n", limits: limits) }
        #expect(throws: RESPProtocolError.self) { try Self.parseAll(String(repeating: "x", count: 40), limits: limits) }
        #expect(throws: RESPProtocolError.self) {
            try Self.parseAll("*" + String(repeating: "1", count: 40), limits: limits)
        }
        #expect(throws: RESPProtocolError.self) { try Self.parseAll("*1\r\n$-5\r\n") }
        #expect(throws: RESPProtocolError.self) { try Self.parseAll("*1\r\n+OK\r\n") }
        #expect(throws: RESPProtocolError.self) { try Self.parseAll("*1\r\n$2\r\nabXY") }
        #expect(throws: RESPProtocolError.self) { try Self.parseAll("*x\r\n") }
        #expect(throws: RESPProtocolError.self) { try Self.parseAll("SET \"open\r\n") }
        #expect(throws: RESPProtocolError.self) { try Self.parseAll("*99999999999999999999\r\n") }
    }

    @Test func repliesAreWrittenInRESP2AndRESP3() {
        func written(_ reply: RESPReply, _ version: Int) -> String {
            var buffer = ByteBuffer()
            buffer.writeRESP(reply, version: version)
            return String(buffer: buffer)
        }
        #expect(written(.ok, 2) == "+OK\r\n")
        #expect(written(.error("ERR bad\r\nline"), 2) == "-ERR bad  line\r\n")
        #expect(written(.integer(-42), 2) == ":-42\r\n")
        #expect(written(.integer(.min), 2) == ":-9223372036854775808\r\n")
        #expect(written(.bulk("héllo"), 2) == "$6\r\nhéllo\r\n")
        #expect(written(.null, 2) == "$-1\r\n")
        #expect(written(.null, 3) == "_\r\n")
        #expect(written(.array([.integer(1), .bulk("a")]), 2) == "*2\r\n:1\r\n$1\r\na\r\n")
        #expect(written(.map([(.bulk("k"), .integer(1))]), 2) == "*2\r\n$1\r\nk\r\n:1\r\n")
        #expect(written(.map([(.bulk("k"), .integer(1))]), 3) == "%1\r\n$1\r\nk\r\n:1\r\n")
    }
}

/// The parser never traps and never moves past what it did not parse, whatever arrives:
/// random bytes, and valid pipelines with bytes flipped, cut or inserted.
@Suite struct RESPFuzzTests {
    /// The base seed; override with `STARLING_FUZZ_SEED=<n>`, and quote it to replay.
    static let seed: UInt64 =
        ProcessInfo.processInfo.environment["STARLING_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x5EED_2E59_C0DE

    /// Inputs per run: 10,000 by default; the soak sets `STARLING_FUZZ_ITERATIONS=1000000`.
    static let iterations =
        ProcessInfo.processInfo.environment["STARLING_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 10_000

    static func validPipeline(using rng: inout SeededGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let count = Int.random(in: 1...4, using: &rng)
            bytes += Array("*\(count)\r\n".utf8)
            for _ in 0..<count {
                let word = (0..<Int.random(in: 0...12, using: &rng)).map { _ in
                    UInt8.random(in: 0 ... .max, using: &rng)
                }
                bytes += Array("$\(word.count)\r\n".utf8) + word + [13, 10]
            }
        }
        return bytes
    }

    @Test func theParserNeverTrapsAndStopsCleanly() {
        var limits = RESPLimits()
        limits.maxBulkBytes = 64
        limits.maxArguments = 16
        limits.maxInlineBytes = 128
        let parser = RESPCommandParser(limits: limits)
        var rng = SeededGenerator(seed: Self.seed)
        for iteration in 0..<Self.iterations {
            var bytes: [UInt8]
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:
                bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0 ... .max, using: &rng) }
            default:
                bytes = Self.validPipeline(using: &rng)
                for _ in 0..<Int.random(in: 0...3, using: &rng) where !bytes.isEmpty {
                    let position = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes[position] = UInt8.random(in: 0 ... .max, using: &rng)
                    case 1: bytes.removeSubrange(position...)
                    default: bytes.insert(UInt8.random(in: 0 ... .max, using: &rng), at: position)
                    }
                }
            }
            var buffer = ByteBuffer(bytes: bytes)
            var commands = 0
            do {
                while let command = try parser.next(&buffer) {
                    commands += 1
                    if command.arguments.isEmpty || command.arguments.count > limits.maxArguments {
                        Issue.record(
                            "seed \(Self.seed) iteration \(iteration): a command of \(command.arguments.count) arguments"
                        )
                    }
                    if commands > bytes.count { break }
                }
            } catch {
                // Refused: the connection would be closed. Nothing to check but that it did not trap.
            }
            if buffer.readerIndex > bytes.count {
                Issue.record("seed \(Self.seed) iteration \(iteration): read past the input")
            }
        }
    }
}
