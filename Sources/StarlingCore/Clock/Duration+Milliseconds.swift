extension Duration {
    /// The duration in whole milliseconds (rounded toward zero), as the state machines count
    /// simulated and wall-clock time; saturates at the bounds of `Int64`.
    package var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1_000)
        if overflow { return seconds < 0 ? .min : .max }
        return millis.addingReportingOverflow(attoseconds / 1_000_000_000_000_000).overflow
            ? (seconds < 0 ? .min : .max) : millis + attoseconds / 1_000_000_000_000_000
    }
}

extension Duration {
    /// The duration as settings messages show it: `5 s`, `400 ms`, `0 s`.
    package var settingText: String {
        let (seconds, attoseconds) = components
        if attoseconds == 0 { return "\(seconds) s" }
        if attoseconds % 1_000_000_000_000_000 == 0 { return "\(wholeMilliseconds) ms" }
        return "\(self)"
    }
}

/// The one validation rule of every settings type: a setting out of its range is `INVALID`,
/// naming the setting, its range and the value, when the component that takes the settings starts.
package enum SettingCheck {
    /// Refuses `value` outside `range`, naming `setting`.
    package static func check<Value: Comparable>(
        _ setting: String, _ value: Value, in range: ClosedRange<Value>
    ) throws(StoreError) {
        guard range.contains(value) else {
            throw .invalid("\(setting) must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
        }
    }

    /// Refuses `value` below `minimum`, naming `setting`.
    package static func check<Value: Comparable>(_ setting: String, _ value: Value, atLeast minimum: Value)
        throws(StoreError)
    {
        guard value >= minimum else { throw .invalid("\(setting) must be at least \(minimum), not \(value)") }
    }

    /// Refuses a duration above `maximum`, naming `setting`.
    package static func check(_ setting: String, _ value: Duration, atMost maximum: Duration) throws(StoreError) {
        guard value <= maximum else {
            throw .invalid("\(setting) must be at most \(maximum.settingText), not \(value.settingText)")
        }
    }

    /// Refuses a duration below `minimum`, naming `setting`.
    package static func check(_ setting: String, _ value: Duration, atLeast minimum: Duration) throws(StoreError) {
        guard value >= minimum else {
            throw .invalid("\(setting) must be at least \(minimum.settingText), not \(value.settingText)")
        }
    }
}
