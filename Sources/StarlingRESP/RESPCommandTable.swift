/// What `COMMAND` reports of each command: name, arity (negative: at least), flags and key
/// positions, in the shape Redis 7 clients read.
struct RESPCommandTable: Sendable {
    let name: String
    let arity: Int
    let flags: [String]
    let firstKey: Int
    let lastKey: Int
    let step: Int

    /// The entry Redis 7 writes: the six classic fields, then ACL categories, tips, key
    /// specifications and subcommands (empty here), which RESP3 clients read.
    var reply: RESPReply {
        .array([
            .bulk(name), .integer(Int64(arity)), .array(flags.map { .simple($0) }), .integer(Int64(firstKey)),
            .integer(Int64(lastKey)), .integer(Int64(step)), .array([]), .array([]), .array([]), .array([]),
        ])
    }

    /// The keys of `arguments` (the command's name first), by the entry's key positions.
    func keys<Element>(of arguments: [Element]) -> [Element] {
        guard firstKey > 0, firstKey < arguments.count else { return [] }
        let last = lastKey < 0 ? arguments.count + lastKey : min(lastKey, arguments.count - 1)
        return Array(stride(from: firstKey, through: last, by: max(step, 1)).map { arguments[$0] })
    }

    private init(
        _ name: String, _ arity: Int, _ flags: [String], _ firstKey: Int = 0, _ lastKey: Int = 0, _ step: Int = 0
    ) {
        self.name = name
        self.arity = arity
        self.flags = flags
        self.firstKey = firstKey
        self.lastKey = lastKey
        self.step = step
    }

    /// Every command Starling serves.
    static let all: [RESPCommandTable] = [
        .init("get", 2, ["readonly", "fast"], 1, 1, 1),
        .init("set", -3, ["write", "denyoom"], 1, 1, 1),
        .init("setex", 4, ["write", "denyoom"], 1, 1, 1),
        .init("psetex", 4, ["write", "denyoom"], 1, 1, 1),
        .init("type", 2, ["readonly", "fast"], 1, 1, 1),
        .init("mget", -2, ["readonly", "fast"], 1, -1, 1),
        .init("mset", -3, ["write", "denyoom"], 1, -1, 2),
        .init("del", -2, ["write"], 1, -1, 1),
        .init("unlink", -2, ["write", "fast"], 1, -1, 1),
        .init("exists", -2, ["readonly", "fast"], 1, -1, 1),
        .init("incr", 2, ["write", "denyoom", "fast"], 1, 1, 1),
        .init("decr", 2, ["write", "denyoom", "fast"], 1, 1, 1),
        .init("incrby", 3, ["write", "denyoom", "fast"], 1, 1, 1),
        .init("decrby", 3, ["write", "denyoom", "fast"], 1, 1, 1),
        .init("expire", -3, ["write", "fast"], 1, 1, 1),
        .init("pexpire", -3, ["write", "fast"], 1, 1, 1),
        .init("expireat", -3, ["write", "fast"], 1, 1, 1),
        .init("pexpireat", -3, ["write", "fast"], 1, 1, 1),
        .init("persist", 2, ["write", "fast"], 1, 1, 1),
        .init("ttl", 2, ["readonly", "fast"], 1, 1, 1),
        .init("pttl", 2, ["readonly", "fast"], 1, 1, 1),
        .init("keys", 2, ["readonly"]),
        .init("scan", -2, ["readonly"]),
        .init("dbsize", 1, ["readonly", "fast"]),
        .init("flushdb", -1, ["write"]),
        .init("select", 2, ["loading", "stale", "fast"]),
        .init("ping", -1, ["fast"]),
        .init("echo", 2, ["fast"]),
        .init("auth", -2, ["noscript", "loading", "stale", "fast"]),
        .init("hello", -1, ["noscript", "loading", "stale", "fast"]),
        .init("client", -2, ["admin", "noscript", "loading", "stale"]),
        .init("command", -1, ["loading", "stale"]),
        .init("info", -1, ["loading", "stale"]),
        .init("config", -2, ["admin", "noscript", "loading", "stale"]),
        .init("quit", -1, ["noscript", "loading", "stale", "fast"]),
    ]
}
