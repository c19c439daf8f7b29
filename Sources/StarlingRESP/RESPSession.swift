import NIOCore
import Starling
import StarlingAccess
import StarlingCore

/// One client connection's state and its commands: the protocol version, the token it
/// authenticated with, the database it selected, its name and its `SCAN` cursors.
///
/// Commands run one at a time in arrival order, so replies keep the order of a pipeline.
/// Values are strings, as in Redis: `SET k v` stores the JSON string `"v"`, `GET` of a value
/// that is not a JSON string (written over HTTP) returns its JSON text.
struct RESPSession {
    let shared: RESPShared
    /// The client's id (`CLIENT ID`), unique in the process.
    let id: Int64
    /// 2, or 3 after `HELLO 3`.
    var version = 2
    /// The token the client authenticated with, when there is a policy.
    var token: AccessPolicy.Token?
    /// The selected database's index into ``RESPSettings/databases``.
    var database = 0
    /// `CLIENT SETNAME`.
    var clientName: String?
    var cursors = ScanCursors()
    /// Set by a (refused) `MULTI`: the commands a client queues after it are refused too, so
    /// nothing of a transaction runs, until `EXEC` or `DISCARD` ends it.
    var inRefusedTransaction = false
    /// A handle on each database's store, by index (nil only for a store the node cannot open,
    /// whose commands then fail with the node's error).
    private let stores: [Store?]

    /// Opened when the client authenticates.
    let gate: RESPAuthGate

    init(shared: RESPShared, id: Int64, gate: RESPAuthGate? = nil) {
        self.shared = shared
        self.id = id
        self.gate = gate ?? RESPAuthGate(open: shared.settings.policy == nil)
        stores = shared.settings.databases.map { try? shared.node.store($0) }
    }

    /// What to do after a command's reply.
    enum After {
        case goOn
        case close
    }

    /// Runs `command` and returns its reply.
    mutating func execute(_ command: RESPCommand) async -> (RESPReply, After) {
        let name = command.name
        do throws(RESPFailure) {
            if name == "QUIT" { return (.ok, .close) }
            if shared.settings.policy != nil, token == nil, !Self.openCommands.contains(name) {
                throw .noAuth
            }
            if inRefusedTransaction {
                if name == "DISCARD" {
                    inRefusedTransaction = false
                    return (.ok, .goOn)
                }
                if name == "EXEC" {
                    inRefusedTransaction = false
                    throw RESPFailure("EXECABORT Transaction discarded: \(RESPFailure.conditional("MULTI").message)")
                }
                throw RESPFailure.conditional("a command inside MULTI")
            }
            if name == "MULTI" {
                inRefusedTransaction = true
                throw RESPFailure.conditional("MULTI")
            }
            return (try await run(name, command.arguments), .goOn)
        } catch {
            return (.error(error.message), .goOn)
        }
    }

    /// Answers a pipeline's commands in order into `replies`. A run of plain `GET`s is read as
    /// one `mget` (``getRun(_:)``); if it cannot be, each of its commands is run on its own.
    /// - Returns: ``After/close`` after a `QUIT`, whose reply is the last written.
    mutating func answer(_ batch: [RESPCommand], into replies: inout RESPReplyWriter) async throws -> After {
        var index = batch.startIndex
        while index < batch.endIndex {
            let end = batch[index...].firstIndex { !Self.isPlainGet($0) } ?? batch.endIndex
            if end - index > 1 {
                let run = getRun(batch[index..<end])
                for (offset, command) in batch[index..<end].enumerated() {
                    let reply = if let run { run[offset] } else { await execute(command).0 }
                    try await replies.append(reply, version: version)
                }
                index = end
                continue
            }
            let (reply, after) = await execute(batch[index])
            try await replies.append(reply, version: version)
            if after == .close { return .close }
            index += 1
        }
        return .goOn
    }

