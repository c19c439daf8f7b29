/// Typed reading of the fields of one JSON object of the API: the one field reader the server
/// (request bodies) and the client (answers) share.
///
/// A missing required field or a field of the wrong type is a ``StoreError`` of the reader's
/// ``failureKind`` — `INVALID` for what a caller sent, `INTERNAL` for an answer that is not what
/// the API promises — naming the field and the object.
public struct JSONFields: Sendable, Hashable {
    /// The members of the object.
    public let members: [String: JSONValue]
    /// What the object is, for messages, such as `the request body` or `the entry in the answer`.
    public let what: String
    /// The kind of error a bad field is.
    public let failureKind: StoreError.Kind

    /// Reads `value` as an object.
    /// - Throws: a `failureKind` error when `value` is not an object.
    public init(_ value: JSONValue, what: String, failureKind: StoreError.Kind) throws(StoreError) {
        guard case .object(let members) = value else {
            throw StoreError(failureKind, "\(what) must be a JSON object")
        }
        self.init(members: members, what: what, failureKind: failureKind)
    }

    /// Reads the members of an object.
    public init(members: [String: JSONValue], what: String, failureKind: StoreError.Kind) {
        self.members = members
        self.what = what
        self.failureKind = failureKind
    }

    /// Field `name` as `extract` reads it.
    /// - Throws: when the field is absent, or `extract` cannot read it as `expected`.
    private func field<Value>(
        _ name: String, _ expected: String, _ extract: (JSONValue) -> Value?
    ) throws(StoreError) -> Value {
        guard let read = extract(try required(name)) else {
            throw StoreError(failureKind, "the field \"\(name)\" of \(what) must be \(expected)")
        }
        return read
    }

    /// Field `name` as `extract` reads it, or nil when it is absent or null.
    /// - Throws: when `extract` cannot read it as `expected`.
    private func optionalField<Value>(
        _ name: String, _ expected: String, _ extract: (JSONValue) -> Value?
    ) throws(StoreError) -> Value? {
        guard let value = members[name], value != .null else { return nil }
        return try field(name, expected, extract)
    }

    /// The value of a required field (any JSON value, including null).
    public func required(_ name: String) throws(StoreError) -> JSONValue {
        guard let value = members[name] else {
            throw StoreError(failureKind, "the field \"\(name)\" of \(what) is required")
        }
        return value
    }

    /// A required string field.
    public func string(_ name: String) throws(StoreError) -> String { try field(name, "a string", \.stringValue) }

    /// A string field that may be null or absent.
    public func optionalString(_ name: String) throws(StoreError) -> String? {
        try optionalField(name, "a string", \.stringValue)
    }

    /// A required integer field.
    public func integer(_ name: String) throws(StoreError) -> Int64 { try field(name, "an integer", \.integerValue) }

    /// An integer field that may be null or absent.
    public func optionalInteger(_ name: String) throws(StoreError) -> Int64? {
        try optionalField(name, "an integer", \.integerValue)
    }

    /// A required boolean field.
    public func bool(_ name: String) throws(StoreError) -> Bool { try field(name, "a boolean", \.boolValue) }

    /// A boolean field that may be null or absent.
    public func optionalBool(_ name: String) throws(StoreError) -> Bool? {
        try optionalField(name, "a boolean", \.boolValue)
    }

    /// A required array field.
    public func array(_ name: String) throws(StoreError) -> [JSONValue] { try field(name, "an array", \.arrayValue) }

    /// A required array field of strings.
    public func strings(_ name: String) throws(StoreError) -> [String] {
        try field(name, "an array of strings") { value in
            guard let items = value.arrayValue else { return nil }
            let texts = items.compactMap(\.stringValue)
            return texts.count == items.count ? texts : nil
        }
    }
}
