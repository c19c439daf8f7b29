/// Who may do what through the HTTP API (APIContract.md, "Access control"): a set of bearer tokens,
/// each with rules that allow actions on store ids and keys matching glob patterns.
///
/// A request is allowed when its token has at least one rule that lists the action and whose
/// store and key globs match; there are no deny rules, so order does not matter. Tokens are
/// held only as SHA-256 digests and a presented token is found by comparing digests in
/// constant time.
///
/// Read a policy from TOML with ``init(tomlText:)`` or ``init(contentsOf:)``; the format is
/// described there.
public struct AccessPolicy: Sendable {
    /// The outcome of checking a request against the policy.
    public enum Decision: Sendable, Hashable {
        /// The token allows the request.
        case allow
        /// The token is valid but does not allow the action on that resource: 403 `PERMISSION_DENIED`.
        case deny
        /// No token, or one the policy does not know: 401 `UNAUTHENTICATED`.
        case unauthenticated
    }

    /// The tokens, in the order they were given.
    public let tokens: [Token]

    /// Creates a policy of `tokens`.
    /// - Parameter tokens: the tokens; names and secrets must be unique.
    /// - Throws: ``AccessPolicyError`` naming the tokens if two share a name or a secret.
    public init(tokens: [Token]) throws(AccessPolicyError) {
        for (index, token) in tokens.enumerated() {
            for earlier in tokens[..<index] {
                if earlier.name == token.name {
                    throw AccessPolicyError(
                        "token \(index + 1): the name \"\(token.name)\" is already used by an earlier token")
                }
                if earlier.digest == token.digest {
                    throw AccessPolicyError(
                        "token \(index + 1) (\"\(token.name)\"): same secret as token \"\(earlier.name)\"; "
                            + "every token needs its own")
                }
            }
        }
        self.tokens = tokens
    }

    /// The token whose secret is `bearer`, or nil. Every token's digest is compared in
    /// constant time, so the time taken does not tell how much of a guess was right.
    /// - Parameter bearer: the token a request presented, or nil if it presented none.
    /// - Returns: the matching token, or nil.
    public func token(for bearer: String?) -> Token? {
        guard let bearer else { return nil }
        let presented = Self.digest(of: bearer)
        var found: Token?
        for token in tokens where Self.constantTimeEqual(token.digest, presented) {
            found = token
        }
        return found
    }

    /// Decides a request: whether `bearer` is a known token and whether it allows `action` on
    /// `resource`. Pure: no I/O, no clock.
    /// - Parameters:
    ///   - bearer: the token the request presented, or nil if it presented none.
    ///   - action: what the request does.
    ///   - resource: what it does it to.
    /// - Returns: ``Decision/allow``, ``Decision/deny`` or ``Decision/unauthenticated``.
    public func decide(bearer: String?, action: Action, on resource: Resource) -> Decision {
        guard let token = token(for: bearer) else { return .unauthenticated }
        return token.allows(action, on: resource) ? .allow : .deny
    }

}

/// Why a policy was refused: the token entry, rule and field concerned and what is wrong.
/// Messages never include a token's secret.
public struct AccessPolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, where, and how to fix it.
    public let message: String

    /// Creates an error with `message`.
    public init(_ message: String) {
        self.message = message
    }

    /// `access policy: ` and the message.
    public var description: String { "access policy: \(message)" }
}
