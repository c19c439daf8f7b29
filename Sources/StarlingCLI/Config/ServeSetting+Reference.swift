extension ServeSetting {
    /// The settings reference as a markdown table: setting, TOML key, environment variable,
    /// flag, type, default and meaning, one row per setting of ``all``.
    static func markdownReference() -> String {
        var lines = [
            "| setting (TOML key) | environment | flag | type | default | meaning |",
            "| --- | --- | --- | --- | --- | --- |",
            "| | `\(configEnvironmentVariable)` | `\(configFlag) FILE` | path | none | "
                + "The TOML configuration file to read. |",
        ]
        for setting in all {
            let flag = setting.typeName == "boolean" ? setting.flag : "\(setting.flag) VALUE"
            let cells = [
                "`\(setting.name)`", "`\(setting.environmentVariable)`", "`\(flag)`", setting.typeName,
                setting.defaultIsTOML ? "`\(setting.defaultText)`" : setting.defaultText,
                setting.doc,
            ]
            let escaped = cells.map { $0.split(separator: "|", omittingEmptySubsequences: false) }
                .map { $0.joined(separator: "\\|") }
            lines.append("| " + escaped.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}

extension ServeConfiguration {
    /// The configuration as a TOML file `--config` would accept, each line commented with where
    /// its value came from; unset settings are commented out.
    func tomlText() -> String {
        var lines = ["# starling serve configuration, resolved"]
        if let configFile { lines.append("# configuration file: \(configFile.path) (from \(configFile.origin))") }
        for setting in ServeSetting.all {
            let value = setting.toml(self)
            let origin = origin(of: setting.name)
            if value.isEmpty {
                lines.append("# \(setting.name) is unset (\(origin == .defaultValue ? "default" : "from \(origin)"))")
            } else {
                lines.append("\(setting.name) = \(value)  # \(origin == .defaultValue ? "default" : "from \(origin)")")
            }
        }
        return lines.joined(separator: "\n")
    }
}
