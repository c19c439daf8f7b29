import StarlingCore

/// The keys and values both sides of the benchmark use, generated once.
///
/// Keys are `key:` followed by a zero-padded index (`key:000000` ... `key:999999` for a
/// million keys), so bytewise order is index order and a key's first digits name a block of
/// exactly 100 consecutive keys: `list` starts at a random block through its prefix. Every key
/// is at most 15 UTF-8 bytes, which Swift stores inline, so the array costs no allocation per key.
/// Counters are `ctr:000` ... and sort before every `key:`.
struct BenchKeyspace: Sendable {
    /// The keys loaded before measuring, in key order.
    let keys: [String]
    /// The counter keys `incr` uses.
    let counters: [String]
    /// The value every write stores: a JSON string whose canonical encoding is `valueBytes` long.
    let value: JSONValue
    /// The canonical encoding of ``value``: what the raw baseline stores.
    let encodedValue: [UInt8]
    /// Digits after `key:`.
    let width: Int

    /// Builds `count` keys (at least 1,000, so there are whole blocks of 100) and `counterCount`
    /// counters, and a value of `valueBytes` encoded bytes (at least 2: the quotes).
    init(count: Int, counterCount: Int, valueBytes: Int) {
        let width = max(4, String(max(count - 1, 0)).count)
        self.width = width
        keys = (0..<count).map { Self.name("key:", $0, width: width) }
        let counterWidth = max(3, String(max(counterCount - 1, 0)).count)
        counters = (0..<counterCount).map { Self.name("ctr:", $0, width: counterWidth) }
        value = .string(String(repeating: "x", count: max(0, valueBytes - 2)))
        encodedValue = EncodedValue(value).bytes
    }

    /// How many whole blocks of 100 consecutive keys there are.
    var blockCount: Int { keys.count / 100 }

    /// The prefix shared by exactly the 100 keys of `block` (`key:1234` for keys 123400-123499).
    func blockPrefix(_ block: Int) -> String {
        Self.name("key:", block, width: width - 2)
    }

    /// A uniformly random loaded key.
    func randomKey(_ random: inout BenchRandom) -> String {
        keys[random.next(below: keys.count)]
    }

    private static func name(_ prefix: String, _ index: Int, width: Int) -> String {
        let digits = String(index)
        return prefix + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
