import Foundation
import StarlingAccess
import StarlingCore
import StarlingHTTP
import StarlingTestKit
import Testing

/// The policy of the access tests: a reader of `public/*` keys in `app:*` stores, a writer of
/// everything in `app:*` and `default` (given by digest), and a writer of `tmp/*` keys only.
let testPolicyText = """
    [[token]]
    name = "reader"
    secret = "reader-secret"

    [[token.rule]]
    actions = ["store.get", "store.info", "store.key.get", "store.key.has", "store.key.list"]
    stores = ["app:*"]
    keys = ["public/*"]

    [[token]]
    name = "writer"
    # SHA-256 of "writer-secret"
    sha256 = "EF80202EA99D7C668A9677D9242456057AC10488311CB8757674490E194A56E1"

    [[token.rule]]
    actions = ["*"]
    stores = ["app:*", "default"]

    [[token]]
    name = "tmp-writer"
    secret = "tmp-secret"

    [[token.rule]]
    actions = ["store.key.set", "store.key.delete", "store.key.get"]
    stores = ["app:*"]
    keys = ["tmp/*"]
    """

@Suite("Access policy: parsing", .showsLogsOnFailure)
struct AccessPolicyParsingTests {
    @Test("a valid policy yields its tokens, rules, actions and globs")
    func valid() throws {
        let policy = try AccessPolicy(tomlText: testPolicyText)
        #expect(policy.tokens.map(\.name) == ["reader", "writer", "tmp-writer"])
        let reader = policy.tokens[0]
        #expect(reader.rules.count == 1)
        #expect(reader.rules[0].actions == [.storeGet, .storeInfo, .keyGet, .keyHas, .keyList])
        #expect(reader.rules[0].stores.map(\.pattern) == ["app:*"])
        #expect(reader.rules[0].keys.map(\.pattern) == ["public/*"])
        let writer = policy.tokens[1]
        #expect(writer.rules[0].actions == Set(AccessPolicy.Action.allCases))
        #expect(writer.rules[0].keys.map(\.pattern) == ["*"], "keys defaults to every key")
        #expect(policy.token(for: "writer-secret")?.name == "writer", "an upper-case sha256 is accepted")
        #expect(policy.token(for: "reader-secret")?.name == "reader")
        #expect(policy.token(for: "nope") == nil)
        #expect(policy.token(for: nil) == nil)
    }

    @Test("several rules per token; any of them allows")
    func severalRules() throws {
        let policy = try AccessPolicy(
            tomlText: """
                [[token]]
                name = "two"
                secret = "s"
                [[token.rule]]
                actions = ["store.key.get"]
                stores = ["a"]
                [[token.rule]]
                actions = ["store.key.set"]
                stores = ["b"]
                keys = ["x", "y?"]
                """)
        #expect(policy.tokens[0].rules.count == 2)
        #expect(policy.decide(bearer: "s", action: .keyGet, on: .key(store: "a", key: "k")) == .allow)
        #expect(policy.decide(bearer: "s", action: .keySet, on: .key(store: "b", key: "y1")) == .allow)
        #expect(policy.decide(bearer: "s", action: .keySet, on: .key(store: "a", key: "x")) == .deny)
        #expect(policy.decide(bearer: "s", action: .keySet, on: .key(store: "b", key: "z")) == .deny)
    }

    /// One token entry around `body` lines, with a valid rule unless `rule` replaces it.
    static func token(_ body: String, rule: String = "actions = [\"store.get\"]\nstores = [\"*\"]") -> String {
        "[[token]]\n\(body)\n[[token.rule]]\n\(rule)\n"
    }

    /// A token entry's name and secret.
    static let a = "name = \"a\"\nsecret = \"s\""
    /// A rule's actions and stores.
    static let getAll = "actions = [\"store.get\"]\nstores = [\"*\"]"