    /// The replies of consecutive plain `GET`s of a pipeline, read as one `mget`: one snapshot and
    /// one read transaction instead of one per key. Nil when the run must go command by command
    /// (a refused key, a transaction being refused, no authentication yet): then each gets its
    /// own reply, as ``execute(_:)`` gives it.
    mutating func getRun(_ commands: ArraySlice<RESPCommand>) -> [RESPReply]? {
        guard commands.count > 1, !inRefusedTransaction, shared.settings.policy == nil || token != nil else {
            return nil
        }
        var keys: [String] = []
        keys.reserveCapacity(commands.count)
        for command in commands {
            guard let key = try? key(command.arguments[1], .keyGet) else { return nil }
            keys.append(key)
        }
        guard let store = try? store(), let values = try? store.mget(keys) else { return nil }
        return values.map(reply(of:))
    }

    /// Whether `command` is a plain `GET key`, which ``getRun(_:)`` can answer with others.
    static func isPlainGet(_ command: RESPCommand) -> Bool {
        command.arguments.count == 2 && command.name == "GET"
    }

    /// Commands a client may send before it authenticates.
    static let openCommands: Set<String> = ["PING", "HELLO", "AUTH", "QUIT"]

    /// Commands that would need a linearizable store.
    static let conditionalCommands: Set<String> = [
        "SETNX", "GETSET", "GETDEL", "GETEX", "MSETNX", "SETRANGE", "APPEND", "WATCH", "UNWATCH", "MULTI", "EXEC",
        "DISCARD", "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO", "SCRIPT", "FUNCTION",
        "INCRBYFLOAT", "RENAME", "RENAMENX", "COPY", "MOVE", "LMOVE", "SMOVE",
    ]

