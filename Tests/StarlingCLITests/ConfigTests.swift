import ArgumentParser
import Foundation
import Starling
import StarlingCore
import StarlingTestKit
import Testing

@testable import StarlingCLI

/// A sample cluster key file: one base64 32-byte key.
private let keyFile = String(repeating: "A", count: 43) + "=\n"

/// Resolves with `files` as the only readable files (path to contents).
private func resolve(
    flags: [String: SettingValue] = [:], environment: [String: String] = [:], files: [String: String] = [:]
) throws(ConfigError) -> ServeConfiguration {
    try ServeConfiguration.resolve(flags: flags, environment: environment) { path in
        guard let contents = files[path] else { throw TextFileError(description: "no such file") }
        return contents
    }
}

/// A valid access policy file: one reader token.
private let samplePolicy = """
    [[token]]
    name = "reader"
    secret = "s3cret"
    [[token.rule]]
    actions = ["store.key.get"]
    stores = ["*"]
    """

/// Resolves with `toml` as the configuration file `starling.toml`.
private func resolve(
    toml: String, flags: [String: SettingValue] = [:], environment: [String: String] = [:],
    files: [String: String] = [:]
) throws(ConfigError) -> ServeConfiguration {
    var files = files
    files["starling.toml"] = toml
    var flags = flags
    flags["config"] = .unparsed("starling.toml")
    return try resolve(flags: flags, environment: environment, files: files)
}

/// The error resolving gives, or nil when it succeeds.
private func failure(_ body: () throws(ConfigError) -> ServeConfiguration) -> ConfigError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// The TOML form of `setting`'s value in `configuration`.
private func shown(_ configuration: ServeConfiguration, _ setting: String) -> String? {
    ServeSetting.named(setting)?.toml(configuration)
}