    static let invalidCases: [(name: String, text: String, message: String)] = [
        ("invalid TOML", "[[token]\nname = 1", "not valid TOML"),
        (
            "unknown top-level field", "version = 1\n" + token(a),
            "unknown top-level field \"version\""
        ),
        ("no token", "", "defines no token"),
        ("token not a table array", "token = 5", "\"token\" must be an array of tables"),
        ("missing name", token("secret = \"s\""), "token 1: \"name\" is required"),
        ("name not a string", token("name = 3\nsecret = \"s\""), "token 1: \"name\" must be a string, not integer"),
        ("empty name", token("name = \"\"\nsecret = \"s\""), "token 1: \"name\" must not be empty"),
        ("unknown token field", token(a + "\nrole = \"x\""), "token 1 (\"a\"): unknown field \"role\""),
        ("neither sha256 nor secret", token("name = \"a\""), "token 1 (\"a\"): needs \"sha256\""),
        (
            "both sha256 and secret", token(a + "\nsha256 = \"\(String(repeating: "0", count: 64))\""),
            "token 1 (\"a\"): has both \"sha256\" and \"secret\""
        ),
        (
            "sha256 not hex", token("name = \"a\"\nsha256 = \"\(String(repeating: "g", count: 64))\""),
            "token 1 (\"a\"): \"sha256\" must be 64 hex digits"
        ),
        (
            "sha256 too short", token("name = \"a\"\nsha256 = \"abcd\""),
            "token 1 (\"a\"): \"sha256\" must be 64 hex digits"
        ),
        ("empty secret", token("name = \"a\"\nsecret = \"\""), "token 1 (\"a\"): \"secret\" must not be empty"),
        ("no rule", "[[token]]\nname = \"a\"\nsecret = \"s\"\n", "token 1 (\"a\"): no rule"),
        (
            "unknown rule field", token(a, rule: getAll + "\nkey = [\"x\"]"),
            "token 1 (\"a\"), rule 1: unknown field \"key\""
        ),
        (
            "unknown action", token(a, rule: "actions = [\"store.key.put\"]\nstores = [\"*\"]"),
            "token 1 (\"a\"), rule 1: unknown action \"store.key.put\""
        ),
        (
            "missing actions", token(a, rule: "stores = [\"*\"]"),
            "token 1 (\"a\"), rule 1: \"actions\" is required"
        ),
        (
            "empty actions", token(a, rule: "actions = []\nstores = [\"*\"]"),
            "token 1 (\"a\"), rule 1: \"actions\" must not be empty"
        ),
        (
            "actions not strings", token(a, rule: "actions = [1]\nstores = [\"*\"]"),
            "token 1 (\"a\"), rule 1: \"actions\" must be an array of strings"
        ),
        (
            "missing stores", token(a, rule: "actions = [\"store.get\"]"),
            "token 1 (\"a\"), rule 1: \"stores\" is required"
        ),
        (
            "stores not an array", token(a, rule: "actions = [\"store.get\"]\nstores = \"*\""),
            "token 1 (\"a\"), rule 1: \"stores\" must be an array of strings"
        ),
        (
            "bad store glob", token(a, rule: "actions = [\"store.get\"]\nstores = [\"app:[\"]"),
            "token 1 (\"a\"), rule 1: bad glob \"app:[\" in \"stores\""
        ),
        (
            "bad key glob", token(a, rule: getAll + "\nkeys = [\"x\\\\\"]"),
            "token 1 (\"a\"), rule 1: bad glob \"x\\\" in \"keys\""
        ),
        (
            "empty keys", token(a, rule: getAll + "\nkeys = []"),
            "token 1 (\"a\"), rule 1: \"keys\" must not be empty"
        ),
        (
            "duplicate name", token(a) + token("name = \"a\"\nsecret = \"t\""),
            "token 2: the name \"a\" is already used"
        ),
        (
            "duplicate secret",
            token("name = \"a\"\nsecret = \"writer-secret\"")
                + token("name = \"b\"\nsha256 = \"ef80202ea99d7c668a9677d9242456057ac10488311cb8757674490e194a56e1\""),
            "token 2 (\"b\"): same secret as token \"a\""
        ),
        (
            "error in a later token", token(a) + token("name = \"b\"\nsecret = \"t\"\nfoo = 1"),
            "token 2 (\"b\"): unknown field \"foo\""
        ),
    ]

    @Test("each invalid policy is refused with a message naming the entry and field", arguments: invalidCases.indices)
    func invalid(_ index: Int) {
        let (name, text, message) = Self.invalidCases[index]
        #expect {
            _ = try AccessPolicy(tomlText: text)
        } throws: { error in
            guard let error = error as? AccessPolicyError else { return false }
            let matches = error.message.contains(message)
            if !matches { Issue.record("\(name): got \"\(error.message)\", expected it to contain \"\(message)\"") }
            return matches
        }
    }

    @Test("error messages never contain a secret")
    func noSecretInMessages() {
        let text = Self.token("name = \"a\"\nsecret = \"hunter2\"") + Self.token("name = \"b\"\nsecret = \"hunter2\"")
        #expect {
            _ = try AccessPolicy(tomlText: text)
        } throws: { error in
            "\(error)".contains("same secret") && !"\(error)".contains("hunter2")
        }
    }

    @Test("contentsOf reads a file and names it in errors")
    func contentsOfFile() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.appending("policy.toml")
        try testPolicyText.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try AccessPolicy(contentsOf: path).tokens.count == 3)
        #expect {
            _ = try AccessPolicy(contentsOf: directory.appending("missing.toml"))
        } throws: { error in
            "\(error)".contains("cannot read") && "\(error)".contains("missing.toml")
        }
        try "[[token]]\nname = \"x\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            _ = try AccessPolicy(contentsOf: path)
        } throws: { error in
            "\(error)".contains("policy.toml") && "\(error)".contains("token 1 (\"x\")")
        }
    }
}