    private mutating func run(_ name: String, _ args: [ByteBuffer]) async throws(RESPFailure) -> RESPReply {
        switch name {
        case "GET":
            try arity(args, 2)
            let key = try key(args[1], .keyGet)
            let store = try store()
            return reply(of: try translate { () throws(StoreError) in try store.get(key) })
        case "SET": return try await set(args)
        case "SETEX", "PSETEX":
            // SETEX k seconds v, PSETEX k milliseconds v: SET k v EX|PX n.
            try arity(args, 4)
            return try await set([
                args[0], args[1], args[3], ByteBuffer(string: name == "SETEX" ? "EX" : "PX"), args[2],
            ])
        case "TYPE":
            try arity(args, 2)
            let key = try key(args[1], .keyHas)
            let store = try store()
            return .simple(try translate { () throws(StoreError) in try store.has(key) } ? "string" : "none")
        case "MGET":
            try arity(args, 2...)
            let keys = try self.keys(args.dropFirst(), .keyGet)
            let store = try store()
            return .array(try translate { () throws(StoreError) in try store.mget(keys) }.map(reply(of:)))
        case "MSET":
            guard args.count >= 3, args.count % 2 == 1 else { throw .arity(name) }
            var entries: [String: JSONValue] = [:]
            var index = 1
            while index < args.count {
                entries[try key(args[index], .keySet)] = .string(try text(args[index + 1], "value"))
                index += 2
            }
            let store = try store()
            _ = try await translateAsync { () async throws(StoreError) in try await store.mset(entries) }
            return .ok
        case "DEL", "UNLINK":
            try arity(args, 2...)
            let keys = try self.keys(args.dropFirst(), .keyDelete)
            let store = try store()
            return .integer(
                Int64(try await translateAsync { () async throws(StoreError) in try await store.delete(keys) }))
        case "EXISTS":
            try arity(args, 2...)
            let keys = try self.keys(args.dropFirst(), .keyHas)
            let store = try store()
            var count: Int64 = 0
            for key in keys where try translate({ () throws(StoreError) in try store.has(key) }) { count += 1 }
            return .integer(count)
        case "INCR", "DECR":
            try arity(args, 2)
            return try await increment(args[1], by: name == "INCR" ? 1 : -1)
        case "INCRBY", "DECRBY":
            try arity(args, 3)
            let amount = try integer(args[2])
            if name == "DECRBY", amount == .min { throw .notInteger }
            return try await increment(args[1], by: name == "INCRBY" ? amount : -amount)
        case "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT":
            return try await expire(name, args)
        case "PERSIST":
            try arity(args, 2)
            let key = try key(args[1], .keySet)
            let store = try store()
            return .integer(
                try await translateAsync { () async throws(StoreError) in try await store.persist(key) } ? 1 : 0)
        case "TTL", "PTTL":
            try arity(args, 2)
            let key = try key(args[1], .keyList)
            let store = try store()
            let millis = try translate { () throws(StoreError) in try store.ttlMillis(key) }
            if millis < 0 || name == "PTTL" { return .integer(millis) }
            // Rounded as Redis rounds, without overflowing for an expiry far ahead.
            return .integer(millis / 1000 + (millis % 1000 >= 500 ? 1 : 0))
        case "KEYS":
            try arity(args, 2)
            return try keysMatching(try text(args[1], "pattern"))
        case "SCAN": return try scan(args)
        case "DBSIZE":
            try arity(args, 1)
            try allow(.storeInfo, .store(storeID))
            let store = try store()
            return .integer(Int64(try translate { () throws(StoreError) in try store.stats().activeKeys }))
        case "FLUSHDB":
            try arity(args, 1...2)
            let store = try store()
            try allow(.keyDelete, .everyKey(store: store.id))
            try await translateAsync { () async throws(StoreError) in _ = try await store.clear() }
            return .ok
        case "SELECT":
            try arity(args, 2)
            let index = try integer(args[1])
            guard index >= 0, index < shared.settings.databases.count else {
                throw RESPFailure("ERR DB index is out of range")
            }
            database = Int(index)
            return .ok
        case "PING":
            try arity(args, 1...2)
            return args.count == 2 ? .bulk(args[1]) : .simple("PONG")
        case "ECHO":
            try arity(args, 2)
            return .bulk(args[1])
        case "AUTH":
            try arity(args, 2...3)
            try authenticate(password: args[args.count - 1], withUser: args.count == 3)
            return .ok
        case "HELLO": return try hello(args)
        case "CLIENT": return try client(args)
        case "COMMAND": return try command(args)
        case "INFO": return try await info(args)
        case "CONFIG":
            // Clients (redis-benchmark) read `save` and `appendonly` at start; Starling has none of
            // Redis's settings, so each name asked for (not a pattern) reads as empty.
            try arity(args, 3...)
            guard text(args[1]).uppercased() == "GET" else { throw RESPFailure("ERR CONFIG is read-only in Starling") }
            let names = args.dropFirst(2).map { text($0) }.filter { !$0.contains { "*?[".contains($0) } }
            return .map(names.map { (.bulk($0), .bulk("")) })
        case "FLUSHALL": throw RESPFailure("ERR FLUSHALL is not supported: use FLUSHDB on each database")
        default:
            if Self.conditionalCommands.contains(name) { throw .conditional(name) }
            let words = args.dropFirst().prefix(20).map { "'\(text($0))'" }.joined(separator: " ")
            throw RESPFailure(
                "ERR unknown command '\(text(args[0]))', with args beginning with: \(words)\(words.isEmpty ? "" : " ")")
        }
    }

    // MARK: Writes

