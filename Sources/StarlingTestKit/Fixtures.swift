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
}
