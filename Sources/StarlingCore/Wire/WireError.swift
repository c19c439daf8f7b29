/// Why a datagram could not be decoded: a ``reason`` from a small fixed set (usable as a metrics
/// label) and a message a person can act on. A peer drops the datagram and counts the reason.
public struct WireError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of decoding failure. New reasons may be added, so switch with a `default`.
    public struct Reason: Sendable, Hashable, CustomStringConvertible {
        private enum Code: String, Sendable, Hashable {
            case badMagic
            case unsupportedVersion
            case truncated
            case unknownMessageType
            case invalidUTF8
            case limitExceeded
            case trailingBytes
            case malformed
            case hostName
        }

        private let code: Code

        private init(_ code: Code) {
            self.code = code
        }

        /// The datagram does not start with ``WireFormat/magic``: not Starling traffic.
        public static let badMagic = Reason(.badMagic)
        /// The datagram's format version is not ``WireFormat/version``.
        public static let unsupportedVersion = Reason(.unsupportedVersion)
        /// The datagram ends before a field it announces.
        public static let truncated = Reason(.truncated)
        /// The message type byte names no known message.
        public static let unknownMessageType = Reason(.unknownMessageType)
        /// A string field is not valid UTF-8.
        public static let invalidUTF8 = Reason(.invalidUTF8)
        /// A length field exceeds a format limit (a value over ``WireFormat/maxValueBytes``).
        public static let limitExceeded = Reason(.limitExceeded)
        /// Bytes follow the end of the message.
        public static let trailingBytes = Reason(.trailingBytes)
        /// A field holds a value the format does not allow (a flag other than 0 or 1, an
        /// unknown member status, unordered counter slots, a fragment index past its count).
        public static let malformed = Reason(.malformed)

        /// An address field holds a host name instead of a numeric IP address. Peers learn
        /// addresses only as numbers, so nothing received can make a peer resolve a name.
        public static let hostName = Reason(.hostName)

        /// The metrics label of the reason, such as `truncated`.
        public var label: String { code.rawValue }

        /// The label.
        public var description: String { label }
    }

    /// What kind of failure it is.
    public var reason: Reason
    /// What was wrong, for logs.
    public var message: String

    /// Creates an error.
    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    /// `reason: message`.
    public var description: String { "\(reason.label): \(message)" }
}