    private func set(_ args: [ByteBuffer]) async throws(RESPFailure) -> RESPReply {
        try arity(args, 3...)
        let key = try key(args[1], .keySet)
        let value = try text(args[2], "value")
        var options = PutOptions()
        var expirySet = false
        var index = 3
        while index < args.count {
            let option = text(args[index]).uppercased()
            switch option {
            case "NX", "XX", "GET": throw .conditional("SET … \(option)")
            case "KEEPTTL":
                guard !expirySet else { throw .syntax }
                options.keepTTL = true
                expirySet = true
            case "EX", "PX", "EXAT", "PXAT":
                guard !expirySet, index + 1 < args.count else { throw .syntax }
                let amount = try integer(args[index + 1])
                guard amount > 0 else { throw .invalidExpireTime("set") }
                let millis = try Self.millis(amount, inSeconds: option.hasPrefix("E"), command: "set")
                if option.hasSuffix("AT") { options.expiresAt = millis } else { options.ttlMillis = millis }
                expirySet = true
                index += 1
            default: throw .syntax
            }
            index += 1
        }
        let store = try store()
        let chosen = options
        _ = try await translateAsync { () async throws(StoreError) in try await store.put(key, .string(value), chosen) }
        return .ok
    }

    private func increment(_ argument: ByteBuffer, by amount: Int64) async throws(RESPFailure) -> RESPReply {
        let key = try key(argument, .keySet)
        let store = try store()
        do {
            return .integer(try await store.incr(key, by: amount))
        } catch {
            if error.kind == .invalid {
                throw RESPFailure(
                    error.message.contains("overflow")
                        ? "ERR increment or decrement would overflow" : "ERR value is not an integer or out of range")
            }
            throw RESPFailure(error)
        }
    }

    /// `EXPIRE`/`PEXPIRE` (relative) and `EXPIREAT`/`PEXPIREAT` (absolute). A time not in the
    /// future deletes the key, as in Redis.
    private func expire(_ name: String, _ args: [ByteBuffer]) async throws(RESPFailure) -> RESPReply {
        try arity(args, 3...4)
        if args.count == 4 { throw .conditional("\(name) … \(text(args[3]).uppercased())") }
        let key = try key(args[1], .keySet)
        let amount = try integer(args[2])
        let store = try store()
        let now = shared.node.wallClock.nowMillis()
        let scaled = try Self.millis(amount, inSeconds: !name.hasPrefix("P"), command: name)
        let (later, past) = now.addingReportingOverflow(scaled)
        // A time so far ahead that it does not fit is refused, never wrapped into the past (which
        // would delete the key): Java clients pass Long.MAX_VALUE to mean "never".
        guard name.hasSuffix("AT") || !past else { throw .invalidExpireTime(name) }
        let instant = name.hasSuffix("AT") ? scaled : later
        if instant <= now {
            try allow(.keyDelete, .key(store: store.id, key: key))
            return .integer(
                try await translateAsync { () async throws(StoreError) in try await store.delete(key) } ? 1 : 0)
        }
        let expired = try await translateAsync { () async throws(StoreError) in
            name.hasSuffix("AT")
                ? try await store.expire(key, atMillis: instant) : try await store.expire(key, ttlMillis: scaled)
        }
        return .integer(expired ? 1 : 0)
    }

    // MARK: Listings

    private func keysMatching(_ pattern: String) throws(RESPFailure) -> RESPReply {
        let store = try store()
        try allow(.keyList, .someKey(store: store.id))
        let keys = try translate { () throws(StoreError) in try store.keys(pattern) }
        return .array(keys.filter { visible($0, store: store.id) }.map { .bulk($0) })
    }

