import ArgumentParser
import StarlingCore

/// Reading values and `KEY=VALUE` pairs from the command line.
enum ValueArgument {
    /// `text` as a value: the JSON it is when it parses as JSON (`42`, `true`, `{"a":1}`,
    /// `"quoted"`), else the string itself (`hello world`).
    /// - Parameter text: the argument.
    /// - Returns: the value.
    static func value(_ text: String) -> JSONValue {
        (try? JSONValue(parsing: text)) ?? .string(text)
    }

    /// A `KEY=VALUE` argument of `mset`, split at the first `=`; the value read by ``value(_:)``.
    /// - Parameter text: the argument.
    /// - Returns: the key and the value.
    /// - Throws: `ValidationError` when there is no `=` or the key is empty.
    static func pair(_ text: String) throws -> (key: String, value: JSONValue) {
        guard let equals = text.firstIndex(of: "=") else {
            throw ValidationError("\"\(text)\" is not KEY=VALUE")
        }
        let key = String(text[..<equals])
        guard !key.isEmpty else { throw ValidationError("\"\(text)\" has an empty key; expected KEY=VALUE") }
        return (key, value(String(text[text.index(after: equals)...])))
    }

    /// The entries of `mset` arguments; of a key given twice the last value wins.
    /// - Throws: `ValidationError` for an argument that is not `KEY=VALUE`.
    static func entries(_ arguments: [String]) throws -> [String: JSONValue] {
        var entries: [String: JSONValue] = [:]
        for argument in arguments {
            let (key, value) = try pair(argument)
            entries[key] = value
        }
        return entries
    }
}
