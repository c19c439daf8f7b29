/// A Redis-style key pattern, compiled once and matched in O(pattern × key) time.
///
/// Syntax: `*` matches any run of characters (including none), `?` exactly one, `[abc]` one of
/// the listed, `[a-z]` one in the range (either order), `[!abc]` or `[^abc]` one not listed,
/// and `\` makes the next character literal, also inside brackets. A `-` first or last in
/// brackets is literal. Matching compares Unicode scalars exactly (no normalization or case
/// folding), so `?` matches one scalar such as "é".
public struct GlobPattern: Sendable, Hashable {
    /// One compiled element of the pattern.
    private enum Token: Sendable, Hashable {
        /// A run of literal scalars, as UTF-8.
        case literal([UInt8])
        /// `?`: any one scalar.
        case anyScalar
        /// `[...]`: one scalar in (or, when negated, not in) the ranges.
        case set(negated: Bool, ranges: [ClosedRange<UInt32>])
        /// `*` (consecutive stars are one token).
        case star
    }

    /// The pattern as written.
    public let pattern: String
    private let tokens: [Token]

    /// Compiles `pattern`.
    /// - Parameter pattern: The glob, e.g. `user:*` or `log:202[0-4]-??`.
    /// - Throws: ``GlobError`` if a `[` has no closing `]`, a bracket holds no characters
    ///   (`[]`, `[!]`), or the pattern ends with a lone `\`.
    public init(_ pattern: String) throws(GlobError) {
        self.pattern = pattern
        self.tokens = try GlobPattern.compile(Array(pattern.unicodeScalars))
    }

    /// Whether `key` matches the whole pattern.
    /// - Parameter key: The key to test.
    /// - Returns: True if the pattern matches all of `key`.
    public func matches(_ key: String) -> Bool {
        if let result = key.utf8.withContiguousStorageIfAvailable({ match($0) }) {
            return result
        }
        return Array(key.utf8).withUnsafeBufferPointer { match($0) }
    }

    /// The literal text every match must start with ("user:" for "user:*"), for narrowing a
    /// key-ordered scan; empty when the pattern starts with a wildcard or bracket.
    public var literalPrefix: String {
        guard case .literal(let bytes)? = tokens.first else { return "" }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// True when every key matches (the pattern is only stars, such as `*`).
    public var matchesEverything: Bool {
        tokens == [.star]
    }
}

extension GlobPattern {
    // MARK: Compiling

    private static func compile(_ scalars: [Unicode.Scalar]) throws(GlobError) -> [Token] {
        var tokens: [Token] = []
        var literal: [UInt8] = []
        func flushLiteral() {
            if !literal.isEmpty {
                tokens.append(.literal(literal))
                literal.removeAll()
            }
        }
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            switch scalar {
            case "*":
                flushLiteral()
                if tokens.last != .star { tokens.append(.star) }
                index += 1
            case "?":
                flushLiteral()
                tokens.append(.anyScalar)
                index += 1
            case "[":
                flushLiteral()
                tokens.append(try compileSet(scalars, from: &index))
            case "\\":
                guard index + 1 < scalars.count else {
                    throw GlobError(message: "pattern ends with a lone '\\'; write '\\\\' to match a backslash")
                }
                literal.append(contentsOf: scalars[index + 1].utf8)
                index += 2
            default:
                literal.append(contentsOf: scalar.utf8)
                index += 1
            }
        }
        flushLiteral()
        return tokens
    }

    /// Compiles the bracket expression that starts at `index` (a `[`) and moves past its `]`.
    private static func compileSet(_ scalars: [Unicode.Scalar], from index: inout Int) throws(GlobError) -> Token {
        let open = index
        let unterminated = GlobError(message: "'[' at position \(open) has no closing ']'")
        index += 1
        var negated = false
        if index < scalars.count, scalars[index] == "!" || scalars[index] == "^" {
            negated = true
            index += 1
        }
        var ranges: [ClosedRange<UInt32>] = []
        while true {
            guard index < scalars.count else { throw unterminated }
            if scalars[index] == "]" {
                index += 1
                break
            }
            let low = try setMember(scalars, at: &index, or: unterminated)
            var high = low
            if index + 1 < scalars.count, scalars[index] == "-", scalars[index + 1] != "]" {
                index += 1
                high = try setMember(scalars, at: &index, or: unterminated)
            }
            ranges.append(min(low, high)...max(low, high))
        }
        guard !ranges.isEmpty else {
            throw GlobError(message: "'[' at position \(open) encloses no characters; write '\\[' to match a '['")
        }
        return .set(negated: negated, ranges: ranges)
    }

    /// Reads one possibly escaped scalar inside brackets.
    private static func setMember(
        _ scalars: [Unicode.Scalar],
        at index: inout Int,
        or unterminated: GlobError
    ) throws(GlobError) -> UInt32 {
        if scalars[index] == "\\" {
            index += 1
            guard index < scalars.count else { throw unterminated }
        }
        defer { index += 1 }
        return scalars[index].value
    }

    // MARK: Matching

    /// Two-pointer matching with backtracking to the last star only, which is enough because
    /// every token between stars matches a fixed number of scalars.
    private func match(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        var token = 0
        var position = 0
        var starToken = -1
        var starPosition = 0
        while position < key.count {
            if token < tokens.count, let next = step(tokens[token], key, at: position) {
                if next < 0 {
                    // A star: first try matching nothing; remember where to resume.
                    starToken = token
                    starPosition = position
                    token += 1
                } else {
                    position = next
                    token += 1
                }
                continue
            }
            guard starToken >= 0 else { return false }
            // Let the last star swallow one more scalar and retry what follows it.
            starPosition += scalarLength(key[starPosition])
            position = starPosition
            token = starToken + 1
        }
        while token < tokens.count, tokens[token] == .star { token += 1 }
        return token == tokens.count
    }

    /// Matches one token at `position`: the position after it, -1 for a star, nil on mismatch.
    private func step(_ token: Token, _ key: UnsafeBufferPointer<UInt8>, at position: Int) -> Int? {
        switch token {
        case .star:
            return -1
        case .anyScalar:
            return position + scalarLength(key[position])
        case .literal(let bytes):
            guard key.count - position >= bytes.count else { return nil }
            for offset in bytes.indices where key[position + offset] != bytes[offset] {
                return nil
            }
            return position + bytes.count
        case .set(let negated, let ranges):
            let length = scalarLength(key[position])
            let value = decodeScalar(key, at: position, length: length)
            let found = ranges.contains { $0.contains(value) }
            return found != negated ? position + length : nil
        }
    }
}

/// The byte length of the UTF-8 scalar that starts with `lead` (input is valid UTF-8).
private func scalarLength(_ lead: UInt8) -> Int {
    switch lead {
    case ..<0xC0: return 1
    case ..<0xE0: return 2
    case ..<0xF0: return 3
    default: return 4
    }
}

/// The scalar value of the valid UTF-8 sequence of `length` bytes at `position`.
private func decodeScalar(_ key: UnsafeBufferPointer<UInt8>, at position: Int, length: Int) -> UInt32 {
    guard length > 1 else { return UInt32(key[position]) }
    var value = UInt32(key[position]) & (0x7F >> UInt32(length))
    for offset in 1..<length {
        value = value << 6 | UInt32(key[position + offset] & 0x3F)
    }
    return value
}

/// Why a glob pattern cannot be compiled.
public struct GlobError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong and how to write it instead.
    public var message: String

    /// Creates an error with `message`.
    public init(message: String) {
        self.message = message
    }

    /// The ``message``.
    public var description: String { message }
}