    /// `SCAN cursor [MATCH pattern] [COUNT count] [TYPE string]`: pages in key order. The cursor is
    /// a number this connection maps to where the page ended, so it reveals no key.
    private mutating func scan(_ args: [ByteBuffer]) throws(RESPFailure) -> RESPReply {
        try arity(args, 2...)
        guard let cursor = UInt64(text(args[1])) else { throw RESPFailure("ERR invalid cursor") }
        var pattern = "*"
        var count = 10
        var index = 2
        while index < args.count {
            guard index + 1 < args.count else { throw .syntax }
            switch text(args[index]).uppercased() {
            case "MATCH": pattern = try text(args[index + 1], "pattern")
            case "COUNT":
                let value = try integer(args[index + 1])
                guard value >= 1 else { throw .syntax }
                count = Int(min(value, Int64(shared.node.settings.limits.maxListLimit)))
            case "TYPE":
                // Every Starling value is a string.
                if text(args[index + 1]).lowercased() != "string" { return .array([.bulk("0"), .array([])]) }
            default: throw .syntax
            }
            index += 2
        }
        var after: String?
        if cursor != 0 {
            guard let position = cursors.position(of: cursor) else { throw RESPFailure("ERR invalid cursor") }
            after = position
        }
        let store = try store()
        try allow(.keyList, .someKey(store: store.id))
        let glob: GlobPattern
        do {
            glob = try GlobPattern(pattern)
        } catch {
            throw RESPFailure("ERR bad pattern \"\(pattern)\": \(error)")
        }
        let storeID = store.id
        let page = try translate { () throws(StoreError) in
            try store.list(prefix: glob.literalPrefix, after: after, limit: count) { key in
                visible(key, store: storeID)
            }
        }
        let keys = page.items.map(\.key).filter { glob.matches($0) }
        let next = page.hasMore ? page.cursor.map { cursors.remember($0) } ?? 0 : 0
        return .array([.bulk(String(next)), .array(keys.map { .bulk($0) })])
    }

    // MARK: Connection commands

    private mutating func authenticate(password: ByteBuffer, withUser: Bool) throws(RESPFailure) {
        guard let policy = shared.settings.policy else {
            // Redis's default user without a password takes any password given with a user name.
            if withUser { return }
            throw RESPFailure(
                "ERR AUTH <password> called without any password configured for the default user. "
                    + "Are you sure your configuration is correct?")
        }
        guard let found = policy.token(for: text(password)) else {
            throw RESPFailure("WRONGPASS invalid username-password pair or user is disabled.")
        }
        token = found
        gate.openGate()
    }

    private mutating func hello(_ args: [ByteBuffer]) throws(RESPFailure) -> RESPReply {
        var requested = version
        var index = 1
        if args.count > 1 {
            guard let protocolVersion = Int(text(args[1])) else {
                throw RESPFailure("ERR Protocol version is not an integer or out of range")
            }
            guard protocolVersion == 2 || protocolVersion == 3 else {
                throw RESPFailure("NOPROTO unsupported protocol version")
            }
            requested = protocolVersion
            index = 2
        }
        while index < args.count {
            switch text(args[index]).uppercased() {
            case "AUTH":
                guard index + 2 < args.count else { throw .syntax }
                try authenticate(password: args[index + 2], withUser: true)
                index += 3
            case "SETNAME":
                guard index + 1 < args.count else { throw .syntax }
                clientName = text(args[index + 1])
                index += 2
            default: throw .syntax
            }
        }
        if shared.settings.policy != nil, token == nil { throw .noAuth }
        version = requested
        return .map([
            (.bulk("server"), .bulk("redis")),
            (.bulk("version"), .bulk(RESPShared.redisVersion)),
            (.bulk("proto"), .integer(Int64(version))),
            (.bulk("id"), .integer(id)),
            (.bulk("mode"), .bulk("standalone")),
            (.bulk("role"), .bulk("master")),
            (.bulk("modules"), .array([])),
        ])
    }

    private mutating func client(_ args: [ByteBuffer]) throws(RESPFailure) -> RESPReply {
        try arity(args, 2...)
        switch text(args[1]).uppercased() {
        case "ID": return .integer(id)
        case "SETNAME":
            try arity(args, 3)
            let name = text(args[2])
            guard !name.contains(where: { $0 == " " || $0 == "\n" }) else {
                throw RESPFailure("ERR Client names cannot contain spaces, newlines or special characters.")
            }
            clientName = name.isEmpty ? nil : name
            return .ok
        case "GETNAME": return clientName.map { .bulk($0) } ?? .null
        case "SETINFO": return .ok
        default:
            throw RESPFailure("ERR unknown subcommand '\(text(args[1]))'. Try CLIENT HELP.")
        }
    }

