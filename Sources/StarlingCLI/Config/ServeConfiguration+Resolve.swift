import Starling
import StarlingAccess
import StarlingCore
import StarlingHTTP

extension ServeConfiguration {
    /// Resolves the configuration of `starling serve` from its sources: flags win over
    /// environment variables, which win over the configuration file, which wins over defaults.
    ///
    /// Every value given is checked, even one a higher source overrides, so a broken file is
    /// refused whatever the flags say. A list given by a higher source replaces the lower one's.
    ///
    /// - Parameters:
    ///   - flags: the flags given on the command line, by setting name (`"config"` for the
    ///     configuration file); a flag not given is absent.
    ///   - environment: the process environment; only `STARLING_*` variables are read.
    ///   - readFile: reads a whole text file (the configuration file, the cluster key file and
    ///     the policy file); tests pass a dictionary.
    /// - Returns: the resolved configuration, with the origin of every setting not at its default.
    /// - Throws: ``ConfigError`` naming the first setting (or unknown name) that is wrong and
    ///   where it came from.
    static func resolve(
        flags: [String: SettingValue], environment: [String: String], readFile: (String) throws -> String
    ) throws(ConfigError) -> ServeConfiguration {
        var configuration = ServeConfiguration()
        let settings = ServeSetting.all
        var fileValues: [String: SettingValue] = [:]
        if let (path, origin) = try configFilePath(flags: flags, environment: environment) {
            configuration.configFile = (path, origin)
            fileValues = try fileSettings(path: path, origin: origin, readFile: readFile, settings: settings)
        }
        let environmentValues = try environmentSettings(environment, settings: settings)
        for setting in settings {
            let layers: [(SettingValue?, SettingOrigin)] = [
                (fileValues[setting.name], .file(configuration.configFile?.path ?? "")),
                (environmentValues[setting.name], .environment(setting.environmentVariable)),
                (flags[setting.name], .flag(setting.flag)),
            ]
            for case (let raw?, let origin) in layers {
                do {
                    try setting.apply(&configuration, raw)
                } catch {
                    throw ConfigError(setting: setting.name, origin: origin, problem: error.message)
                }
                configuration.origins[setting.name] = origin
            }
        }
        try configuration.checkTogether(readFile: readFile)
        return configuration
    }

    /// The configuration file's path and where it came from: `--config`, else `STARLING_CONFIG`.
    private static func configFilePath(
        flags: [String: SettingValue], environment: [String: String]
    ) throws(ConfigError) -> (String, SettingOrigin)? {
        let given: (SettingValue, SettingOrigin)?
        if let flag = flags["config"] {
            given = (flag, .flag(ServeSetting.configFlag))
        } else if let variable = environment[ServeSetting.configEnvironmentVariable] {
            given = (.unparsed(variable), .environment(ServeSetting.configEnvironmentVariable))
        } else {
            given = nil
        }
        guard let (raw, origin) = given else { return nil }
        do {
            return (try SettingType<String>.text.parse(raw), origin)
        } catch {
            throw ConfigError(setting: "config", origin: origin, problem: error.message)
        }
    }

