import Foundation

/// The plain-text form of an ``ExpansionReport`` (`seeder report`): for a terminal or a cron mail.
public enum ReportText {
    public static func render(_ r: ExpansionReport, top: Int = 20) -> String {
        func percent(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
        func dollars(_ x: Double) -> String { x != 0 && abs(x) < 1 ? String(format: "$%.4f", x) : String(format: "$%.2f", x) }
        func name(_ source: String, _ category: String) -> String { "\(source) · \(category.isEmpty ? "(no category)" : category)" }
        let t = r.totals
        var lines = [
            "\(r.job): \(r.model) version \(r.modelVersion), tenant \(r.tenant), \(r.generatedAt)",
            "rows seeded \(t.rows), hit \(t.rowsHit) (\(percent(t.hitRate))), hits \(t.hits), hit density \(String(format: "%.3f", t.hitDensity)) per row, last hit \(t.lastHit ?? "never")",
            "cost: made for \(dollars(r.cost.costToMake)) (\(r.cost.costBasis)\(r.cost.tokens > 0 ? ", \(r.cost.tokens) tokens" : "")), hits saved \(dollars(r.cost.saved)) at \(dollars(r.cost.pricePerEmbedding)) per embedding, net \(dollars(r.cost.net))",
            "",
        ]
        let columns = ["category", "rows", "hit", "hits", "density", "lift", "bound", "verdict", "next", "cost", "saved", "last hit"]
        var table = [columns]
        for c in r.categories.prefix(top) {
            table.append([name(c.source, c.category), "\(c.figures.rows)", "\(c.figures.rowsHit)", "\(c.figures.hits)",
                          String(format: "%.3f", c.figures.hitDensity), String(format: "%.2f", c.lift), String(format: "%.3f", c.upperBound),
                          c.verdict.rawValue, "\(c.nextTexts)", dollars(c.costToMake), dollars(c.saved), c.figures.lastHit ?? "-"])
        }
        let widths = columns.indices.map { i in table.map { $0[i].count }.max() ?? 0 }
        for row in table {
            lines.append(row.enumerated().map { i, cell in
                i == 0 || i == 7 || i == 11 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  "))
        }
        if r.categories.count > top { lines.append("… \(r.categories.count - top) more categories (--top, or --format json/html for all)") }
        lines.append("")
        lines.append("next round: \(r.recommendation.split.reduce(0) { $0 + $1.texts }) of \(r.recommendation.budget) texts")
        for a in r.recommendation.split { lines.append("  \(a.texts)\t\(name(a.source, a.category))\t(\(a.verdict.rawValue))") }
        if r.recommendation.split.isEmpty { lines.append("  none: no category has hits to go on yet") }
        if !r.recommendation.drop.isEmpty {
            lines.append("not worth keeping: " + r.recommendation.drop.map { name($0.source, $0.category) }.joined(separator: ", "))
        }
        lines.append("rule: " + r.recommendation.rule)
        return lines.joined(separator: "\n")
    }
}