@Suite("Access policy: decisions", .showsLogsOnFailure)
struct AccessPolicyDecisionTests {
    let policy: AccessPolicy

    init() throws {
        policy = try AccessPolicy(tomlText: testPolicyText)
    }

    @Test("no token or an unknown token is unauthenticated, whatever the action")
    func unauthenticated() {
        for action in AccessPolicy.Action.allCases {
            let key = AccessPolicy.Resource.key(store: "app:x", key: "public/a")
            #expect(policy.decide(bearer: nil, action: action, on: key) == .unauthenticated)
            #expect(policy.decide(bearer: "reader-secreT", action: action, on: .store("app:x")) == .unauthenticated)
            #expect(policy.decide(bearer: "", action: action, on: .someStore) == .unauthenticated)
        }
    }

    @Test("the reader may read public keys of app stores and nothing else")
    func reader() {
        let bearer = "reader-secret"
        #expect(policy.decide(bearer: bearer, action: .keyGet, on: .key(store: "app:cache", key: "public/a")) == .allow)
        let nested = AccessPolicy.Resource.key(store: "app:cache", key: "public/a/b")
        #expect(policy.decide(bearer: bearer, action: .keyHas, on: nested) == .allow, "* matches / too")
        #expect(policy.decide(bearer: bearer, action: .keyGet, on: .key(store: "app:cache", key: "private/a")) == .deny)
        #expect(policy.decide(bearer: bearer, action: .keyGet, on: .key(store: "default", key: "public/a")) == .deny)
        #expect(policy.decide(bearer: bearer, action: .keySet, on: .key(store: "app:cache", key: "public/a")) == .deny)
        #expect(policy.decide(bearer: bearer, action: .keyDelete, on: .key(store: "app:c", key: "public/")) == .deny)
        #expect(policy.decide(bearer: bearer, action: .storeInfo, on: .store("app:cache")) == .allow)
        #expect(policy.decide(bearer: bearer, action: .storeInfo, on: .store("default")) == .deny)
        #expect(policy.decide(bearer: bearer, action: .storeGet, on: .someStore) == .allow)
        #expect(policy.decide(bearer: bearer, action: .keyList, on: .someKey(store: "app:cache")) == .allow)
        #expect(policy.decide(bearer: bearer, action: .keyList, on: .someKey(store: "default")) == .deny)
    }

    @Test("clear needs a delete rule whose key globs match every key")
    func everyKey() {
        #expect(policy.decide(bearer: "writer-secret", action: .keyDelete, on: .everyKey(store: "app:c")) == .allow)
        #expect(policy.decide(bearer: "writer-secret", action: .keyDelete, on: .everyKey(store: "other")) == .deny)
        #expect(policy.decide(bearer: "tmp-secret", action: .keyDelete, on: .key(store: "app:", key: "tmp/")) == .allow)
        #expect(policy.decide(bearer: "tmp-secret", action: .keyDelete, on: .everyKey(store: "app:c")) == .deny)
        #expect(policy.decide(bearer: "reader-secret", action: .keyDelete, on: .everyKey(store: "app:c")) == .deny)
    }

    @Test("store actions ignore key globs; someStore needs only the action")
    func storeActions() throws {
        let rule = AccessPolicy.Rule(
            actions: [.storeGet], stores: [try GlobPattern("a?")], keys: [try GlobPattern("k")])
        #expect(rule.allows(.storeGet, on: .store("ab")))
        #expect(rule.allows(.storeGet, on: .key(store: "ab", key: "other")))
        #expect(!rule.allows(.storeGet, on: .store("abc")))
        #expect(rule.allows(.storeGet, on: .someStore))
        #expect(!rule.allows(.storeInfo, on: .someStore))
    }

    @Test("tokens built in code: duplicate names and secrets are refused")
    func programmatic() throws {
        let rule = AccessPolicy.Rule(actions: [.keyGet], stores: [try GlobPattern("*")])
        let policy = try AccessPolicy(tokens: [
            AccessPolicy.Token(name: "a", secret: "one", rules: [rule]),
            try AccessPolicy.Token(
                name: "b", sha256Hex: "ef80202ea99d7c668a9677d9242456057ac10488311cb8757674490e194a56e1",
                rules: [rule]),
        ])
        #expect(policy.decide(bearer: "writer-secret", action: .keyGet, on: .key(store: "s", key: "k")) == .allow)
        #expect(policy.decide(bearer: "one", action: .keySet, on: .key(store: "s", key: "k")) == .deny)
        #expect(throws: AccessPolicyError.self) {
            _ = try AccessPolicy(tokens: [
                AccessPolicy.Token(name: "a", secret: "one", rules: [rule]),
                AccessPolicy.Token(name: "b", secret: "one", rules: [rule]),
            ])
        }
        #expect(throws: AccessPolicyError.self) {
            _ = try AccessPolicy.Token(name: "c", sha256Hex: "xyz", rules: [rule])
        }
    }
}
