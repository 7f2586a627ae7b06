import XCTest
@testable import SeederCore

/// The HTML report's markup: escaping of the report's strings, the charts, the table, and numbers that never come out
/// as "nan" or in a locale's format. ReportBrowserTests loads it in a real browser.
final class ReportHTMLTests: XCTestCase {
    static let hostile = "<script>alert(1)</script>\"'&"

    static func category(_ source: String, _ category: String, rows: Int64, rowsHit: Int64, hits: Int64, verdict: ExpansionReport.Verdict,
                         nextTexts: Int = 0) -> ExpansionReport.CategoryFigures {
        .init(source: source, category: category, figures: .init(rows: rows, rowsHit: rowsHit, hits: hits, lastHit: hits > 0 ? "2026-11-22 10:00:00" : nil),
              lift: 1.5, upperBound: 0.8126, verdict: verdict, nextTexts: nextTexts, costToMake: 0.125, saved: 0.05)
    }

    /// Totals 12,345 rows, 1,234 hit, 5,000 hits; three categories, one of them hostile.
    static func smallReport() -> ExpansionReport {
        ExpansionReport(
            job: "wiki & co", model: "minilm-l6", modelVersion: "3", tenant: "acme", generatedAt: "2026-11-23T06:00:00Z",
            totals: .init(rows: 12_345, rowsHit: 1_234, hits: 5_000, lastHit: "2026-11-22 10:00:00"),
            categories: [
                category("wikipedia", "Physics", rows: 10_000, rowsHit: 1_000, hits: 4_500, verdict: .expand, nextTexts: 700),
                category("wikipedia", hostile, rows: 45, rowsHit: 34, hits: 500, verdict: .explore, nextTexts: 300),
                category("wordnet", "", rows: 2_300, rowsHit: 200, hits: 0, verdict: .drop),
            ],
            recommendation: .init(rule: "Upper bound <b>UCB</b>", budget: 1_000,
                                  split: [.init(source: "wikipedia", category: "Physics", texts: 700, verdict: .expand),
                                          .init(source: "wikipedia", category: hostile, texts: 300, verdict: .explore)],
                                  drop: [.init(source: "wordnet", category: "")]),
            cost: .init(pricePerEmbedding: 0.0001, tokens: 1_500_000, costToMake: 0.3, costBasis: "runs", saved: 0.5),
            history: [.init(day: "2026-11-21", rows: 12_000, rowsHit: 1_000, hits: 4_000),
                      .init(day: "2026-11-23", rows: 12_345, rowsHit: 1_234, hits: 5_000)])
    }

    static func emptyReport() -> ExpansionReport {
        ExpansionReport(job: "empty", model: "m", modelVersion: "1", tenant: "t", generatedAt: "2026-11-23T06:00:00Z", totals: .init(),
                        categories: [], recommendation: .init(rule: "", budget: 0, split: [], drop: []),
                        cost: .init(pricePerEmbedding: 0, tokens: 0, costToMake: 0, costBasis: "per-embedding", saved: 0), history: [])
    }

    /// Whether the page outside its scripts (the sort script says `-Infinity`) has a NaN or an infinity as a word.
    func hasNaNOrInfinity(_ html: String) -> Bool {
        let markup = html.replacingOccurrences(of: "<script>[\\s\\S]*?</script>", with: "", options: .regularExpression)
        return markup.range(of: "(?i)\\b(nan|inf|infinity)\\b", options: .regularExpression) != nil
    }

    func categoryRows(_ html: String) throws -> Int {
        let start = try XCTUnwrap(html.range(of: "<table id=\"category-table\""))
        let end = try XCTUnwrap(html.range(of: "</table>", range: start.upperBound..<html.endIndex))
        let table = html[start.upperBound..<end.lowerBound]
        let body = try XCTUnwrap(table.range(of: "<tbody>"))
        return table[body.upperBound...].components(separatedBy: "<tr>").count - 1
    }

