/// One setting of `starling serve`: its names in each source, its type, default and meaning.
///
/// ``ServeSetting/all`` is the single table every part reads: the resolver (which names
/// exist), the flags' help, `--print-config` and the settings reference.
struct ServeSetting {
    /// The setting's name, which is also its TOML key: `data_dir`.
    let name: String
    /// The environment variable: `STARLING_DATA_DIR`.
    let environmentVariable: String
    /// The command-line flag: `--data-dir`.
    let flag: String
    /// The kind of value, as the reference shows it.
    let typeName: String
    /// The default as the reference shows it.
    let defaultText: String
    /// Whether ``defaultText`` is a TOML literal (else it is words, such as `unset`).
    let defaultIsTOML: Bool
    /// What the setting does, one or two sentences.
    let doc: String
    /// Checks `raw` and stores it in the configuration.
    let apply: (inout ServeConfiguration, SettingValue) throws(SettingProblem) -> Void
    /// The configuration's value as a TOML literal; empty when the setting is unset.
    let toml: (ServeConfiguration) -> String

    /// A setting stored at `keyPath`, of `type`.
    /// - Parameters:
    ///   - name: the TOML key; the environment variable and flag derive from it unless given.
    ///   - defaultText: the default as the reference shows it; default: the TOML form of the
    ///     default configuration's value, or "unset".
    init<Value>(
        _ name: String, _ keyPath: WritableKeyPath<ServeConfiguration, Value>, _ type: SettingType<Value>,
        flag: String? = nil, defaultText: String? = nil, doc: String
    ) {
        self.name = name
        self.environmentVariable = "STARLING_" + name.uppercased()
        self.flag = flag ?? "--" + String(name.map { $0 == "_" ? "-" : $0 })
        self.typeName = type.name
        let shownDefault = type.toml(ServeConfiguration()[keyPath: keyPath])
        self.defaultText = defaultText ?? (shownDefault.isEmpty ? "unset" : shownDefault)
        self.defaultIsTOML = defaultText == nil && !shownDefault.isEmpty
        self.doc = doc
        let parse = type.parse
        self.apply = { configuration, raw throws(SettingProblem) in configuration[keyPath: keyPath] = try parse(raw) }
        let toml = type.toml
        self.toml = { toml($0[keyPath: keyPath]) }
    }

    /// The setting named `name`, if there is one.
    static func named(_ name: String) -> ServeSetting? { all.first { $0.name == name } }

    /// The doc of the setting named `name`, as a flag's help.
    static func help(_ name: String) -> String {
        guard let setting = named(name) else { return "" }
        return "\(setting.doc) (\(setting.environmentVariable); default \(setting.defaultText))"
    }
}
