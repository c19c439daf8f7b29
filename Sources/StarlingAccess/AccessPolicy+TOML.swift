import Foundation
import StarlingCore
import TOMLKit

extension AccessPolicy {
    /// Parses a policy file in TOML: one `[[token]]` table per token, each with one or more
    /// `[[token.rule]]` tables.
    ///
    /// ```toml
    /// [[token]]
    /// name = "ci-reader"                  # shown in logs and messages, never the secret
    /// sha256 = "9f86d081884c7d65..."      # hex SHA-256 of the bearer token (preferred)
    /// # secret = "plain token"            # or the token itself: less safe, the file then holds it
    ///
    /// [[token.rule]]
    /// actions = ["store.key.get", "store.key.list"]   # or ["*"] for every action
    /// stores = ["app:*"]                  # store-id globs
    /// keys = ["public/*"]                 # key globs; optional, default ["*"]
    /// ```
    ///
    /// A token has a unique non-empty `name`, exactly one of `sha256` (64 hex digits) and
    /// `secret` (non-empty), and at least one rule. A rule has a non-empty `actions` list of
    /// action names (``Action``) or `"*"`, a non-empty `stores` list of globs and optionally a
    /// non-empty `keys` list of globs (``GlobPattern`` syntax). Any other field is refused.
    /// - Parameter tomlText: the file's contents.
    /// - Throws: ``AccessPolicyError`` naming the token entry (1-based, and its name when
    ///   known), rule and field that are wrong: invalid TOML, unknown or missing fields, wrong
    ///   types, unknown actions, bad globs, bad digests, duplicate names or secrets.
    public init(tomlText: String) throws(AccessPolicyError) {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: tomlText)
        } catch let error as TOMLParseError {
            let position = error.source.begin
            throw AccessPolicyError(
                "not valid TOML: \(error.description) at line \(position.line), column \(position.column)")
        } catch {
            throw AccessPolicyError("not valid TOML: \(error)")
        }
        try self.init(tokens: try PolicyReader.tokens(in: table))
    }

    /// Reads and parses the policy file at `path` (see ``init(tomlText:)`` for the format).
    /// - Parameter path: the file's path.
    /// - Throws: ``AccessPolicyError`` if the file cannot be read as UTF-8 or is not a valid policy.
    public init(contentsOf path: String) throws(AccessPolicyError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw AccessPolicyError("cannot read \(path): \(error.localizedDescription)")
        }
        do {
            self = try AccessPolicy(tomlText: text)
        } catch {
            throw AccessPolicyError("\(path): \(error.message)")
        }
    }
}

/// Turns the parsed TOML document into tokens, checking every field strictly.
private enum PolicyReader {
    static let tokenFields: Set<String> = ["name", "sha256", "secret", "rule"]
    static let ruleFields: Set<String> = ["actions", "stores", "keys"]

    static func tokens(in document: TOMLTable) throws(AccessPolicyError) -> [AccessPolicy.Token] {
        if let unknown = document.keys.sorted().first(where: { $0 != "token" }) {
            throw AccessPolicyError("unknown top-level field \"\(unknown)\"; a policy holds only [[token]] tables")
        }
        guard let entries = document["token"] else {
            throw AccessPolicyError("the policy defines no token; add a [[token]] table")
        }
        let tables = try tablesArray(entries, what: "\"token\"", hint: "write [[token]] tables")
        guard !tables.isEmpty else { throw AccessPolicyError("the policy defines no token; add a [[token]] table") }
        var tokens: [AccessPolicy.Token] = []
        for (index, table) in tables.enumerated() {
            tokens.append(try token(table, number: index + 1))
        }
        return tokens
    }

    static func token(_ table: TOMLTable, number: Int) throws(AccessPolicyError) -> AccessPolicy.Token {
        var place = "token \(number)"
        let name = try string(table, "name", at: place, required: true) ?? ""
        place = "token \(number) (\"\(name)\")"
        try checkFields(table, allowed: tokenFields, at: place)
        let sha256 = try string(table, "sha256", at: place, required: false)
        let secret = try string(table, "secret", at: place, required: false)
        guard let ruleValue = table["rule"] else {
            throw AccessPolicyError("\(place): no rule; add a [[token.rule]] table after it")
        }
        let ruleTables = try tablesArray(ruleValue, what: "\(place): \"rule\"", hint: "write [[token.rule]] tables")
        guard !ruleTables.isEmpty else { throw AccessPolicyError("\(place): no rule; add a [[token.rule]] table") }
        var rules: [AccessPolicy.Rule] = []
        for (index, table) in ruleTables.enumerated() {
            rules.append(try rule(table, at: "\(place), rule \(index + 1)"))
        }
        switch (sha256, secret) {
        case (let hex?, nil):
            guard let digest = AccessPolicy.bytes(ofHex: hex), digest.count == 32 else {
                throw AccessPolicyError("\(place): \"sha256\" must be 64 hex digits, the SHA-256 of the token")
            }
            return AccessPolicy.Token(name: name, digest: digest, rules: rules)
        case (nil, let secret?):
            return AccessPolicy.Token(name: name, secret: secret, rules: rules)
        case (nil, nil):
            throw AccessPolicyError("\(place): needs \"sha256\" (hex SHA-256 of the token) or \"secret\"")
        case (.some, .some):
            throw AccessPolicyError("\(place): has both \"sha256\" and \"secret\"; keep one")
        }
    }