    /// `COMMAND`, `COMMAND COUNT`, `COMMAND INFO …`, `COMMAND GETKEYS …`, `COMMAND LIST` and
    /// `COMMAND DOCS` (empty: no docs), enough for `redis-cli` and client libraries.
    private func command(_ args: [ByteBuffer]) throws(RESPFailure) -> RESPReply {
        func entry(_ name: ByteBuffer) -> RESPCommandTable? {
            RESPCommandTable.all.first { $0.name == text(name).lowercased() }
        }
        guard args.count > 1 else { return .array(RESPCommandTable.all.map(\.reply)) }
        switch text(args[1]).uppercased() {
        case "COUNT": return .integer(Int64(RESPCommandTable.all.count))
        case "DOCS": return .map([])
        case "LIST": return .array(RESPCommandTable.all.map { .bulk($0.name) })
        case "INFO": return .array(args.dropFirst(2).map { entry($0)?.reply ?? .null })
        case "GETKEYS":
            try arity(args, 3...)
            guard let found = entry(args[2]) else { throw RESPFailure("ERR Invalid command specified") }
            let keys = found.keys(of: Array(args.dropFirst(2)))
            guard !keys.isEmpty else { throw RESPFailure("ERR The command has no key arguments") }
            return .array(keys.map { .bulk($0) })
        default:
            throw RESPFailure("ERR unknown subcommand '\(text(args[1]))'. Try COMMAND HELP.")
        }
    }

    private func info(_ args: [ByteBuffer]) async throws(RESPFailure) -> RESPReply {
        let sections = Set(args.dropFirst().map { text($0).lowercased() })
        let all =
            sections.isEmpty || sections.contains("all") || sections.contains("everything")
            || sections.contains("default")
        var lines: [String] = []
        if all || sections.contains("server") { lines += shared.serverSection() }
        if all || sections.contains("clients") {
            lines += ["# Clients", "connected_clients:\(shared.openClients)", ""]
        }
        if all || sections.contains("replication") { lines += await shared.replicationSection() }
        if all || sections.contains("keyspace") { lines += keyspaceSection() }
        return .bulk(lines.joined(separator: "\r\n"))
    }

    private func keyspaceSection() -> [String] {
        var lines = ["# Keyspace"]
        for (index, store) in stores.enumerated() {
            guard let store else { continue }
            if let token, !token.allows(.storeInfo, on: .store(store.id)) { continue }
            guard let stats = try? store.stats(), stats.activeKeys > 0 else { continue }
            lines.append("db\(index):keys=\(stats.activeKeys),expires=\(stats.keysWithTTL),avg_ttl=0")
        }
        lines.append("")
        return lines
    }

    // MARK: Arguments

    private func arity(_ args: [ByteBuffer], _ count: Int) throws(RESPFailure) {
        guard args.count == count else { throw .arity(text(args[0])) }
    }

    private func arity(_ args: [ByteBuffer], _ range: PartialRangeFrom<Int>) throws(RESPFailure) {
        guard range.contains(args.count) else { throw .arity(text(args[0])) }
    }

    private func arity(_ args: [ByteBuffer], _ range: ClosedRange<Int>) throws(RESPFailure) {
        guard range.contains(args.count) else { throw .arity(text(args[0])) }
    }

    /// The argument as text, with invalid UTF-8 repaired (for names and options).
    private func text(_ argument: ByteBuffer) -> String {
        String(decoding: argument.readableBytesView, as: UTF8.self)
    }

    /// The argument as text; refused unless it is valid UTF-8 (values are JSON strings, keys text).
    private func text(_ argument: ByteBuffer, _ what: String) throws(RESPFailure) -> String {
        guard let text = String(validating: argument.readableBytesView, as: UTF8.self) else {
            throw RESPFailure("ERR the \(what) is not valid UTF-8: Starling keys and values are text (JSON strings)")
        }
        return text
    }