    func testHostileStringsAppearOnlyEscaped() {
        var report = Self.smallReport()
        report.job = Self.hostile
        report.tenant = Self.hostile
        let html = ReportHTML.render(report)
        XCTAssertFalse(html.contains("alert(1)</script>"))
        XCTAssertFalse(html.contains("<script>alert"))
        XCTAssertFalse(html.contains("\"'&<"))
        XCTAssertFalse(html.contains("<b>UCB</b>"))
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"))
        XCTAssertTrue(html.contains("<title>seeder report: &lt;script&gt;"))
        // Only the report's own two scripts (error recorder and sorter).
        XCTAssertEqual(html.components(separatedBy: "<script").count - 1, 2)
        XCTAssertEqual(html.components(separatedBy: "</script>").count - 1, 2)
        // And nothing of the report inside them.
        for script in html.components(separatedBy: "<script>").dropFirst() {
            XCTAssertFalse(script.components(separatedBy: "</script>")[0].contains("alert"))
        }
    }

    func testChartsAreInlineSVGWithTheirIDsTitlesAndLabels() {
        let html = ReportHTML.render(Self.smallReport())
        for id in ["chart-hits-by-category", "chart-density-vs-rows", "chart-hits-over-time"] {
            XCTAssertTrue(html.contains("<svg id=\"\(id)\" class=\"chart\" role=\"img\" aria-label=\""), id)
        }
        XCTAssertEqual(html.components(separatedBy: "<svg ").count - 1, 3)
        XCTAssertTrue(html.contains(">wikipedia · Physics</text>"))
        XCTAssertTrue(html.contains(">wordnet · (none)</text>"))
        XCTAssertTrue(html.contains(">4,500</text>"))
        XCTAssertTrue(html.contains(">rows seeded (log scale)</text>"))
        XCTAssertTrue(html.contains("class=\"reference\""))
        XCTAssertTrue(html.contains(">average 0.405</text>"))
        XCTAssertTrue(html.contains(">2026-11-21</text>"))
        XCTAssertTrue(html.contains("<polyline class=\"series\""))
        XCTAssertFalse(html.contains("src=") || html.contains("href=") || html.contains("@import") || html.contains("url("))
    }

    func testEmptyReportRendersWithoutNaNOrInfinity() throws {
        let html = ReportHTML.render(Self.emptyReport())
        XCTAssertFalse(hasNaNOrInfinity(html))
        XCTAssertTrue(html.contains("no history yet: each `seeder report` records one point a day"))
        XCTAssertTrue(html.contains(">no categories yet</text>"))
        XCTAssertEqual(try categoryRows(html), 0)
        XCTAssertTrue(html.contains("<dt>hit rate</dt><dd>0.0%</dd>"))
        XCTAssertTrue(html.contains("<dt>last hit</dt><dd>never</dd>"))
    }

    func testOneCategoryWithoutHitsOrRowsAndOneHistoryPoint() throws {
        var report = Self.emptyReport()
        report.categories = [Self.category("lines", "x", rows: 0, rowsHit: 0, hits: 0, verdict: .explore)]
        report.history = [.init(day: "2026-11-23", rows: 0, rowsHit: 0, hits: 0)]
        let html = ReportHTML.render(report)
        XCTAssertFalse(hasNaNOrInfinity(html))
        XCTAssertEqual(try categoryRows(html), 1)
        XCTAssertTrue(html.contains("<circle class=\"point series-point\""))
        XCTAssertFalse(html.contains("<polyline"))
    }

    func testCategoryTableHasOneRowPerCategoryWithSortableValues() throws {
        let html = ReportHTML.render(Self.smallReport())
        XCTAssertEqual(try categoryRows(html), 3)
        XCTAssertTrue(html.contains("<th scope=\"col\" data-sort=\"num\" class=\"n\">rows hit</th>"))
        XCTAssertTrue(html.contains("<td class=\"n\" data-v=\"10000\">10,000</td>"))
        XCTAssertTrue(html.contains("<td class=\"n\" data-v=\"0.450000\">0.450</td>"))
        XCTAssertTrue(html.contains("<td class=\"n\" data-v=\"1.500000\">1.50</td>"))
        XCTAssertTrue(html.contains("<td class=\"n\" data-v=\"0.812600\">0.813</td>"))
        XCTAssertTrue(html.contains("<td class=\"n\" data-v=\"0.12500000\">$0.125</td>"))
        XCTAssertTrue(html.contains("<td data-v=\"drop\"><span class=\"verdict v-drop\">drop</span></td>"))
        XCTAssertTrue(html.contains("<td>wordnet</td><td class=\"wrap\"><i>(none)</i></td>"))
        XCTAssertTrue(html.contains("<li>wordnet · (none)</li>"))
    }

