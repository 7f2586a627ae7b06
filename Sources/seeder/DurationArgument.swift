import ArgumentParser

/// A length of time on the command line: seconds (`3600`), or a number with units, largest first (`90s`, `45m`,
/// `6h`, `1h30m`, `2d`), as systemd and Go write them.
struct DurationArgument: ExpressibleByArgument, Sendable, Equatable, CustomStringConvertible {
    let seconds: Double

    init?(argument: String) {
        guard let seconds = Self.parse(argument), seconds > 0 else { return nil }
        self.seconds = seconds
    }

    var duration: Duration { .milliseconds(Int64((seconds * 1000).rounded())) }
    var description: String { SummaryFormatter.duration(seconds) }

    static func parse(_ text: String) -> Double? {
        if let plain = Double(text), plain.isFinite { return plain }
        let units: [Character: Double] = ["d": 86_400, "h": 3_600, "m": 60, "s": 1]
        var total = 0.0, number = "", lastUnit = Double.infinity
        for ch in text {
            if ch.isNumber || ch == "." {
                number.append(ch)
            } else if let unit = units[ch], let value = Double(number), unit < lastUnit {
                total += value * unit
                number = ""
                lastUnit = unit
            } else {
                return nil
            }
        }
        return number.isEmpty && lastUnit.isFinite ? total : nil
    }
}