    /// Reads and parses the configuration file into raw values by setting name.
    private static func fileSettings(
        path: String, origin: SettingOrigin, readFile: (String) throws -> String, settings: [ServeSetting]
    ) throws(ConfigError) -> [String: SettingValue] {
        let text: String
        do {
            text = try readFile(path)
        } catch {
            throw ConfigError(setting: "config", origin: origin, problem: "cannot read \(path): \(error)")
        }
        let values: [String: SettingValue]
        do {
            values = try TOMLSettings.parse(text)
        } catch {
            throw ConfigError(setting: "config", origin: origin, problem: "\(path) is not valid TOML: \(error.message)")
        }
        let known = Set(settings.map(\.name))
        if let unknown = values.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigError(
                setting: unknown, origin: .file(path),
                problem: "no such setting" + suggestion(for: unknown, among: settings.map(\.name)))
        }
        return values
    }

    /// The `STARLING_*` variables of `environment` by setting name; an unknown one is refused.
    private static func environmentSettings(
        _ environment: [String: String], settings: [ServeSetting]
    ) throws(ConfigError) -> [String: SettingValue] {
        let byVariable = Dictionary(uniqueKeysWithValues: settings.map { ($0.environmentVariable, $0.name) })
        var values: [String: SettingValue] = [:]
        for (variable, value) in environment.sorted(by: { $0.key < $1.key }) where variable.hasPrefix("STARLING_") {
            if variable == ServeSetting.configEnvironmentVariable
                || ServeSetting.foreignEnvironmentVariables.contains(variable)
            {
                continue
            }
            guard let name = byVariable[variable] else {
                throw ConfigError(
                    setting: variable, origin: .environment(variable),
                    problem: "no such setting"
                        + suggestion(for: variable, among: settings.map(\.environmentVariable)))
            }
            values[name] = .unparsed(value)
        }
        return values
    }

    /// `; did you mean X?` for the known name closest to `name`, if one is close; else empty.
    static func suggestion(for name: String, among known: [String]) -> String {
        // Variables share their prefix: compare what follows it.
        func core(_ text: String) -> [Character] {
            Array((text.hasPrefix("STARLING_") ? text.dropFirst("STARLING_".count) : Substring(text)).lowercased())
        }
        let scored = known.map { ($0, editDistance(core(name), core($0))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, core(name).count / 3) else { return "" }
        return "; did you mean \(best.0)?"
    }

    /// The Levenshtein distance between two strings.
    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// Checks what no single setting can: files that must be readable, and settings that
    /// depend on each other.
    private mutating func checkTogether(readFile: (String) throws -> String) throws(ConfigError) {
        if let path = clusterKeyFile {
            let contents: String
            do {
                contents = try readFile(path)
            } catch {
                throw problem("cluster_key_file", "cannot read \(path): \(error)")
            }
            do {
                keyring = try ClusterKeyring(keyFileContents: contents)
            } catch {
                throw problem("cluster_key_file", "\(path): \(error)")
            }
        }
        if let path = policyFile {
            let contents: String
            do {
                contents = try readFile(path)
            } catch {
                throw problem("policy_file", "cannot read \(path): \(error)")
            }
            do {
                policy = try AccessPolicy(tomlText: contents)
            } catch {
                throw problem("policy_file", "\(path): \(error)")
            }
        }
        guard policy != nil || allowRemoteHTTP || Self.isLoopback(http.host) else {
            throw problem(
                "http",
                "\(http) is not a loopback address and no access policy is configured; set policy_file, or "
                    + "set allow_remote_http (--allow-remote-http or STARLING_ALLOW_REMOTE_HTTP=true) to serve "
                    + "it to anyone who can reach it")
        }
        if let resp, policy == nil, !allowRemoteHTTP, !Self.isLoopback(resp.host) {
            throw problem(
                "resp",
                "\(resp) is not a loopback address and no access policy is configured; set policy_file, or "
                    + "set allow_remote_http (--allow-remote-http or STARLING_ALLOW_REMOTE_HTTP=true) to serve "
                    + "it to anyone who can reach it")
        }
        for id in respDatabases where id != "default" && !stores.contains(id) {
            throw problem(
                "resp_databases", "names the store \"\(id)\", which is not hosted; add it to stores (--store)")
        }
        guard !respDatabases.isEmpty else { throw problem("resp_databases", "must name at least one store") }
        if let risk = insecureGossipRisk, !allowInsecureGossip {
            let setting = policy != nil && Self.isLoopback(gossip.host) ? "policy_file" : "gossip"
            throw problem(
                setting,
                "\(risk); gossip needs a cluster key there, or anyone who can send UDP to \(gossip) can join the "
                    + "cluster and read, write or clear every store. Write a key with `starling keygen FILE`, copy "
                    + "it to every peer and set cluster_key_file (--cluster-key-file); or, on a trusted network "
                    + "only, set allow_insecure_gossip (--allow-insecure-gossip or "
                    + "STARLING_ALLOW_INSECURE_GOSSIP=true)")
        }
        if let advertise, advertise.host == "0.0.0.0" || advertise.host == "::" {
            throw problem("advertise", "must be an address peers can reach, not the wildcard \(advertise)")
        }
        guard probeTimeoutMillis < probeIntervalMillis else {
            throw problem(
                "probe_timeout",
                "must be below probe_interval (\(DurationText.text(millis: probeIntervalMillis))), not "
                    + DurationText.text(millis: probeTimeoutMillis))
        }
    }

    /// Why gossip without a cluster key would be unsafe here, or nil when it is not (a key is
    /// configured, or gossip stays on loopback with no access policy to bypass).
    var insecureGossipRisk: String? {
        guard keyring == nil else { return nil }
        if !Self.isLoopback(gossip.host) {
            return "gossip binds \(gossip), which is not a loopback address, without a cluster key"
        }
        if policy != nil { return "an access policy is configured but gossip has no cluster key, so peers bypass it" }
        return nil
    }

    /// An error about `setting`, from wherever its value came.
    private func problem(_ setting: String, _ message: String) -> ConfigError {
        ConfigError(setting: setting, origin: origin(of: setting), problem: message)
    }

    /// Whether `host` is a loopback address: `localhost`, `::1` or a dotted IPv4 `127.x.x.x`.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
