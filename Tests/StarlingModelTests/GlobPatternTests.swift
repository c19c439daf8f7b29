import StarlingModel
import Testing

/// Whether `pattern` compiles and matches `key`.
private func glob(_ pattern: String, _ key: String) throws -> Bool {
    try GlobPattern(pattern).matches(key)
}

@Suite struct GlobPatternTests {
    @Test(arguments: [
        ("*", "", true), ("*", "anything", true), ("user:*", "user:", true), ("user:*", "user:42", true),
        ("user:*", "users:42", false), ("*:42", "user:42", true), ("a*b*c", "a-b-c", true), ("a*b*c", "a-c-b", false),
        ("**", "x", true), ("", "", true), ("", "a", false), ("abc", "abc", true), ("abc", "abcd", false),
        ("abc", "ab", false),
    ])
    func starMatchesAnyRun(pattern: String, key: String, expected: Bool) throws {
        #expect(try glob(pattern, key) == expected)
    }

    @Test(arguments: [
        ("?", "a", true), ("?", "", false), ("?", "ab", false), ("h?llo", "hello", true), ("h?llo", "hllo", false),
        ("??", "ab", true), ("*?", "", false), ("*?", "a", true),
    ])
    func questionMarkMatchesOneCharacter(pattern: String, key: String, expected: Bool) throws {
        #expect(try glob(pattern, key) == expected)
    }

    @Test(arguments: [
        ("h[ae]llo", "hello", true), ("h[ae]llo", "hallo", true), ("h[ae]llo", "hillo", false),
        ("[a-c]x", "bx", true), ("[a-c]x", "dx", false), ("[c-a]x", "bx", true), ("[0-9a-f]", "e", true),
        ("[0-9a-f]", "g", false), ("[-a]", "-", true), ("[a-]", "-", true), ("[a-]", "b", false),
        ("[!a]", "b", true), ("[!a]", "a", false), ("[^a-c]", "d", true), ("[^a-c]", "b", false),
        ("[!a]", "", false), ("[a^]", "^", true), ("[a!]", "!", true), ("[*?]", "*", true), ("[*?]", "x", false),
    ])
    func bracketsMatchSetsAndRanges(pattern: String, key: String, expected: Bool) throws {
        #expect(try glob(pattern, key) == expected)
    }

    @Test(arguments: [
        (#"a\*b"#, "a*b", true), (#"a\*b"#, "axb", false), (#"\?"#, "?", true), (#"\?"#, "x", false),
        (#"\[x]"#, "[x]", true), (#"\\"#, #"\"#, true), (#"\a"#, "a", true), (#"[\]]"#, "]", true),
        (#"[\^a]"#, "^", true), (#"[\!]"#, "!", true), (#"[a\-z]"#, "-", true), (#"[a\-z]"#, "b", false),
        (#"[\a-\c]"#, "b", true),
    ])
    func backslashEscapes(pattern: String, key: String, expected: Bool) throws {
        #expect(try glob(pattern, key) == expected)
    }

    @Test func matchesUnicodeScalars() throws {
        #expect(try glob("caf?", "café"))
        #expect(try glob("?", "😀"))
        #expect(try glob("??", "é😀"))
        #expect(try !glob("?", "e\u{301}"))  // two scalars
        #expect(try glob("??", "e\u{301}"))
        #expect(try glob("[é]", "é"))
        #expect(try glob("[à-ÿ]", "é"))
        #expect(try !glob("[à-ÿ]", "e"))
        #expect(try glob("[!é]x", "😀x"))
        #expect(try glob("*ß*", "straße"))
        #expect(try glob("ключ:*", "ключ:1"))
        #expect(try !glob("é", "e\u{301}"))  // no normalization
        // A star gives back whole scalars, never the continuation bytes inside one:
        // "é" is C3 A9 in UTF-8 and "©" is U+00A9.
        #expect(try !glob("*[©]", "é"))
        #expect(try !glob("*[!é]", "é"))
    }

    @Test func literalPrefixIsTheLeadingLiteralText() throws {
        #expect(try GlobPattern("user:*").literalPrefix == "user:")
        #expect(try GlobPattern("user:?x").literalPrefix == "user:")
        #expect(try GlobPattern("user:[ab]").literalPrefix == "user:")
        #expect(try GlobPattern("exact").literalPrefix == "exact")
        #expect(try GlobPattern(#"a\*b*"#).literalPrefix == "a*b")
        #expect(try GlobPattern("ключ:*").literalPrefix == "ключ:")
        #expect(try GlobPattern("*x").literalPrefix == "")
        #expect(try GlobPattern("").literalPrefix == "")
    }

    @Test func matchesEverythingOnlyForStars() throws {
        #expect(try GlobPattern("*").matchesEverything)
        #expect(try GlobPattern("***").matchesEverything)
        #expect(try !GlobPattern("*?").matchesEverything)
        #expect(try !GlobPattern("").matchesEverything)
        #expect(try !GlobPattern("a*").matchesEverything)
    }

    @Test(arguments: ["[abc", "a[", "[!", "[a-", #"[\]"#, #"a\"#, #"\"#, "[]", "[!]", "[^]"])
    func rejectsMalformedPatterns(pattern: String) {
        #expect(throws: GlobError.self) { try GlobPattern(pattern) }
    }

    @Test func errorsExplainTheFix() {
        let unterminated = #expect(throws: GlobError.self) { try GlobPattern("ab[cd") }
        #expect(unterminated?.message == "'[' at position 2 has no closing ']'")
        let trailing = #expect(throws: GlobError.self) { try GlobPattern(#"ab\"#) }
        #expect(trailing?.description.contains(#"write '\\'"#) == true)
    }

    @Test func patternsCompareByText() throws {
        #expect(try GlobPattern("a*") == GlobPattern("a*"))
        #expect(try GlobPattern("a*") != GlobPattern("a?"))
        #expect(try GlobPattern("a*").pattern == "a*")
    }

    /// Guards against exponential backtracking: a naive recursive matcher takes about 2^n steps here.
    @Test func pathologicalPatternsFinish() throws {
        let key = String(repeating: "a", count: 5_000)
        let stars = String(repeating: "*a", count: 50)
        #expect(try !glob(stars + "*b", key))
        #expect(try glob(stars + "*", key))
        #expect(try !glob("*a*a*a*a*a*a*a*a*a*a*b", String(repeating: "a", count: 100_000)))
        #expect(try !glob(String(repeating: "?*", count: 40) + "b", key))
        #expect(try glob("*[!b]*[!b]*[!b]", key))
    }
}
