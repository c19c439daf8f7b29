/// Where a setting's value came from; the lowest source gives way to the higher ones:
/// default < configuration file < environment variable < command-line flag.
enum SettingOrigin: Sendable, Hashable, CustomStringConvertible {
    /// The built-in default.
    case defaultValue
    /// A key of the configuration file at this path.
    case file(String)
    /// An environment variable of this name.
    case environment(String)
    /// A command-line flag of this name (`--http`).
    case flag(String)

    /// The source as error messages and `--print-config` name it: `default`, the file path,
    /// the variable name or the flag.
    var description: String {
        switch self {
        case .defaultValue: "default"
        case .file(let path): path
        case .environment(let name): name
        case .flag(let flag): flag
        }
    }
}

/// A setting's raw value as a source gave it, before it is checked and converted.
///
/// A TOML file gives typed values; environment variables and flags give unparsed text, which
/// each setting parses (`8000` for an integer, `a,b` for a list in the environment). A TOML
/// string is only ever a string: `max_datagram = "8000"` is refused.
enum SettingValue: Sendable, Hashable {
    /// A string of the TOML file.
    case text(String)
    /// Text from the environment or a flag, parsed by the setting that takes it.
    case unparsed(String)
    case integer(Int)
    case boolean(Bool)
    case list([String])
    /// A TOML value no setting takes (a table, a float, a date), by its type name.
    case unsupported(String)

    /// The value as it appears in an error message: text quoted, lists in brackets.
    var shown: String {
        switch self {
        case .text(let text), .unparsed(let text): "\"\(text)\""
        case .integer(let number): String(number)
        case .boolean(let flag): String(flag)
        case .list(let items): "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        case .unsupported(let type): ("aeiou".contains(type.prefix(1)) ? "an " : "a ") + type
        }
    }
}

/// A configuration that cannot be used, naming the setting and where its value came from:
/// `setting http (from STARLING_HTTP): must be HOST:PORT, not "foo"`.
struct ConfigError: Error, Hashable, CustomStringConvertible {
    /// The setting's name (its TOML key), or the unknown name that was given.
    var setting: String
    /// Where the offending value came from.
    var origin: SettingOrigin
    /// What is wrong, in words a person can act on.
    var problem: String

    var description: String { "setting \(setting) (from \(origin)): \(problem)" }
}

/// What is wrong with one value, before the resolver adds the setting and its origin.
struct SettingProblem: Error {
    /// What is wrong.
    var message: String

    init(_ message: String) { self.message = message }
}
