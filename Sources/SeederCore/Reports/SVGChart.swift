import Foundation

/// The three charts of ``ReportHTML``, drawn here as inline SVG so the page needs no script, font or network to
/// show them, and prints as it looks. Every text is escaped and every coordinate goes through ``ReportMarkup/fixed``,
/// which turns NaN and infinities into 0: empty reports, zero hits and zero rows must still give valid SVG.
enum SVGChart {
    static let width = 900.0

    struct Bar {
        var label: String
        var value: Double
        var valueText: String
        var tooltip: String
    }

    /// One bar per entry, longest first as given, labels on the left and the value at the end of each bar.
    static func horizontalBars(id: String, title: String, bars: [Bar], valueAxis: String, categoryAxis: String,
                               emptyMessage: String) -> String {
        let left = 290.0, right = 80.0, top = 28.0, rowHeight = 22.0, bottom = 46.0
        let plotWidth = width - left - right
        let height = top + rowHeight * Double(max(bars.count, 1)) + bottom
        let axisY = height - bottom
        let scale = niceScale(bars.map(\.value).max() ?? 0, integral: true)
        func x(_ v: Double) -> Double { left + plotWidth * v / scale.top }
        var svg = open(id: id, title: title, height: height)
        svg += text(left - 8, 16, categoryAxis, anchor: "end", cls: "axis-title")
        for tick in ticks(scale) {
            svg += line(x(tick), top - 4, x(tick), axisY, cls: "grid")
            svg += text(x(tick), axisY + 16, tickLabel(tick, scale), anchor: "middle", cls: "tick")
        }
        svg += line(left, axisY, left + plotWidth, axisY, cls: "axis") + line(left, top - 4, left, axisY, cls: "axis")
        svg += text(left + plotWidth / 2, height - 8, valueAxis, anchor: "middle", cls: "axis-title")
        if bars.isEmpty { svg += text(left + plotWidth / 2, top + rowHeight / 2 + 4, emptyMessage, anchor: "middle", cls: "empty") }
        for (i, bar) in bars.enumerated() {
            let y = top + rowHeight * Double(i)
            let end = x(max(bar.value, 0))
            svg += "<g><title>\(ReportMarkup.escape(bar.tooltip))</title>"
            svg += text(left - 8, y + 15, truncated(bar.label, to: 42), anchor: "end", cls: "label")
            svg += "<rect class=\"bar\" x=\"\(f(left))\" y=\"\(f(y + 4))\" width=\"\(f(end - left))\" height=\"14\"/>"
            svg += text(end + 5, y + 15, bar.valueText, anchor: "start", cls: "value") + "</g>"
        }
        return svg + "</svg>"
    }

    struct Point {
        var x: Double
        var y: Double
        /// A CSS class that colours the point (`v-expand`, …).
        var cls: String
        var tooltip: String
    }

    /// A scatter plot with x on a log10 scale (values below 1 drawn at 1), a dashed reference line across and a legend.
    static func scatterLogX(id: String, title: String, points: [Point], xAxis: String, yAxis: String,
                            reference: (value: Double, label: String), legend: [(label: String, cls: String)],
                            emptyMessage: String) -> String {
        let left = 70.0, right = 24.0, top = 40.0, bottom = 50.0, height = 420.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let logs = points.map { log10(max($0.x, 1)) }
        let lo = floor(logs.min() ?? 0), hi = max(ceil(logs.max() ?? 1), lo + 1)
        let scale = niceScale(max(points.map(\.y).max() ?? 0, reference.value), integral: false)
        func x(_ v: Double) -> Double { left + plotWidth * (log10(max(v, 1)) - lo) / (hi - lo) }
        func y(_ v: Double) -> Double { top + plotHeight * (1 - v / scale.top) }
        var svg = open(id: id, title: title, height: height)
        for tick in ticks(scale) {
            svg += line(left, y(tick), left + plotWidth, y(tick), cls: "grid")
            svg += text(left - 6, y(tick) + 4, tickLabel(tick, scale), anchor: "end", cls: "tick")
        }
        // Decades, plus 2× and 5× when there are few of them, so a narrow range still has several labels.
        let multiples: [Double] = hi - lo <= 2 ? [1, 2, 5] : [1]
        for decade in Int(lo)...Int(hi) {
            for m in multiples {
                let v = m * pow(10, Double(decade))
                guard log10(v) <= hi + 1e-9 else { continue }
                svg += line(x(v), top, x(v), top + plotHeight, cls: m == 1 ? "grid" : "grid minor")
                svg += text(x(v), top + plotHeight + 16, compact(v), anchor: "middle", cls: "tick")
            }
        }
        svg += line(left, top + plotHeight, left + plotWidth, top + plotHeight, cls: "axis") + line(left, top, left, top + plotHeight, cls: "axis")
        svg += text(left + plotWidth / 2, height - 10, xAxis, anchor: "middle", cls: "axis-title")
        svg += "<text class=\"axis-title\" text-anchor=\"middle\" transform=\"translate(16 \(f(top + plotHeight / 2))) rotate(-90)\">"
            + "\(ReportMarkup.escape(yAxis))</text>"
        var legendX = left
        for item in legend {
            svg += "<circle class=\"point \(item.cls)\" cx=\"\(f(legendX + 5))\" cy=\"16\" r=\"5\"/>"
            svg += text(legendX + 14, 20, item.label, anchor: "start", cls: "label")
            legendX += 24 + 7 * Double(item.label.count)
        }
        let refY = y(reference.value)
        svg += "<line class=\"reference\" x1=\"\(f(left))\" y1=\"\(f(refY))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(refY))\"/>"
        svg += text(left + plotWidth - 4, refY - 5, reference.label, anchor: "end", cls: "reference-label")
        if points.isEmpty { svg += text(left + plotWidth / 2, top + plotHeight / 2, emptyMessage, anchor: "middle", cls: "empty") }
        for p in points {
            svg += "<circle class=\"point \(ReportMarkup.escape(p.cls))\" cx=\"\(f(x(p.x)))\" cy=\"\(f(y(max(p.y, 0))))\" r=\"5\">"
                + "<title>\(ReportMarkup.escape(p.tooltip))</title></circle>"
        }
        return svg + "</svg>"
    }