    /// `amount` of seconds (or milliseconds) in milliseconds; an amount that does not fit is
    /// `command`'s invalid expire time.
    private static func millis(_ amount: Int64, inSeconds: Bool, command: String) throws(RESPFailure) -> Int64 {
        let (millis, overflow) = amount.multipliedReportingOverflow(by: inSeconds ? 1_000 : 1)
        guard !overflow else { throw .invalidExpireTime(command) }
        return millis
    }

    private func integer(_ argument: ByteBuffer) throws(RESPFailure) -> Int64 {
        guard let value = Int64(text(argument)) else { throw .notInteger }
        return value
    }

    /// A key argument, checked against the policy for `action`.
    private func key(_ argument: ByteBuffer, _ action: AccessPolicy.Action) throws(RESPFailure) -> String {
        let key = try text(argument, "key")
        try allow(action, .key(store: storeID, key: key))
        return key
    }

    /// Every key argument, all checked before any is used: a refusal refuses the command whole.
    private func keys(_ arguments: ArraySlice<ByteBuffer>, _ action: AccessPolicy.Action) throws(RESPFailure)
        -> [String]
    {
        var keys: [String] = []
        keys.reserveCapacity(arguments.count)
        for argument in arguments { keys.append(try key(argument, action)) }
        return keys
    }

    // MARK: Access and stores

    private func allow(_ action: AccessPolicy.Action, _ resource: AccessPolicy.Resource) throws(RESPFailure) {
        guard shared.settings.policy != nil else { return }
        guard let token else { throw .noAuth }
        guard token.allows(action, on: resource) else {
            throw RESPFailure("NOPERM the token \"\(token.name)\" does not allow \(action) on \(resource)")
        }
    }

    private func visible(_ key: String, store: String) -> Bool {
        guard shared.settings.policy != nil else { return true }
        return token?.allows(.keyList, on: .key(store: store, key: key)) ?? false
    }

    /// The id of the selected database's store.
    private var storeID: String { shared.settings.databases[database] }

    /// The selected database's store.
    private func store() throws(RESPFailure) -> Store {
        if let store = stores[database] { return store }
        let id = storeID
        return try translate { () throws(StoreError) in try shared.node.store(id) }
    }

    /// The value's reply: a string's bytes, or the JSON text of any other value.
    private func reply(of value: JSONValue?) -> RESPReply {
        switch value {
        case nil: .null
        case .string(let text): .bulk(text)
        case let value?: .bulk(ByteBuffer(bytes: value.encoded()))
        }
    }
}

/// Runs `body`, turning a ``StoreError`` into the command's error reply.
func translate<T>(_ body: () throws(StoreError) -> T) throws(RESPFailure) -> T {
    do {
        return try body()
    } catch {
        throw RESPFailure(error)
    }
}

/// Runs `body`, turning a ``StoreError`` into the command's error reply.
func translateAsync<T>(_ body: () async throws(StoreError) -> T) async throws(RESPFailure) -> T {
    do {
        return try await body()
    } catch {
        throw RESPFailure(error)
    }
}

/// A connection's `SCAN` cursors: numbers standing for where a page ended. The most recent 256
/// are kept; an older one is refused as invalid, as a cursor of another connection is.
struct ScanCursors {
    private var positions: [UInt64: String] = [:]
    private var order: [UInt64] = []
    private var next: UInt64 = 1

    mutating func remember(_ position: String) -> UInt64 {
        let cursor = next
        next += 1
        positions[cursor] = position
        order.append(cursor)
        if order.count > 256 { positions[order.removeFirst()] = nil }
        return cursor
    }

    func position(of cursor: UInt64) -> String? {
        positions[cursor]
    }
}
