import Foundation

/// Locates the repository's `Fixtures/` folder and the built `starling` executable.
public enum Fixtures {
    /// The repository root, found from this file's compile-time path.
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// A path under `Fixtures/`.
    public static func path(_ relative: String) -> String {
        repositoryRoot + "/Fixtures/" + relative
    }

    /// The `starling` executable built beside the running tests (`swift test` builds it).
    public static var starlingExecutable: String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        // Swift Testing on Linux runs `<products>/StarlingPackageTests.xctest`; on Darwin the bundle nests deeper.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("starling").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return repositoryRoot + "/.build/debug/starling"
    }

    /// `bytes` as the golden files under `Fixtures/wire/` hold them: lowercase hex, 64 digits a line.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = bytes.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
        var lines: [Substring] = []
        var rest = digits[...]
        while !rest.isEmpty {
            lines.append(rest.prefix(64))
            rest = rest.dropFirst(64)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The bytes of a golden hex file; whitespace is ignored.
    public static func bytes(hex text: String) throws -> [UInt8] {
        let nibbles = try text.utf8.filter { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }.map { digit -> UInt8 in
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
            default: throw FixtureError("not a lowercase hex digit: \(digit)")
            }
        }
        guard nibbles.count % 2 == 0 else { throw FixtureError("odd number of hex digits") }
        return stride(from: 0, to: nibbles.count, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
    }
}

/// A fixture file that does not hold what its reader expects.
public struct FixtureError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