    func testAWholeWikipediaOfCategoriesListsTheHottestAndTheNamedOnes() throws {
        var report = Self.smallReport()
        let many = (0..<(ReportHTML.maxListed + 200)).map { Self.category("wikipedia", "c\($0)", rows: 10, rowsHit: 1, hits: 1, verdict: .keep) }
        report.categories = many + report.categories  // the split's and the drop list's come last, past the cap
        let html = ReportHTML.render(report)
        XCTAssertEqual(try categoryRows(html), ReportHTML.maxListed + 3)
        XCTAssertTrue(html.contains("<h2>Categories (\(ReportHTML.maxListed + 203))</h2>"))
        XCTAssertTrue(html.contains("--format json lists all \(ReportHTML.maxListed + 203)"))
        XCTAssertTrue(html.contains("<td>wordnet</td>"), "a category the recommendation names is listed past the cap")
        XCTAssertFalse(html.contains(">c1100<"))
    }

    func testSummaryNumbers() {
        let html = ReportHTML.render(Self.smallReport())
        for expected in [
            "<dt>rows seeded</dt><dd>12,345</dd>", "<dt>rows hit</dt><dd>1,234</dd>", "<dt>hit rate</dt><dd>10.0%</dd>",
            "<dt>hits</dt><dd>5,000</dd>", "<dt>hit density</dt><dd>0.405<small>hits per row</small></dd>",
            "<dt>last hit</dt><dd>2026-11-22 10:00:00</dd>", "<dt>cost to make</dt><dd>$0.30<small>basis: runs</small></dd>",
            "<dt>saved</dt><dd>$0.50</dd>", "<div class=\"positive\"><dt>net</dt><dd>$0.20</dd>",
            "<dt>price per embedding</dt><dd>$0.0001</dd>", "<dt>tokens</dt><dd>1,500,000</dd>",
            "<b>1,000 texts</b>", "<td class=\"n\">700</td>",
        ] {
            XCTAssertTrue(html.contains(expected), expected)
        }
    }

    func testTheNaNCheckSeesNaN() {
        XCTAssertTrue(hasNaNOrInfinity("<circle cx=\"nan\"/>"))
        XCTAssertTrue(hasNaNOrInfinity("<text>-inf</text>"))
        XCTAssertFalse(hasNaNOrInfinity("tenant information<script>-Infinity</script>"))
    }

    func testNumberFormatting() {
        XCTAssertEqual(ReportMarkup.fixed(.nan, 2), "0.00")
        XCTAssertEqual(ReportMarkup.fixed(-.infinity, 0), "0")
        XCTAssertEqual(ReportMarkup.fixed(-0.0001, 2), "0.00")
        XCTAssertEqual(ReportMarkup.fixed(2.5, 3), "2.500")
        XCTAssertEqual(ReportMarkup.integer(Int64(-1_234_567)), "-1,234,567")
        XCTAssertEqual(ReportMarkup.integer(999), "999")
        XCTAssertEqual(ReportMarkup.dollars(1234.5), "$1,234.50")
        XCTAssertEqual(ReportMarkup.dollars(-2), "-$2.00")
        XCTAssertEqual(ReportMarkup.dollars(0.00003), "$0.00003")
        XCTAssertEqual(ReportMarkup.dollars(-0.0000001), "$0.00")
        XCTAssertEqual(ReportMarkup.percent(0.25), "25.0%")
        XCTAssertEqual(SVGChart.compact(25_000), "25k")
        XCTAssertEqual(SVGChart.compact(1_500_000), "1.5M")
        XCTAssertEqual(SVGChart.niceScale(0, integral: true).top, 1)
        XCTAssertEqual(SVGChart.niceScale(4_500, integral: true).top, 5_000)
        XCTAssertEqual(SVGChart.niceScale(0.405, integral: false).step, 0.1)
        XCTAssertEqual(SVGChart.dayNumber("1970-01-02"), 1)
        XCTAssertEqual(SVGChart.dayNumber("2026-11-23")! - SVGChart.dayNumber("2026-10-24")!, 30)
        XCTAssertNil(SVGChart.dayNumber("yesterday"))
    }
}
