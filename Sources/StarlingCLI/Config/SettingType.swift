import Logging
import Starling
import StarlingCore

/// How the values of one kind of setting are read, checked and written back as TOML.
struct SettingType<Value> {
    /// The kind as the settings reference shows it: `integer`, `HOST:PORT`, `duration`.
    let name: String
    /// Reads and checks a raw value.
    let parse: (SettingValue) throws(SettingProblem) -> Value
    /// The value as a TOML literal, as `--print-config` writes it.
    let toml: (Value) -> String
}

extension SettingType where Value == String {
    /// Any non-empty text.
    static var text: Self {
        Self(
            name: "string",
            parse: { raw throws(SettingProblem) in
                let text = try raw.text(expected: "a string")
                guard !text.isEmpty else { throw SettingProblem("must not be empty") }
                return text
            }, toml: tomlString)
    }

    /// A file or directory path: non-empty text.
    static var path: Self { Self(name: "path", parse: text.parse, toml: tomlString) }
}

extension SettingType where Value == Int {
    /// An integer in `range`; from text (environment, flags) it is parsed as decimal digits.
    static func integer(_ range: ClosedRange<Int>) -> Self {
        Self(
            name: "integer",
            parse: { raw throws(SettingProblem) in
                let number: Int
                switch raw {
                case .integer(let given): number = given
                case .unparsed(let text):
                    guard let parsed = Int(text.trimmingWhitespace) else {
                        throw SettingProblem("must be an integer, not \(raw.shown)")
                    }
                    number = parsed
                default: throw SettingProblem("must be an integer, not \(raw.shown)")
                }
                guard range.contains(number) else {
                    throw SettingProblem("must be between \(range.lowerBound) and \(range.upperBound), not \(number)")
                }
                return number
            }, toml: { String($0) })
    }
}

extension SettingType where Value == Bool {
    /// `true` or `false`; from text also `1`/`0` and `yes`/`no`.
    static var boolean: Self {
        Self(
            name: "boolean",
            parse: { raw throws(SettingProblem) in
                switch raw {
                case .boolean(let flag): return flag
                case .unparsed(let text):
                    switch text.trimmingWhitespace.lowercased() {
                    case "true", "1", "yes": return true
                    case "false", "0", "no": return false
                    default: throw SettingProblem("must be true or false, not \(raw.shown)")
                    }
                default: throw SettingProblem("must be true or false, not \(raw.shown)")
                }
            }, toml: { String($0) })
    }
}

extension SettingType where Value == PeerAddress {
    /// `HOST:PORT`, with an IPv6 host in brackets.
    static var address: Self {
        Self(
            name: "HOST:PORT",
            parse: { raw throws(SettingProblem) in
                let text = try raw.text(expected: "HOST:PORT")
                guard let address = PeerAddress(parsing: text.trimmingWhitespace) else {
                    throw SettingProblem("must be HOST:PORT, not \(raw.shown)")
                }
                return address
            }, toml: { tomlString($0.description) })
    }
}

extension SettingType where Value == PeerAddress? {
    /// A listener's address, or `off` (nil) for no listener.
    static var addressOrOff: Self {
        Self(
            name: "HOST:PORT|off",
            parse: { raw throws(SettingProblem) in
                let text = try raw.text(expected: "HOST:PORT or off").trimmingWhitespace
                if text.lowercased() == "off" { return nil }
                guard let address = PeerAddress(parsing: text) else {
                    throw SettingProblem("must be HOST:PORT or off, not \(raw.shown)")
                }
                return address
            }, toml: { tomlString($0?.description ?? "off") })
    }
}

extension SettingType where Value == [String] {
    /// A list of non-empty texts: a TOML array, a repeated flag, or comma-separated in the
    /// environment (an empty variable is the empty list).
    static var textList: Self {
        Self(
            name: "list of strings",
            parse: { raw throws(SettingProblem) in
                let items = try raw.items()
                if let empty = items.firstIndex(where: \.isEmpty) {
                    throw SettingProblem("item \(empty + 1) is empty in \(raw.shown)")
                }
                return items
            }, toml: { "[" + $0.map(tomlString).joined(separator: ", ") + "]" })
    }
}

extension SettingType where Value == [PeerAddress] {
    /// A list of `HOST:PORT` addresses, given as ``textList`` is.
    static var addressList: Self {
        Self(
            name: "list of HOST:PORT",
            parse: { raw throws(SettingProblem) in
                try raw.items().map { item throws(SettingProblem) in
                    guard let address = PeerAddress(parsing: item) else {
                        throw SettingProblem("must be a list of HOST:PORT, but \"\(item)\" is not HOST:PORT")
                    }
                    return address
                }
            }, toml: { "[" + $0.map { tomlString($0.description) }.joined(separator: ", ") + "]" })
    }
}