    struct DayValue {
        /// `YYYY-MM-DD`.
        var day: String
        var value: Double
        var tooltip: String
    }

    /// A line through one value a day, spaced by date (by position when a day doesn't parse or dates go backwards).
    static func daysLine(id: String, title: String, points: [DayValue], yAxis: String, xAxis: String, emptyMessage: String) -> String {
        let left = 70.0, right = 40.0, top = 20.0, bottom = 50.0, height = 300.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let parsed = points.map { dayNumber($0.day) }
        let days = parsed.allSatisfy({ $0 != nil }) && zip(parsed, parsed.dropFirst()).allSatisfy({ $0! < $1! })
            ? parsed.map { Double($0!) } : points.indices.map(Double.init)
        let first = days.first ?? 0, span = (days.last ?? 0) - first
        let scale = niceScale(points.map(\.value).max() ?? 0, integral: true)
        // A single day sits in the middle rather than on the axis.
        func x(_ i: Int) -> Double { span > 0 ? left + plotWidth * (days[i] - first) / span : left + plotWidth / 2 }
        func y(_ v: Double) -> Double { top + plotHeight * (1 - v / scale.top) }
        var svg = open(id: id, title: title, height: height)
        for tick in ticks(scale) {
            svg += line(left, y(tick), left + plotWidth, y(tick), cls: "grid")
            svg += text(left - 6, y(tick) + 4, tickLabel(tick, scale), anchor: "end", cls: "tick")
        }
        svg += line(left, top + plotHeight, left + plotWidth, top + plotHeight, cls: "axis") + line(left, top, left, top + plotHeight, cls: "axis")
        svg += text(left + plotWidth / 2, height - 10, xAxis, anchor: "middle", cls: "axis-title")
        svg += "<text class=\"axis-title\" text-anchor=\"middle\" transform=\"translate(16 \(f(top + plotHeight / 2))) rotate(-90)\">"
            + "\(ReportMarkup.escape(yAxis))</text>"
        guard !points.isEmpty else {
            return svg + text(left + plotWidth / 2, top + plotHeight / 2, emptyMessage, anchor: "middle", cls: "empty") + "</svg>"
        }
        // At most 6 day labels, evenly picked, first and last included, so they never run into each other.
        let labelled = Set((0..<min(points.count, 6)).map { k in
            points.count <= 6 ? k : Int((Double(k) * Double(points.count - 1) / 5).rounded())
        })
        for i in labelled.sorted() {
            svg += line(x(i), top + plotHeight, x(i), top + plotHeight + 4, cls: "axis")
            svg += text(x(i), top + plotHeight + 16, points[i].day, anchor: "middle", cls: "tick")
        }
        if points.count > 1 {
            svg += "<polyline class=\"series\" points=\""
                + points.indices.map { "\(f(x($0))),\(f(y(max(points[$0].value, 0))))" }.joined(separator: " ") + "\"/>"
        }
        for (i, p) in points.enumerated() {
            svg += "<circle class=\"point series-point\" cx=\"\(f(x(i)))\" cy=\"\(f(y(max(p.value, 0))))\" r=\"4\">"
                + "<title>\(ReportMarkup.escape(p.tooltip))</title></circle>"
        }
        return svg + "</svg>"
    }

    // MARK: Pieces

