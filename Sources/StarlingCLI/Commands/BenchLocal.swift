import ArgumentParser

/// `starling bench local`: the embedded store against raw SQLite.
struct BenchLocal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local",
        abstract: "Benchmark the embedded store against raw SQLite with the same schema and pragmas."
    )

    func run() async throws {
        throw ValidationError("not written yet")
    }
}
