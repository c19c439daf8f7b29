import ArgumentParser
import Foundation
import Starling
import StarlingClient
import StarlingCore

/// What a client command shows on success: the JSON result for `--json`, the text otherwise,
/// and the exit status (0, or 3 for an absent key of `get`/`entry`).
struct CommandResult: Equatable {
    /// The canonical JSON result, or nil to print nothing with `--json`.
    var json: JSONValue?
    /// The human-readable text, without a final newline; empty prints nothing.
    var text: String
    /// The message for standard error, without a final newline; empty prints nothing.
    var diagnostic = ""
    /// The exit status.
    var status: Int32 = 0

    /// A result whose text is the canonical JSON of `json`.
    static func value(_ json: JSONValue) -> CommandResult { CommandResult(json: json, text: json.description) }

    /// The result of `get`/`entry` for an absent key: nothing on standard output, the reason
    /// on standard error, exit status 3.
    static func absent(_ key: String, store: String) -> CommandResult {
        CommandResult(
            json: nil, text: "", diagnostic: "error: NOT_FOUND: the key \"\(key)\" is absent from store \"\(store)\"",
            status: ExitStatus.notFound)
    }
}

/// The exit statuses of the command line (APIContract.md, "Command line").
enum ExitStatus {
    /// Success.
    static let success: Int32 = 0
    /// The call failed with an error kind.
    static let failure: Int32 = 1
    /// Bad usage: unknown option, missing or malformed argument.
    static let usage: Int32 = 2
    /// `get`/`entry` of an absent key.
    static let notFound: Int32 = 3
}

/// What a command run prints and how the process exits.
struct CommandOutput: Equatable {
    /// Standard output, each line ending in a newline.
    var stdout: String
    /// Standard error, each line ending in a newline.
    var stderr: String
    /// The exit status.
    var status: Int32

    /// An output of its parts.
    init(stdout: String, stderr: String, status: Int32) {
        self.stdout = stdout
        self.stderr = stderr
        self.status = status
    }

    /// The output of `result`, as JSON or as text.
    init(_ result: CommandResult, json: Bool) {
        let shown = json ? result.json?.description ?? "" : result.text
        stdout = shown.isEmpty ? "" : shown + "\n"
        stderr = result.diagnostic.isEmpty ? "" : result.diagnostic + "\n"
        status = result.status
    }

    /// The output of a failed call: `error: KIND: message` on standard error, status 1.
    init(_ error: StoreError) {
        stdout = ""
        stderr = "error: \(error.kind.name): \(error.message)\n"
        status = ExitStatus.failure
    }
}

/// A command that performs one store operation through the HTTP API.
protocol ClientCommand: AsyncParsableCommand {
    /// The shared options.
    var connection: ConnectionOptions { get }

    /// Performs the operation and describes its result. Pure but for the calls on `client`.
    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult
}

extension ClientCommand {
    /// Runs the command against the endpoint the options and `environment` name.
    /// - Returns: what to print and the exit status.
    func execute(environment: [String: String]) async -> CommandOutput {
        let client: StarlingClient
        do {
            client = try StarlingClient(
                endpoint: connection.resolvedEndpoint(environment: environment), store: connection.store,
                token: connection.resolvedToken(environment: environment))
        } catch {
            return CommandOutput(error)
        }
        let output: CommandOutput
        do {
            output = CommandOutput(try await perform(client), json: connection.json)
        } catch {
            output = CommandOutput(error)
        }
        await client.shutdown()
        return output
    }

    mutating func run() async throws {
        let output = await execute(environment: ProcessInfo.processInfo.environment)
        if !output.stdout.isEmpty { FileHandle.standardOutput.write(Data(output.stdout.utf8)) }
        if !output.stderr.isEmpty { FileHandle.standardError.write(Data(output.stderr.utf8)) }
        if output.status != ExitStatus.success { throw ExitCode(output.status) }
    }
}