extension SettingType where Value == Int64 {
    /// A duration in milliseconds, written with a unit: `250ms`, `30s`, `5m`, `1h`; at least
    /// `minimum` and at most `maximum`.
    static func duration(minimum: Int64, maximum: Int64 = .max) -> Self {
        Self(
            name: "duration",
            parse: { raw throws(SettingProblem) in
                let text = try raw.text(expected: "a duration such as 500ms, 30s, 5m or 1h")
                guard let millis = DurationText.millis(parsing: text.trimmingWhitespace) else {
                    throw SettingProblem("must be a duration such as 500ms, 30s, 5m or 1h, not \(raw.shown)")
                }
                guard millis >= minimum else {
                    throw SettingProblem("must be at least \(DurationText.text(millis: minimum)), not \(raw.shown)")
                }
                guard millis <= maximum else {
                    throw SettingProblem("must be at most \(DurationText.text(millis: maximum)), not \(raw.shown)")
                }
                return millis
            }, toml: { tomlString(DurationText.text(millis: $0)) })
    }
}

extension SettingType where Value == Node.Settings.Storage.Durability {
    /// `process` or `power`.
    static var durability: Self {
        let names = Node.Settings.Storage.Durability.allCases.map(\.rawValue)
        return Self(
            name: names.joined(separator: " or "),
            parse: { raw throws(SettingProblem) in
                let text = try raw.text(expected: names.joined(separator: " or "))
                guard let value = Node.Settings.Storage.Durability(rawValue: text.trimmingWhitespace) else {
                    throw SettingProblem("must be \(names.joined(separator: " or ")), not \(raw.shown)")
                }
                return value
            }, toml: { tomlString($0.rawValue) })
    }
}

extension SettingType where Value == Logger.Level {
    /// A swift-log level name: `trace` to `critical`.
    static var logLevel: Self {
        let names = Logger.Level.allCases.map(\.rawValue)
        return Self(
            name: "log level",
            parse: { raw throws(SettingProblem) in
                let text = try raw.text(expected: "a log level")
                guard let level = Logger.Level(rawValue: text.trimmingWhitespace.lowercased()) else {
                    throw SettingProblem("must be one of \(names.joined(separator: ", ")), not \(raw.shown)")
                }
                return level
            }, toml: { tomlString($0.rawValue) })
    }
}

extension SettingType {
    /// The same type, where an empty text (from the environment or a flag) means "not set".
    var optional: SettingType<Value?> {
        let parse = self.parse
        return SettingType<Value?>(
            name: name,
            parse: { raw throws(SettingProblem) in
                if case .unparsed(let text) = raw, text.trimmingWhitespace.isEmpty { return nil }
                return try parse(raw)
            }, toml: { value in value.map(self.toml) ?? "" })
    }
}

/// Durations as settings write them: an integer and a unit.
enum DurationText {
    /// Milliseconds per unit, largest first, as `text(millis:)` prefers them.
    static let units: [(suffix: String, millis: Int64)] = [("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)]

    /// Parses `250ms`, `30s`, `5m` or `1h` into milliseconds; nil for anything else.
    static func millis(parsing text: String) -> Int64? {
        // "ms" before "m" and "s": the longest suffix that matches wins.
        for (suffix, factor) in units.sorted(by: { $0.suffix.count > $1.suffix.count }) where text.hasSuffix(suffix) {
            let digits = text.dropLast(suffix.count)
            guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigitCharacter), let count = Int64(digits) else {
                return nil
            }
            let (millis, overflow) = count.multipliedReportingOverflow(by: factor)
            return overflow ? nil : millis
        }
        return nil
    }

    /// Milliseconds in the largest unit that divides them exactly: `30000` is `30s`.
    static func text(millis: Int64) -> String {
        for (suffix, factor) in units where millis != 0 && millis % factor == 0 {
            return "\(millis / factor)\(suffix)"
        }
        return "\(millis)ms"
    }
}

/// `text` as a TOML basic string, quotes, backslashes and control characters escaped.
func tomlString(_ text: String) -> String {
    var escaped = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": escaped += "\\\""
        case "\\": escaped += "\\\\"
        case "\n": escaped += "\\n"
        case "\t": escaped += "\\t"
        case "\r": escaped += "\\r"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                escaped +=
                    "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16, uppercase: true)
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
    }
    return escaped + "\""
}

extension SettingValue {
    /// The text of a text value; anything else is refused as not being `expected`.
    func text(expected: String) throws(SettingProblem) -> String {
        switch self {
        case .text(let text), .unparsed(let text): return text
        default: throw SettingProblem("must be \(expected), not \(shown)")
        }
    }

    /// The items of a list: a list as given, or a text split at commas (each item trimmed).
    func items() throws(SettingProblem) -> [String] {
        switch self {
        case .list(let items): return items
        case .unparsed(let text):
            let trimmed = text.trimmingWhitespace
            return trimmed.isEmpty
                ? []
                : trimmed.split(separator: ",", omittingEmptySubsequences: false)
                    .map { String($0).trimmingWhitespace }
        default: throw SettingProblem("must be a list, not \(shown)")
        }
    }
}

extension String {
    /// The text without leading and trailing spaces and tabs.
    var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}

extension Character {
    /// Whether this is one of `0` to `9`.
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