    private static func open(id: String, title: String, height: Double) -> String {
        let t = ReportMarkup.escape(title)
        return "<svg id=\"\(ReportMarkup.escape(id))\" class=\"chart\" role=\"img\" aria-label=\"\(t)\" "
            + "xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\">"
            + "<title>\(t)</title>"
    }

    private static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, cls: String) -> String {
        "<line class=\"\(cls)\" x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\"/>"
    }

    private static func text(_ x: Double, _ y: Double, _ s: String, anchor: String, cls: String) -> String {
        "<text class=\"\(cls)\" x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\">\(ReportMarkup.escape(s))</text>"
    }

    private static func f(_ v: Double) -> String { ReportMarkup.fixed(v, 1) }

    private static func truncated(_ s: String, to count: Int) -> String { s.count <= count ? s : s.prefix(count - 1) + "…" }

    /// An axis from 0 to a round number at or above `max`, in steps of 1, 2 or 5 × a power of ten (never below 1
    /// for counts); 0..1 when there is nothing to show.
    static func niceScale(_ max: Double, integral: Bool) -> (top: Double, step: Double) {
        let m = max.isFinite && max > 0 ? max : 1
        let raw = m / 5, magnitude = pow(10, floor(log10(raw)))
        let fraction = raw / magnitude
        var step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude
        if integral { step = Swift.max(step.rounded(), 1) }
        return (Swift.max(ceil(m / step - 1e-9) * step, step), step)
    }

    private static func ticks(_ scale: (top: Double, step: Double)) -> [Double] {
        let n = Int((scale.top / scale.step).rounded())
        return (0...max(n, 1)).map { Double($0) * scale.step }
    }

    private static func tickLabel(_ v: Double, _ scale: (top: Double, step: Double)) -> String {
        let decimals = scale.step >= 1 ? 0 : Int(ceil(-log10(scale.step) - 1e-9))
        return decimals == 0 ? compact(v) : ReportMarkup.fixed(v, decimals)
    }

    /// 1, 20, 500, 1k, 2.5k, 1M: short enough for an axis.
    static func compact(_ v: Double) -> String {
        for (limit, suffix) in [(1e9, "B"), (1e6, "M"), (1e3, "k")] where abs(v) >= limit {
            let s = ReportMarkup.fixed(v / limit, 1)
            return (s.hasSuffix(".0") ? String(s.dropLast(2)) : s) + suffix
        }
        return ReportMarkup.fixed(v, 0)
    }

    /// Days since 1970-01-01 of a `YYYY-MM-DD` date (Howard Hinnant's days_from_civil), nil when it isn't one.
    static func dayNumber(_ s: String) -> Int? {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, let y0 = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        return era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
    }
}

/// Escaping and number formatting for the HTML report: fixed decimals and "," grouping done by hand, so no locale
/// changes the output, and never "nan" or "inf".
enum ReportMarkup {
    /// Text safe both between tags and inside a quoted attribute. Control characters other than tab and newlines
    /// become U+FFFD: HTML doesn't allow them.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value): out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `v` with `decimals` decimals and a "." (0 for NaN and infinities; no "-0").
    static func fixed(_ v: Double, _ decimals: Int) -> String {
        guard v.isFinite else { return decimals > 0 ? "0." + String(repeating: "0", count: decimals) : "0" }
        let s = String(format: "%.\(decimals)f", v)
        return s.hasPrefix("-") && s.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) ? String(s.dropFirst()) : s
    }

    /// 1,234,567.
    static func integer<T: BinaryInteger>(_ v: T) -> String { grouped(String(v)) }

    /// A share as a percentage with one decimal: 0.1234 → 12.3%.
    static func percent(_ share: Double) -> String { fixed(share * 100, 1) + "%" }

    /// Dollars: 2 decimals from $1 up, more below so that $0.0001 a call doesn't show as $0.00 (trailing zeros past
    /// the second trimmed).
    static func dollars(_ v: Double) -> String {
        let a = v.isFinite ? abs(v) : 0
        var s = fixed(a, a == 0 || a >= 1 ? 2 : a >= 0.01 ? 4 : 6)
        while s.hasSuffix("0"), let dot = s.firstIndex(of: "."), s.distance(from: dot, to: s.endIndex) > 3 { s.removeLast() }
        let negative = v < 0 && s.contains(where: { $0 != "0" && $0 != "." })
        return (negative ? "-$" : "$") + grouped(s)
    }

    /// "," every three digits of the integer part.
    private static func grouped(_ s: String) -> String {
        let sign = s.hasPrefix("-") ? "-" : ""
        let body = s.dropFirst(sign.count)
        let intPart = body.prefix { $0 != "." }, rest = body.dropFirst(intPart.count)
        var out = ""
        for (i, c) in intPart.enumerated() {
            if i > 0 && (intPart.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return sign + out + rest
    }
}
