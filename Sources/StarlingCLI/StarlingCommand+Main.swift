import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

extension StarlingCommand {
    /// Runs the command line like `AsyncParsableCommand.main()`, but exits with status 2 on bad
    /// usage as API.md requires (ArgumentParser's own code, `EX_USAGE`, is 64 on Linux).
    static func main() async {
        // `bench compare` is only a load generator sharing the cores with the systems it
        // measures: running its tasks on NIO's event loop threads (no hop between them and the
        // cooperative pool per request) halves its system CPU time (3.4 s to 2.2 s in a 6.4 s
        // run). Commands that measure Starling in process keep the default executor, and so
        // does `serve` (its reads got slower on the event loops in the same test).
        if Array(CommandLine.arguments.dropFirst().prefix(2)) == ["bench", "compare"] {
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(ExitStatus.usage)
        }
    }
}
