/// A JSON value as Starling stores it: parsed strictly (RFC 8259), compared structurally and
/// encoded canonically (see ``encoded()``).
///
/// Numbers keep the distinction the text made: a number written without `.`, `e` or `E` that
/// fits in `Int64` is an ``integer(_:)``; every other number is a ``number(_:)``. Equality is
/// structural, so `.integer(1) != .number(1.0)`, and (as for `Double`) a NaN is unequal to itself.
public enum JSONValue: Sendable, Hashable {
    /// The JSON `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number written without fraction or exponent that fits in `Int64`.
    case integer(Int64)
    /// Any other number. Non-finite values cannot be parsed and encode as `null`.
    case number(Double)
    /// A string of Unicode scalars.
    case string(String)
    /// An ordered list of values.
    case array([JSONValue])
    /// Members by key; when parsing, the last of duplicate keys wins.
    case object([String: JSONValue])
}

extension JSONValue {
    /// False if this value is or contains a NaN or infinite ``number(_:)``, which JSON cannot express.
    public var isFinite: Bool {
        switch self {
        case .null, .bool, .integer, .string:
            return true
        case .number(let value):
            return value.isFinite
        case .array(let elements):
            return elements.allSatisfy(\.isFinite)
        case .object(let members):
            return members.values.allSatisfy(\.isFinite)
        }
    }

    /// The value of an ``integer(_:)``; nil for every other case, including a ``number(_:)``
    /// that happens to be integral (`1.0`).
    public var integerValue: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// The text of a ``string(_:)``; nil for every other case.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The flag of a ``bool(_:)``; nil for every other case.
    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// The items of an ``array(_:)``; nil for every other case.
    public var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }
}

extension JSONValue: CustomStringConvertible {
    /// The canonical compact JSON text of this value (see ``encoded()``).
    public var description: String {
        String(decoding: encoded(), as: UTF8.self)
    }
}

extension JSONValue: ExpressibleByNilLiteral {
    /// Creates ``null``.
    public init(nilLiteral: ()) {
        self = .null
    }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    /// Creates a ``bool(_:)``.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    /// Creates an ``integer(_:)``.
    public init(integerLiteral value: Int64) {
        self = .integer(value)
    }
}

extension JSONValue: ExpressibleByFloatLiteral {
    /// Creates a ``number(_:)``.
    public init(floatLiteral value: Double) {
        self = .number(value)
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    /// Creates a ``string(_:)``.
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension JSONValue: ExpressibleByArrayLiteral {
    /// Creates an ``array(_:)``.
    public init(arrayLiteral elements: JSONValue...) {
        self = .array(elements)
    }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// Creates an ``object(_:)``; of duplicate keys the last one wins, as when parsing.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

/// Why a text is not JSON that Starling accepts, and where the problem is.
public struct JSONError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, with its position, e.g. "unexpected character 'x' at byte 12".
    public var message: String
    /// Zero-based byte offset in the input where the problem was found.
    public var offset: Int

    /// Creates an error with `message` found at byte `offset`.
    public init(message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    /// The ``message``.
    public var description: String { message }
}

extension JSONError {
    /// An error whose message is `problem` followed by " at byte `offset`".
    static func at(_ offset: Int, _ problem: String) -> JSONError {
        JSONError(message: "\(problem) at byte \(offset)", offset: offset)
    }
}

extension JSONValue {
    /// How deeply arrays and objects nest: 0 for a scalar, 1 for `[1]`, 2 for `[[1]]`.
    public var nestingDepth: Int {
        switch self {
        case .array(let items): return 1 + (items.map(\.nestingDepth).max() ?? 0)
        case .object(let members): return 1 + (members.values.map(\.nestingDepth).max() ?? 0)
        default: return 0
        }
    }
}