    static func rule(_ table: TOMLTable, at place: String) throws(AccessPolicyError) -> AccessPolicy.Rule {
        try checkFields(table, allowed: ruleFields, at: place)
        var actions: Set<AccessPolicy.Action> = []
        for name in try strings(table, "actions", at: place) ?? [] {
            if name == "*" {
                actions.formUnion(AccessPolicy.Action.allCases)
            } else if let action = AccessPolicy.Action(rawValue: name) {
                actions.insert(action)
            } else {
                let known = AccessPolicy.Action.allCases.map(\.rawValue).joined(separator: ", ")
                throw AccessPolicyError(
                    "\(place): unknown action \"\(name)\" in \"actions\"; expected \"*\" or one of \(known)")
            }
        }
        guard !actions.isEmpty else {
            throw AccessPolicyError("\(place): \"actions\" is required and must not be empty")
        }
        guard let stores = try globs(table, "stores", at: place) else {
            throw AccessPolicyError("\(place): \"stores\" is required (store-id globs, such as [\"*\"])")
        }
        return AccessPolicy.Rule(actions: actions, stores: stores, keys: try globs(table, "keys", at: place))
    }

    // MARK: Fields

    static func checkFields(_ table: TOMLTable, allowed: Set<String>, at place: String) throws(AccessPolicyError) {
        if let unknown = table.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw AccessPolicyError(
                "\(place): unknown field \"\(unknown)\"; expected \(allowed.sorted().joined(separator: ", "))")
        }
    }

    static func string(_ table: TOMLTable, _ field: String, at place: String, required: Bool) throws(AccessPolicyError)
        -> String?
    {
        guard let value = table[field] else {
            if required { throw AccessPolicyError("\(place): \"\(field)\" is required") }
            return nil
        }
        guard let text = value.string else {
            throw AccessPolicyError("\(place): \"\(field)\" must be a string, not \(value.type)")
        }
        guard !text.isEmpty else { throw AccessPolicyError("\(place): \"\(field)\" must not be empty") }
        return text
    }

    /// A non-empty array of strings, or nil when the field is absent.
    static func strings(_ table: TOMLTable, _ field: String, at place: String) throws(AccessPolicyError) -> [String]? {
        guard let value = table[field] else { return nil }
        let wrongType = AccessPolicyError("\(place): \"\(field)\" must be an array of strings")
        guard let array = value.array else { throw wrongType }
        var texts: [String] = []
        for item in array {
            guard let text = item.string else { throw wrongType }
            texts.append(text)
        }
        guard !texts.isEmpty else { throw AccessPolicyError("\(place): \"\(field)\" must not be empty") }
        return texts
    }

    /// A non-empty array of globs, or nil when the field is absent.
    static func globs(_ table: TOMLTable, _ field: String, at place: String) throws(AccessPolicyError)
        -> [GlobPattern]?
    {
        guard let texts = try strings(table, field, at: place) else { return nil }
        var patterns: [GlobPattern] = []
        for text in texts {
            do {
                patterns.append(try GlobPattern(text))
            } catch {
                throw AccessPolicyError("\(place): bad glob \"\(text)\" in \"\(field)\": \(error.message)")
            }
        }
        return patterns
    }

    /// The tables of an array-of-tables field.
    static func tablesArray(_ value: any TOMLValueConvertible, what: String, hint: String) throws(AccessPolicyError)
        -> [TOMLTable]
    {
        let wrongType = AccessPolicyError("\(what) must be an array of tables; \(hint)")
        guard let array = value.array else { throw wrongType }
        var tables: [TOMLTable] = []
        for item in array {
            guard let table = item.table else { throw wrongType }
            tables.append(table)
        }
        return tables
    }
}
