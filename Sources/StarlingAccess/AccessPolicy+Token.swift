import Crypto

extension AccessPolicy {
    /// One bearer token: a name for logs and messages (never the secret), the SHA-256 digest
    /// of the secret, and its rules.
    public struct Token: Sendable {
        /// The name shown in logs and error messages; never the secret.
        public let name: String
        /// The rules; the token allows what any of them allows.
        public let rules: [Rule]
        /// SHA-256 of the token's secret.
        let digest: [UInt8]

        /// Creates a token from its plain secret, which is kept only as its SHA-256 digest.
        /// - Parameters:
        ///   - name: the name shown in logs.
        ///   - secret: the bearer token clients send.
        ///   - rules: what the token allows.
        public init(name: String, secret: String, rules: [Rule]) {
            self.init(name: name, digest: AccessPolicy.digest(of: secret), rules: rules)
        }

        /// Creates a token from the hex SHA-256 digest of its secret.
        /// - Parameters:
        ///   - name: the name shown in logs.
        ///   - sha256Hex: 64 hex digits, the SHA-256 of the bearer token clients send.
        ///   - rules: what the token allows.
        /// - Throws: ``AccessPolicyError`` if `sha256Hex` is not 64 hex digits.
        public init(name: String, sha256Hex: String, rules: [Rule]) throws(AccessPolicyError) {
            guard let digest = AccessPolicy.bytes(ofHex: sha256Hex), digest.count == SHA256.byteCount else {
                throw AccessPolicyError("token \"\(name)\": sha256 must be 64 hex digits (the SHA-256 of the token)")
            }
            self.init(name: name, digest: digest, rules: rules)
        }

        init(name: String, digest: [UInt8], rules: [Rule]) {
            self.name = name
            self.digest = digest
            self.rules = rules
        }

        /// Whether any rule of the token allows `action` on `resource`.
        /// - Parameters:
        ///   - action: what the request does.
        ///   - resource: what it does it to.
        /// - Returns: true if allowed.
        public func allows(_ action: Action, on resource: Resource) -> Bool {
            rules.contains { $0.allows(action, on: resource) }
        }
    }

    // MARK: Digests

    /// SHA-256 of the UTF-8 of `secret`.
    static func digest(of secret: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(secret.utf8)))
    }

    /// Whether two byte arrays are equal, in time that depends only on their lengths.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices {
            difference |= lhs[index] ^ rhs[index]
        }
        return difference == 0
    }

    /// The bytes of an even-length hex string (either case), or nil.
    static func bytes(ofHex hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