/// A valid value of every setting: its TOML literal, and the same as environment or flag text.
private let samples: [String: (toml: String, text: String)] = [
    "data_dir": (#""/var/lib/starling""#, "/var/lib/starling"),
    "stores": (#"["users", "sessions"]"#, "users,sessions"),
    "durability": (#""power""#, "power"),
    "check_on_open": ("false", "false"),
    "reinitialize": ("true", "true"),
    "http": (#""127.0.0.2:8080""#, "127.0.0.2:8080"),
    "allow_remote_http": ("true", "true"),
    "resp": (#""127.0.0.3:6380""#, "127.0.0.3:6380"),
    "resp_databases": (#"["default"]"#, "default"),
    "allow_insecure_gossip": ("true", "true"),
    "gossip": (#""10.0.0.1:7000""#, "10.0.0.1:7000"),
    "advertise": (#""10.0.0.1:7000""#, "10.0.0.1:7000"),
    "join": (#"["10.0.0.2:7946", "[::1]:7947"]"#, "10.0.0.2:7946,[::1]:7947"),
    "cluster_key_file": (#""keys""#, "keys"),
    "max_datagram": ("8000", "8000"),
    "max_key_bytes": ("200", "200"),
    "max_value_bytes": ("5000", "5000"),
    "max_clock_offset": (#""2m""#, "2m"),
    "max_body_bytes": ("100000", "100000"),
    "max_connections": ("500", "500"),
    "max_watchers": ("10", "10"),
    "header_timeout": (#""5s""#, "5s"),
    "body_timeout": (#""20s""#, "20s"),
    "idle_timeout": (#""2m""#, "2m"),
    "round_interval": (#""50ms""#, "50ms"),
    "ack_timeout": (#""2s""#, "2s"),
    "digest_interval": (#""1m""#, "1m"),
    "probe_interval": (#""2s""#, "2s"),
    "probe_timeout": (#""500ms""#, "500ms"),
    "suspicion_timeout": (#""10s""#, "10s"),
    "max_backlog": ("5000", "5000"),
    "max_write_wait": (#""1s""#, "1s"),
    "tombstone_grace": (#""2h""#, "2h"),
    "log_level": (#""debug""#, "debug"),
    "policy_file": (#""policy.toml""#, "policy.toml"),
]

@Suite("serve configuration", .showsLogsOnFailure)
struct ConfigTests {
    @Test("no sources: the defaults of starling serve")
    func defaults() throws {
        let configuration = try resolve()
        #expect(configuration.dataDir == "./starling-data")
        #expect(configuration.http == PeerAddress(host: "127.0.0.1", port: 7070))
        #expect(configuration.gossip == PeerAddress(host: "127.0.0.1", port: 7946), "no key: gossip on loopback")
        #expect(configuration.insecureGossipRisk == nil)
        #expect(configuration.nodeSettings.stores == ["default"])
        #expect(configuration.nodeSettings.storage.durability == .process)
        #expect(configuration.nodeSettings.limits.maxKeyBytes == 1_024)
        #expect(configuration.nodeSettings.limits.maxValueBytes == 262_144)
        #expect(configuration.nodeSettings.maxClockOffsetMillis == 60_000)
        #expect(configuration.replicationSettings.maxDatagram == 1_200)
        #expect(configuration.replicationSettings.advertise == nil)
        #expect(configuration.replicationSettings.seeds == [])
        #expect(configuration.replicationSettings.keyring == nil)
        #expect(configuration.replicationSettings.backpressure.maxBacklog == 20_000)
        #expect(configuration.maxBodyBytes == nil)
        #expect(configuration.policyFile == nil)
        #expect(!configuration.allowRemoteHTTP)
        #expect(configuration.nodeSettings.storage.checkOnOpen)
        #expect(!configuration.nodeSettings.storage.reinitialize)
        #expect(shown(configuration, "log_level") == #""info""#)
        #expect(configuration.origins.isEmpty)
        #expect(configuration.configFile == nil)
    }

    @Test("flags win over the environment, which wins over the file, which wins over defaults")
    func precedence() throws {
        let file = #"http = "127.0.0.1:1""#
        let environment = ["STARLING_HTTP": "127.0.0.1:2"]
        let flags: [String: SettingValue] = ["http": .unparsed("127.0.0.1:3")]
        let cases: [(ServeConfiguration, UInt16, SettingOrigin)] = [
            (try resolve(toml: file, flags: flags, environment: environment), 3, .flag("--http")),
            (try resolve(toml: file, environment: environment), 2, .environment("STARLING_HTTP")),
            (try resolve(flags: flags, environment: environment), 3, .flag("--http")),
            (try resolve(toml: file), 1, .file("starling.toml")),
            (try resolve(toml: ""), 7070, .defaultValue),
        ]
        for (configuration, port, origin) in cases {
            #expect(configuration.http.port == port)
            #expect(configuration.origin(of: "http") == origin)
        }
        // Settings from different sources combine.
        let mixed = try resolve(
            toml: #"data_dir = "/from/file""#, flags: ["gossip": .unparsed("127.0.0.1:9")],
            environment: ["STARLING_DURABILITY": "power"])
        #expect(mixed.dataDir == "/from/file")
        #expect(mixed.durability == .power)
        #expect(mixed.gossip.port == 9)
    }

    @Test("every setting of the table is read from the file, the environment and a flag")
    func everySettingFromEverySource() throws {
        let names = Set(ServeSetting.all.map(\.name))
        #expect(Set(samples.keys) == names, "a setting has no sample value here")
        let files = ["keys": keyFile, "policy.toml": samplePolicy]
        for setting in ServeSetting.all {
            let (toml, text) = try #require(samples[setting.name])
            // A non-loopback sample needs the remote switches; give them where they are not under test.
            var allow: [String: SettingValue] = [:]
            for name in ["allow_remote_http", "allow_insecure_gossip"] where setting.name != name {
                allow[name] = .boolean(true)
            }
            let fromFile = try resolve(toml: "\(setting.name) = \(toml)", flags: allow, files: files)
            let fromEnvironment = try resolve(
                flags: allow, environment: [setting.environmentVariable: text], files: files)
            let flagValue: SettingValue =
                switch setting.name {
                case "stores", "join", "resp_databases": .list(text.split(separator: ",").map(String.init))
                case "allow_remote_http", "allow_insecure_gossip", "reinitialize": .boolean(true)
                case "check_on_open": .boolean(false)
                default: .unparsed(text)
                }
            let fromFlag = try resolve(flags: allow.merging([setting.name: flagValue]) { $1 }, files: files)
            for (configuration, origin) in [
                (fromFile, SettingOrigin.file("starling.toml")),
                (fromEnvironment, .environment(setting.environmentVariable)),
                (fromFlag, .flag(setting.flag)),
            ] {
                #expect(setting.toml(configuration) == toml, "\(setting.name) from \(origin)")
                #expect(configuration.origin(of: setting.name) == origin)
            }
        }
    }

    @Test("resolved values reach the node, replication and HTTP settings")
    func derivedSettings() throws {
        let toml = ServeSetting.all.map { "\($0.name) = \(samples[$0.name]!.toml)" }.joined(separator: "\n")
        let configuration = try resolve(toml: toml, files: ["keys": keyFile, "policy.toml": samplePolicy])
        let node = configuration.nodeSettings
        #expect(node.stores == ["default", "users", "sessions"])
        #expect(node.storage.durability == .power)
        #expect(!node.storage.checkOnOpen)
        #expect(node.storage.reinitialize)
        #expect(node.limits.maxKeyBytes == 200)
        #expect(node.limits.maxValueBytes == 5_000)
        #expect(node.maxClockOffsetMillis == 120_000)
        let replication = configuration.replicationSettings
        #expect(replication.bind == PeerAddress(host: "10.0.0.1", port: 7000))
        #expect(replication.advertise == PeerAddress(host: "10.0.0.1", port: 7000))
        #expect(replication.seeds == [PeerAddress(host: "10.0.0.2", port: 7946), PeerAddress(host: "::1", port: 7947)])
        #expect(replication.keyring != nil)
        #expect(replication.maxDatagram == 8_000)
        #expect(replication.tombstoneGraceMillis == 7_200_000)
        #expect(replication.replicator.roundIntervalMillis == 50)
        #expect(replication.replicator.ackTimeoutMillis == 2_000)
        #expect(replication.replicator.digestIntervalMillis == 60_000)
        #expect(replication.membership.probeIntervalMillis == 2_000)
        #expect(replication.membership.probeTimeoutMillis == 500)
        #expect(replication.membership.suspicionTimeoutMillis == 10_000)
        #expect(replication.backpressure.maxBacklog == 5_000)
        #expect(replication.backpressure.maxWait == .seconds(1))
        #expect(configuration.maxBodyBytes == 100_000)
        #expect(configuration.policyFile == "policy.toml")
        #expect(configuration.dataDir == "/var/lib/starling")
    }

    @Test("max_backlog = 0 turns backpressure off")
    func backpressureOff() throws {
        let configuration = try resolve(toml: "max_backlog = 0")
        #expect(configuration.replicationSettings.backpressure.maxBacklog == nil)
    }

    @Test("the example message: a bad address in the environment")
    func exampleMessage() {
        let error = failure { () throws(ConfigError) in try resolve(environment: ["STARLING_HTTP": "foo"]) }
        #expect(error?.description == #"setting http (from STARLING_HTTP): must be HOST:PORT, not "foo""#)
    }

    @Test("every invalid value is refused naming its setting and its source")
    func errorsNameTheirSetting() {
        let files = ["keys": keyFile, "bad-keys": "not base64!\n", "empty-keys": "# none\n"]
        typealias Case = (
            toml: String?, environment: [String: String], flags: [String: SettingValue], setting: String,
            origin: SettingOrigin, problem: String
        )
        let file = SettingOrigin.file("starling.toml")
        let cases: [Case] = [
            (nil, ["STARLING_DATA_DIR": ""], [:], "data_dir", .environment("STARLING_DATA_DIR"), "must not be empty"),
            (#"stores = ["a", ""]"#, [:], [:], "stores", file, "item 2 is empty"),
            (nil, ["STARLING_STORES": "a,,b"], [:], "stores", .environment("STARLING_STORES"), "item 2 is empty"),
            (
                nil, [:], ["durability": .unparsed("disk")], "durability", .flag("--durability"),
                #"must be process or power, not "disk""#
            ),
            (#"http = "localhost""#, [:], [:], "http", file, #"must be HOST:PORT, not "localhost""#),
            (nil, [:], ["http": .unparsed("0.0.0.0:7070")], "http", .flag("--http"), "not a loopback address"),
            (nil, [:], ["resp": .unparsed("0.0.0.0:7379")], "resp", .flag("--resp"), "not a loopback address"),
            (#"resp = "7379""#, [:], [:], "resp", file, #"must be HOST:PORT or off, not "7379""#),
            (
                nil, ["STARLING_RESP_DATABASES": "default,nowhere"], [:], "resp_databases",
                .environment("STARLING_RESP_DATABASES"), #"names the store "nowhere", which is not hosted"#
            ),
            (
                nil, ["STARLING_ALLOW_REMOTE_HTTP": "maybe"], [:], "allow_remote_http",
                .environment("STARLING_ALLOW_REMOTE_HTTP"), #"must be true or false, not "maybe""#
            ),
            (
                nil, ["STARLING_REINITIALIZE": "please"], [:], "reinitialize", .environment("STARLING_REINITIALIZE"),
                #"must be true or false, not "please""#
            ),
            (#"check_on_open = "no""#, [:], [:], "check_on_open", file, #"must be true or false, not "no""#),
            (nil, [:], ["gossip": .unparsed("127.0.0.1:99999")], "gossip", .flag("--gossip"), "must be HOST:PORT"),
            (#"advertise = "0.0.0.0:7946""#, [:], [:], "advertise", file, "not the wildcard"),
            (
                nil, ["STARLING_JOIN": "10.0.0.1:1,nope"], [:], "join", .environment("STARLING_JOIN"),
                #""nope" is not HOST:PORT"#
            ),
            (
                nil, [:], ["cluster_key_file": .unparsed("missing")], "cluster_key_file", .flag("--cluster-key-file"),
                "cannot read missing: no such file"
            ),
            (#"cluster_key_file = "bad-keys""#, [:], [:], "cluster_key_file", file, "bad-keys"),
            (#"cluster_key_file = "empty-keys""#, [:], [:], "cluster_key_file", file, "empty-keys"),
            (
                nil, [:], ["max_datagram": .unparsed("1000")], "max_datagram", .flag("--max-datagram"),
                "must be between 1200 and 65000, not 1000"
            ),
            (
                nil, ["STARLING_MAX_DATAGRAM": "big"], [:], "max_datagram", .environment("STARLING_MAX_DATAGRAM"),
                #"must be an integer, not "big""#
            ),
            ("max_key_bytes = 0", [:], [:], "max_key_bytes", file, "must be between 1 and 65535, not 0"),
            ("max_value_bytes = 99999999999", [:], [:], "max_value_bytes", file, "must be between 1 and"),
            (#"max_clock_offset = "60""#, [:], [:], "max_clock_offset", file, "must be a duration"),
            (
                nil, ["STARLING_MAX_CLOCK_OFFSET": "0s"], [:], "max_clock_offset",
                .environment("STARLING_MAX_CLOCK_OFFSET"), "must be at least 1ms"
            ),
            ("max_body_bytes = 10", [:], [:], "max_body_bytes", file, "must be between 1024 and"),
            (
                nil, [:], ["round_interval": .unparsed("1.5s")], "round_interval", .flag("--round-interval"),
                "must be a duration"
            ),
            (nil, [:], ["ack_timeout": .unparsed("-1s")], "ack_timeout", .flag("--ack-timeout"), "must be a duration"),
            (#"digest_interval = "10 s""#, [:], [:], "digest_interval", file, "must be a duration"),
            (#"ack_timeout = "10ms""#, [:], [:], "ack_timeout", file, "must be at least 20ms"),
            (#"max_write_wait = "1m""#, [:], [:], "max_write_wait", file, "must be at most 10s"),
            (
                nil, ["STARLING_PROBE_INTERVAL": "5x"], [:], "probe_interval",
                .environment("STARLING_PROBE_INTERVAL"), "must be a duration"
            ),
            (#"probe_timeout = "1s""#, [:], [:], "probe_timeout", file, "must be below probe_interval (1s), not 1s"),
            (
                nil, [:], ["suspicion_timeout": .unparsed("0ms")], "suspicion_timeout", .flag("--suspicion-timeout"),
                "must be at least 1ms"
            ),
            (#"tombstone_grace = "-1h""#, [:], [:], "tombstone_grace", file, "must be a duration"),
            (
                nil, ["STARLING_LOG_LEVEL": "loud"], [:], "log_level", .environment("STARLING_LOG_LEVEL"),
                "must be one of trace, debug, info, notice, warning, error, critical"
            ),
            (#"policy_file = "nowhere.toml""#, [:], [:], "policy_file", file, "cannot read nowhere.toml"),
            (#"policy_file = "keys""#, [:], [:], "policy_file", file, "keys: "),
            (
                nil, [:], ["config": .unparsed("missing.toml")], "config", .flag("--config"),
                "cannot read missing.toml: no such file"
            ),
            (nil, ["STARLING_CONFIG": ""], [:], "config", .environment("STARLING_CONFIG"), "must not be empty"),
            ("http = ", [:], [:], "config", .flag("--config"), "starling.toml is not valid TOML"),
        ]
        for (toml, environment, flags, setting, origin, problem) in cases {
            let error = failure { () throws(ConfigError) in
                if let toml { return try resolve(toml: toml, flags: flags, environment: environment, files: files) }
                return try resolve(flags: flags, environment: environment, files: files)
            }
            #expect(error?.setting == setting, "\(toml ?? "") \(environment) \(flags)")
            #expect(error?.origin == origin, "\(setting)")
            #expect(error?.problem.contains(problem) == true, "\(setting): \(error?.problem ?? "no error")")
            #expect(error?.description.hasPrefix("setting \(setting) (from \(origin)): ") == true)
        }
    }

    @Test("TOML values must have the setting's type")
    func tomlTypes() {
        let cases: [(String, String, String)] = [
            (#"max_datagram = "1500""#, "max_datagram", #"must be an integer, not "1500""#),
            ("max_datagram = 1500.0", "max_datagram", "must be an integer, not a floating-point number"),
            ("http = 7070", "http", "must be HOST:PORT, not 7070"),
            (#"allow_remote_http = "true""#, "allow_remote_http", #"must be true or false, not "true""#),
            (#"join = "127.0.0.1:1""#, "join", #"must be a list, not "127.0.0.1:1""#),
            ("join = [1, 2]", "join", "must be a list, not an array with an element of type integer"),
            ("stores = [[\"a\"]]", "stores", "must be a list, not an array with an element of type array"),
            ("data_dir = true", "data_dir", "must be a string, not true"),
            ("durability = { mode = \"power\" }", "durability", "must be process or power, not a table"),
            ("max_clock_offset = 60", "max_clock_offset", "must be a duration such as 500ms, 30s, 5m or 1h, not 60"),
            ("log_level = 1979-05-27", "log_level", "must be a log level, not a date"),
        ]
        for (toml, setting, problem) in cases {
            let error = failure { () throws(ConfigError) in try resolve(toml: toml) }
            #expect(error == ConfigError(setting: setting, origin: .file("starling.toml"), problem: problem), "\(toml)")
        }
    }

    @Test("unknown keys and STARLING_ variables are refused with their name")
    func unknownNames() {
        let key = failure { () throws(ConfigError) in try resolve(toml: "data_dir = \"d\"\nhtpp = \"127.0.0.1:1\"") }
        #expect(
            key
                == ConfigError(
                    setting: "htpp", origin: .file("starling.toml"), problem: "no such setting; did you mean http?"))
        let table = failure { () throws(ConfigError) in try resolve(toml: "[server]\nhttp = \"127.0.0.1:1\"") }
        #expect(table?.setting == "server")
        #expect(table?.problem == "no such setting")
        let variable = failure { () throws(ConfigError) in try resolve(environment: ["STARLING_DATADIR": "/x"]) }
        #expect(
            variable
                == ConfigError(
                    setting: "STARLING_DATADIR", origin: .environment("STARLING_DATADIR"),
                    problem: "no such setting; did you mean STARLING_DATA_DIR?"))
        let unlike = failure { () throws(ConfigError) in try resolve(environment: ["STARLING_ZZZZZZZZZZZZ": "1"]) }
        #expect(unlike?.problem == "no such setting")
    }

    @Test("variables that are not serve settings are left alone")
    func foreignVariables() throws {
        let configuration = try resolve(environment: [
            "STARLING_ENDPOINT": "http://127.0.0.1:7070", "STARLING_TOKEN": "secret", "HOME": "/root",
            "STARLING_DEBUG": "1", "HTTP": "nonsense",
        ])
        #expect(configuration.origins.isEmpty)
    }

    @Test("a bad value is refused even where a higher source overrides it")
    func overriddenValuesAreStillChecked() {
        let error = failure { () throws(ConfigError) in
            try resolve(toml: #"http = "nope""#, flags: ["http": .unparsed("127.0.0.1:1")])
        }
        #expect(error?.setting == "http")
        #expect(error?.origin == .file("starling.toml"))
    }

    @Test("lists: comma-separated in the environment, replaced whole by a higher source, emptied by an empty variable")
    func lists() throws {
        let file = #"join = ["127.0.0.1:1"]"# + "\nstores = [\"a\"]"
        let fromEnvironment = try resolve(toml: file, environment: ["STARLING_JOIN": " 127.0.0.1:2 , 127.0.0.1:3 "])
        #expect(fromEnvironment.join.map(\.port) == [2, 3])
        #expect(fromEnvironment.stores == ["a"])
        let emptied = try resolve(toml: file, environment: ["STARLING_JOIN": "", "STARLING_STORES": ""])
        #expect(emptied.join == [])
        #expect(emptied.stores == [])
        let fromFlags = try resolve(toml: file, flags: ["join": .list(["127.0.0.1:4"]), "stores": .list(["b", "c"])])
        #expect(fromFlags.join.map(\.port) == [4])
        #expect(fromFlags.nodeSettings.stores == ["default", "b", "c"])
    }

    @Test("an empty variable unsets an optional setting the file set")
    func optionalUnset() throws {
        let configuration = try resolve(
            toml: #"advertise = "10.0.0.1:7946""#, environment: ["STARLING_ADVERTISE": ""])
        #expect(configuration.advertise == nil)
        #expect(configuration.origin(of: "advertise") == .environment("STARLING_ADVERTISE"))
    }

    @Test("remote HTTP is allowed with allow_remote_http from any source")
    func remoteHTTP() throws {
        let configuration = try resolve(
            toml: "allow_remote_http = true", environment: ["STARLING_HTTP": "0.0.0.0:7070"])
        #expect(configuration.http.host == "0.0.0.0")
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "[::1]"] {
            #expect(throws: Never.self) { try resolve(flags: ["http": .unparsed("\(host):1")]) }
        }
        let refused = failure { () throws(ConfigError) in
            try resolve(
                toml: "allow_remote_http = true",
                flags: ["http": .unparsed("10.0.0.1:1"), "allow_remote_http": .boolean(false)])
        }
        #expect(refused?.setting == "http")
        let withPolicy = try resolve(
            toml: #"policy_file = "policy.toml""#,
            environment: ["STARLING_HTTP": "0.0.0.0:7070", "STARLING_CLUSTER_KEY_FILE": "keys"],
            files: ["policy.toml": samplePolicy, "keys": keyFile])
        #expect(withPolicy.policy != nil, "an access policy lets http bind a non-loopback address")
    }

    @Test("gossip without a cluster key stays on loopback, and a policy needs a key, unless explicitly allowed")
    func gossipNeedsAKeyOffLoopback() throws {
        // Without a key: a non-loopback bind (the wildcard included) is refused, naming keygen.
        for address in ["0.0.0.0:7946", "10.0.0.1:7946", "[::]:7946"] {
            let refused = failure { () throws(ConfigError) in try resolve(flags: ["gossip": .unparsed(address)]) }
            #expect(refused?.setting == "gossip", "\(address)")
            #expect(refused?.problem.contains("starling keygen") == true)
            #expect(refused?.problem.contains("allow_insecure_gossip") == true)
        }
        // A policy without a key is refused even on loopback: peers would bypass it through gossip.
        let bypass = failure { () throws(ConfigError) in
            try resolve(toml: #"policy_file = "policy.toml""#, files: ["policy.toml": samplePolicy])
        }
        #expect(bypass?.setting == "policy_file")
        #expect(bypass?.problem.contains("starling keygen") == true)
        // With a key, both are fine.
        let keyed = try resolve(
            toml: #"policy_file = "policy.toml""#,
            flags: ["gossip": .unparsed("0.0.0.0:7946"), "cluster_key_file": .unparsed("keys")],
            files: ["policy.toml": samplePolicy, "keys": keyFile])
        #expect(keyed.insecureGossipRisk == nil)
        // The explicit opt-out, from any source, starts (and serve logs the risk loudly).
        for (toml, environment) in [
            ("allow_insecure_gossip = true", [String: String]()),
            ("", ["STARLING_ALLOW_INSECURE_GOSSIP": "true"]),
        ] {
            let allowed = try resolve(
                toml: toml, flags: ["gossip": .unparsed("0.0.0.0:7946")], environment: environment)
            #expect(allowed.insecureGossipRisk?.contains("not a loopback address") == true)
        }
        let flagged = try resolve(
            toml: #"policy_file = "policy.toml""#, flags: ["allow_insecure_gossip": .boolean(true)],
            files: ["policy.toml": samplePolicy])
        #expect(flagged.insecureGossipRisk?.contains("bypass") == true)
    }

    @Test("reinitialize is off unless a source sets it, and --no-reinitialize overrides a file that does")
    func reinitializeFromEverySource() throws {
        #expect(try !resolve(toml: "").nodeSettings.storage.reinitialize)
        #expect(try resolve(toml: "reinitialize = true").nodeSettings.storage.reinitialize)
        #expect(try resolve(environment: ["STARLING_REINITIALIZE": "1"]).nodeSettings.storage.reinitialize)
        let flag = try resolve(flags: try Serve.parse(["--reinitialize"]).givenFlags())
        #expect(flag.nodeSettings.storage.reinitialize && flag.origin(of: "reinitialize") == .flag("--reinitialize"))
        let overridden = try resolve(
            toml: "reinitialize = true", flags: try Serve.parse(["--no-reinitialize"]).givenFlags())
        #expect(!overridden.nodeSettings.storage.reinitialize)
        let unchecked = try resolve(flags: try Serve.parse(["--no-check-on-open"]).givenFlags())
        #expect(!unchecked.nodeSettings.storage.checkOnOpen)
    }

    @Test("resp is on at 127.0.0.1:7379 by default, off with `off`, and maps databases to hosted stores")
    func respSettings() throws {
        let defaults = try resolve()
        #expect(defaults.resp == PeerAddress(host: "127.0.0.1", port: 7379) && defaults.respDatabases == ["default"])
        #expect(try resolve(toml: #"resp = "off""#).resp == nil)
        let mapped = try resolve(flags: try Serve.parse(["--store", "users", "--resp-database", "users"]).givenFlags())
        #expect(mapped.respDatabases == ["users"])
    }

    @Test("the configuration file comes from --config, else STARLING_CONFIG")
    func configFileSource() throws {
        let files = ["a.toml": #"data_dir = "a""#, "b.toml": #"data_dir = "b""#]
        let fromVariable = try resolve(environment: ["STARLING_CONFIG": "b.toml"], files: files)
        #expect(fromVariable.dataDir == "b")
        #expect(fromVariable.origin(of: "data_dir") == .file("b.toml"))
        let fromFlag = try resolve(
            flags: ["config": .unparsed("a.toml")], environment: ["STARLING_CONFIG": "b.toml"], files: files)
        #expect(fromFlag.dataDir == "a")
        #expect(fromFlag.configFile?.origin == .flag("--config"))
    }

    @Test("--print-config output is a configuration file that resolves to the same values")
    func printedConfigurationRoundTrips() throws {
        let files = ["keys": keyFile, "policy.toml": samplePolicy]
        let toml = ServeSetting.all.map { "\($0.name) = \(samples[$0.name]!.toml)" }.joined(separator: "\n")
        let original = try resolve(toml: toml, environment: ["STARLING_DATA_DIR": "/a \"quoted\\ dir"], files: files)
        let printed = original.tomlText()
        #expect(printed.contains("data_dir = \"/a \\\"quoted\\\\ dir\"  # from STARLING_DATA_DIR"))
        let again = try resolve(toml: printed, files: files)
        for setting in ServeSetting.all {
            #expect(setting.toml(again) == setting.toml(original), "\(setting.name)")
        }
        let defaults = try resolve().tomlText()
        #expect(defaults.contains(#"http = "127.0.0.1:7070"  # default"#))
        #expect(defaults.contains("# advertise is unset (default)"))
        #expect(try resolve(toml: defaults).tomlText().contains("# configuration file: starling.toml"))
    }

    @Test("the settings reference has one row per setting")
    func reference() {
        let reference = ServeSetting.markdownReference()
        let rows = reference.split(separator: "\n").dropFirst(2)
        #expect(rows.count == ServeSetting.all.count + 1)
        for setting in ServeSetting.all {
            #expect(reference.contains("| `\(setting.name)` | `\(setting.environmentVariable)` | `\(setting.flag)"))
        }
        #expect(reference.contains("`STARLING_CONFIG`"))
    }

    @Test("the serve configuration article holds the settings reference as the code prints it")
    func articleHoldsTheReference() throws {
        let path = Fixtures.repositoryRoot + "/Sources/StarlingHTTP/StarlingHTTP.docc/ServeConfiguration.md"
        let article = try String(contentsOfFile: path, encoding: .utf8)
        #expect(
            article.contains(ServeSetting.markdownReference().trimmingCharacters(in: .whitespacesAndNewlines)),
            "regenerate the table with `starling serve --print-settings-reference`")
    }

    @Test("durations are an integer and a unit")
    func durations() {
        let valid: [(String, Int64)] = [("250ms", 250), ("30s", 30_000), ("5m", 300_000), ("1h", 3_600_000), ("0s", 0)]
        for (text, millis) in valid {
            #expect(DurationText.millis(parsing: text) == millis, "\(text)")
        }
        for text in ["", "10", "s", "1.5s", "-1s", "1d", "1 s", "ms", "99999999999999999999h", "5sms"] {
            #expect(DurationText.millis(parsing: text) == nil, "\(text)")
        }
        for millis: Int64 in [1, 999, 1_000, 1_500, 60_000, 90_000, 3_600_000, 5_400_000] {
            #expect(DurationText.millis(parsing: DurationText.text(millis: millis)) == millis)
        }
        #expect(DurationText.text(millis: 90_000) == "90s")
        #expect(DurationText.text(millis: 0) == "0ms")
    }
}

@Suite("serve flags", .showsLogsOnFailure)
struct ServeFlagTests {
    @Test("no flags given: nothing overrides the file or the environment")
    func noFlags() throws {
        #expect(try Serve.parse([]).givenFlags().isEmpty)
    }

    @Test("every setting of the table has its flag on starling serve")
    func everySettingHasItsFlag() throws {
        for setting in ServeSetting.all {
            let arguments = setting.typeName == "boolean" ? [setting.flag] : [setting.flag, "x"]
            let flags = try Serve.parse(arguments).givenFlags()
            #expect(flags.keys.sorted() == [setting.name], "\(setting.flag)")
        }
        let repeated = try Serve.parse(["--join", "a:1", "--join", "b:2", "--store", "s", "--no-allow-remote-http"])
        #expect(repeated.givenFlags()["join"] == .list(["a:1", "b:2"]))
        #expect(repeated.givenFlags()["stores"] == .list(["s"]))
        #expect(repeated.givenFlags()["allow_remote_http"] == .boolean(false))
        #expect(try Serve.parse(["--config", "c.toml"]).givenFlags() == ["config": .unparsed("c.toml")])
    }
}
