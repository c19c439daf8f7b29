import TOMLKit

/// Reads a configuration file's TOML into raw setting values.
enum TOMLSettings {
    /// The top-level keys of `text` with their values. Tables, floats, dates and arrays of
    /// anything but strings come back as ``SettingValue/unsupported(_:)`` for the setting to refuse.
    /// - Throws: ``SettingProblem`` with the parser's message and position for text that is not TOML.
    static func parse(_ text: String) throws(SettingProblem) -> [String: SettingValue] {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw SettingProblem(
                "\(error.description) at line \(error.source.begin.line), column \(error.source.begin.column)")
        } catch {
            throw SettingProblem("\(error)")
        }
        var values: [String: SettingValue] = [:]
        for (key, value) in table {
            values[key] = settingValue(value)
        }
        return values
    }

    /// One TOML value as a raw setting value.
    private static func settingValue(_ value: any TOMLValueConvertible) -> SettingValue {
        switch value.type {
        case .string: return value.string.map(SettingValue.text) ?? .unsupported("string")
        case .int: return value.int.map(SettingValue.integer) ?? .unsupported("integer")
        case .bool: return value.bool.map(SettingValue.boolean) ?? .unsupported("boolean")
        case .array:
            guard let array = value.array else { return .unsupported("array") }
            var items: [String] = []
            for element in array {
                guard element.type == .string, let item = element.string else {
                    return .unsupported("array with an element of type \(element.type)")
                }
                items.append(item)
            }
            return .list(items)
        default: return .unsupported(value.type.description)
        }
    }
}
