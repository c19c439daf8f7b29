import ArgumentParser
import Foundation

extension StarlingCommand {
    /// Runs the command line like `AsyncParsableCommand.main()`, but exits with status 2 on bad
    /// usage as APIContract.md requires (ArgumentParser's own code, `EX_USAGE`, is 64 on Linux).
    static func main() async {
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
