@preconcurrency public import Crypto
import Foundation

/// The cluster keys a peer seals and opens datagrams with: a primary key that seals, and older
/// (or newer) keys that still open, so a key can be rotated without a flag day.
///
/// Rotation: add the new key as another key on every peer, then make it primary everywhere,
/// then remove the old key. Each key is identified on the wire by its key id (the first four
/// bytes of its SHA-256 digest), which ``description`` lists.
public struct ClusterKeyring: Sendable, CustomStringConvertible {
    /// Why a key file was refused, with the 1-based line it concerns. Messages never include
    /// key material.
    public struct KeyFileError: Error, Sendable, Hashable, CustomStringConvertible {
        private enum Code: String, Sendable, Hashable {
            case invalidBase64
            case wrongKeyLength
            case noKeys
        }

        private let code: Code
        /// The 1-based line the error concerns, or nil if it concerns the whole file.
        public let line: Int?
        /// What is wrong and how to fix it.
        public let message: String

        private init(_ code: Code, line: Int?, _ message: String) {
            self.code = code
            self.line = line
            self.message = message
        }

        /// A line is not base64.
        public static func invalidBase64(line: Int) -> Self {
            Self(.invalidBase64, line: line, "line \(line) is not a base64 key")
        }

        /// A line decodes to a key that is not 32 bytes.
        public static func wrongKeyLength(line: Int, bytes: Int) -> Self {
            Self(.wrongKeyLength, line: line, "line \(line) holds a \(bytes)-byte key; keys are 32 bytes (256 bits)")
        }

        /// The file has no key line.
        public static let noKeys = Self(.noKeys, line: nil, "the key file holds no key")

        /// The kind of error, such as `invalidBase64`, for comparisons and metrics labels.
        public var reason: String { code.rawValue }

        /// `key file: ` and the message.
        public var description: String { "key file: \(message)" }
    }

    /// The key that seals.
    package let primary: SymmetricKey
    /// The wire id of ``primary``.
    package let primaryKeyID: UInt32
    /// Every key that opens, by wire id (the primary included).
    private let keysByID: [UInt32: SymmetricKey]
    /// The wire ids of every key in the ring, primary first.
    package let keyIDs: [UInt32]

    /// Creates a keyring.
    /// - Parameters:
    ///   - primary: the key that seals; it opens too.
    ///   - others: further keys that only open. A repeated key is kept once.
    /// - Precondition: every key is 256 bits (the ChaCha20-Poly1305 key size).
    public init(primary: SymmetricKey, others: [SymmetricKey] = []) {
        var keysByID: [UInt32: SymmetricKey] = [:]
        var keyIDs: [UInt32] = []
        for key in [primary] + others {
            precondition(key.bitCount == 256, "cluster keys are 256 bits, got \(key.bitCount)")
            let id = Self.keyID(of: key)
            if keysByID[id] == nil {
                keysByID[id] = key
                keyIDs.append(id)
            }
        }
        self.primary = primary
        self.primaryKeyID = Self.keyID(of: primary)
        self.keysByID = keysByID
        self.keyIDs = keyIDs
    }

    /// Parses a key file: one base64 256-bit key per line, the first one primary. Blank lines
    /// and text from `#` to the end of a line are ignored; surrounding whitespace is trimmed.
    /// - Parameter keyFileContents: the file's text.
    /// - Throws: ``KeyFileError`` naming the first bad line (`invalidBase64`, `wrongKeyLength`),
    ///   or `noKeys` if no line holds a key.
    public init(keyFileContents: String) throws(KeyFileError) {
        var keys: [SymmetricKey] = []
        let lines = keyFileContents.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (offset, rawLine) in lines.enumerated() {
            let line = offset + 1
            let text = rawLine.prefix { $0 != "#" }.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { continue }
            guard let bytes = Data(base64Encoded: text) else { throw .invalidBase64(line: line) }
            guard bytes.count == 32 else { throw .wrongKeyLength(line: line, bytes: bytes.count) }
            keys.append(SymmetricKey(data: bytes))
        }
        guard let primary = keys.first else { throw .noKeys }
        self.init(primary: primary, others: Array(keys.dropFirst()))
    }

    /// The text of a new key file holding one random 256-bit key, as `starling keygen` writes it.
    /// - Parameter comment: a note for the file's first line (after `# Starling cluster key, `).
    /// - Returns: the file's text; ``init(keyFileContents:)`` reads it.
    public static func newKeyFileContents(comment: String = "keep it secret") -> String {
        let key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
        return "# Starling cluster key, \(comment). Keep it secret.\n\(key)\n"
    }

    /// The key ids, primary first, never the keys: safe to log.
    public var description: String {
        "ClusterKeyring(" + keyIDs.map(Self.hex).joined(separator: ", ") + ")"
    }

    /// A key id as eight lowercase hex digits.
    static func hex(_ id: UInt32) -> String {
        let digits = String(id, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// The key with wire id `id`, if the ring holds it.
    func key(id: UInt32) -> SymmetricKey? { keysByID[id] }

    /// The wire id of a key: the first four bytes of its SHA-256 digest, big-endian. It lets a
    /// receiver pick the right key at once; it reveals nothing useful about the key.
    /// - Parameter key: the key.
    /// - Returns: the id.
    package static func keyID(of key: SymmetricKey) -> UInt32 {
        let digest = key.withUnsafeBytes { SHA256.hash(data: $0) }
        return digest.withUnsafeBytes { raw in raw.prefix(4).reduce(0) { $0 << 8 | UInt32($1) } }
    }
}
