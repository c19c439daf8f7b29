import ArgumentParser
import StarlingCore
import StarlingTestKit
import Testing

@testable import StarlingCLI

/// VALUE is JSON when it parses as JSON, else the string itself; `mset` pairs split at the first `=`.
@Suite(.showsLogsOnFailure) struct ValueArgumentTests {
    @Test(arguments: [
        ("42", JSONValue.integer(42)), ("-7", .integer(-7)), ("1.5", .number(1.5)), ("true", .bool(true)),
        ("null", .null), ("\"42\"", .string("42")), ("[1,\"a\"]", .array([1, .string("a")])),
        ("{\"a\":{\"b\":[]}}", .object(["a": .object(["b": .array([])])])), (" 3 ", .integer(3)),
        ("hello", .string("hello")), ("hello world", .string("hello world")), ("", .string("")),
        ("{not json", .string("{not json")), ("tru", .string("tru")), ("01", .string("01")),
        ("NaN", .string("NaN")), ("\"unterminated", .string("\"unterminated")),
    ])
    func valueIsJSONElseAString(_ text: String, _ expected: JSONValue) {
        #expect(ValueArgument.value(text) == expected)
    }

    @Test func pairsSplitAtTheFirstEquals() throws {
        #expect(try ValueArgument.pair("a=1") == ("a", .integer(1)))
        #expect(try ValueArgument.pair("a=b=c") == ("a", .string("b=c")))
        #expect(try ValueArgument.pair("a=") == ("a", .string("")))
        #expect(try ValueArgument.pair("u:1={\"n\":1}") == ("u:1", .object(["n": 1])))
        #expect(try ValueArgument.entries(["a=1", "b=2", "a=3"]) == ["a": 3, "b": 2])
    }

    @Test func aPairWithoutKeyOrEqualsIsRefusedNamingIt() {
        #expect(throws: ValidationError.self) { try ValueArgument.pair("novalue") }
        #expect(throws: ValidationError.self) { try ValueArgument.pair("=1") }
        do {
            _ = try ValueArgument.pair("novalue")
        } catch {
            #expect("\(error)".contains("novalue"))
        }
    }
}
