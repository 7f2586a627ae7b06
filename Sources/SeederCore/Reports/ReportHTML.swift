import Foundation

/// ``ExpansionReport`` as one self-contained HTML5 file: inline CSS, charts as inline SVG drawn here, and a small
/// inline script that only adds click-to-sort to the category table. Opens from disk without server or network, reads
/// the same with JavaScript off, and prints.
///
/// Every string of the report (job, categories, the rule…) is untrusted and escaped; the script carries no data (it
/// sorts by reading the table), so nothing from the report ever lands inside it.
public enum ReportHTML {
    /// The whole page.
    public static func render(_ report: ExpansionReport) -> String {
        let e = ReportMarkup.escape
        var html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>seeder report: \(e(report.job))</title>
        <style>\(style)</style>
        <script>\(errorScript)</script>
        </head>
        <body>
        <header>
        <h1>Expansion report: \(e(report.job))</h1>
        <p class="meta">model <b>\(e(report.model))</b> version <b>\(e(report.modelVersion))</b> · tenant <b>\(e(report.tenant))</b> · generated at <b>\(e(report.generatedAt))</b></p>
        </header>

        """
        let listed = shown(report)
        html += summary(report) + charts(report, listed: listed) + recommendation(report.recommendation)
            + categoryTable(listed, of: report.categories.count)
        html += "<script>\(sortScript)</script>\n</body>\n</html>\n"
        return html
    }

    /// Categories the scatter and the table show at most: a whole Wikipedia has about a million, which no page should
    /// hold (`--format json` lists every one).
    static let maxListed = 1_000

    /// The hottest ``maxListed`` categories, and any other the recommendation names.
    static func shown(_ report: ExpansionReport) -> [ExpansionReport.CategoryFigures] {
        guard report.categories.count > maxListed else { return report.categories }
        var named = Set(report.recommendation.split.map { ExpansionReport.CategoryName(source: $0.source, category: $0.category) })
        named.formUnion(report.recommendation.drop)
        return report.categories.enumerated().filter { index, c in
            index < maxListed || named.contains(ExpansionReport.CategoryName(source: c.source, category: c.category))
        }.map(\.element)
    }

    // MARK: Sections

    private static func summary(_ report: ExpansionReport) -> String {
        let t = report.totals, c = report.cost
        func item(_ label: String, _ value: String, note: String? = nil, cls: String = "") -> String {
            let n = note.map { "<small>\(ReportMarkup.escape($0))</small>" } ?? ""
            return "<div\(cls.isEmpty ? "" : " class=\"\(cls)\"")><dt>\(label)</dt><dd>\(ReportMarkup.escape(value))\(n)</dd></div>"
        }
        let totals = [
            item("rows seeded", ReportMarkup.integer(t.rows)),
            item("rows hit", ReportMarkup.integer(t.rowsHit)),
            item("hit rate", ReportMarkup.percent(t.hitRate)),
            item("hits", ReportMarkup.integer(t.hits)),
            item("hit density", ReportMarkup.fixed(t.hitDensity, 3), note: "hits per row"),
            item("last hit", t.lastHit ?? "never"),
        ]
        let cost = [
            item("cost to make", ReportMarkup.dollars(c.costToMake), note: "basis: \(c.costBasis)"),
            item("saved", ReportMarkup.dollars(c.saved)),
            item("net", ReportMarkup.dollars(c.net), cls: c.net < 0 ? "negative" : "positive"),
            item("price per embedding", ReportMarkup.dollars(c.pricePerEmbedding)),
            item("tokens", ReportMarkup.integer(c.tokens)),
        ]
        return "<section id=\"summary\"><h2>Totals</h2><dl class=\"strip\">\(totals.joined())</dl>\n"
            + "<h2>Cost</h2><dl class=\"strip\">\(cost.joined())</dl></section>\n"
    }

    private static func charts(_ report: ExpansionReport, listed: [ExpansionReport.CategoryFigures]) -> String {
        let top = report.categories.enumerated()
            .sorted { ($0.element.figures.hits, $1.offset) > ($1.element.figures.hits, $0.offset) }
            .prefix(20).map(\.element)
        let bars = SVGChart.horizontalBars(
            id: "chart-hits-by-category", title: "Hits by category (top \(top.count) of \(report.categories.count))",
            bars: top.map { c in
                SVGChart.Bar(label: name(c.source, c.category), value: Double(c.figures.hits),
                             valueText: ReportMarkup.integer(c.figures.hits), tooltip: tooltip(c))
            },
            valueAxis: "hits", categoryAxis: "source · category", emptyMessage: "no categories yet")
        let average = report.totals.hitDensity
        let scatter = SVGChart.scatterLogX(
            id: "chart-density-vs-rows", title: "Hit density against rows seeded, by category",
            points: listed.map { c in
                SVGChart.Point(x: Double(c.figures.rows), y: c.figures.hitDensity, cls: "v-\(c.verdict.rawValue)", tooltip: tooltip(c))
            },
            xAxis: "rows seeded (log scale)", yAxis: "hit density (hits per row)",
            reference: (average, "average \(ReportMarkup.fixed(average, 3))"),
            legend: verdicts.map { ($0.rawValue, "v-\($0.rawValue)") }, emptyMessage: "no categories yet")
        let history = SVGChart.daysLine(
            id: "chart-hits-over-time", title: "Total hits over time, one point a day",
            points: report.history.map { p in
                SVGChart.DayValue(day: p.day, value: Double(p.hits), tooltip: "\(p.day): \(ReportMarkup.integer(p.hits)) hits, "
                    + "\(ReportMarkup.integer(p.rowsHit)) of \(ReportMarkup.integer(p.rows)) rows hit")
            },
            yAxis: "hits", xAxis: "day (UTC)", emptyMessage: "no history yet: each `seeder report` records one point a day")
        return """
        <section id="charts">
        <h2>Hits by category</h2><figure>\(bars)</figure>
        <h2>Hit density against rows seeded</h2><figure>\(scatter)<figcaption>Each point is a category; the dashed line is the average density. Hover a point for its figures.</figcaption></figure>
        <h2>Hits over time</h2><figure>\(history)</figure>
        </section>

        """
    }

    private static func recommendation(_ r: ExpansionReport.Recommendation) -> String {
        let e = ReportMarkup.escape
        var html = "<section id=\"recommendation\"><h2>Recommendation</h2>\n<p class=\"rule\">\(e(r.rule))</p>\n"
        html += "<p>Budget for the next round: <b>\(ReportMarkup.integer(r.budget)) texts</b></p>\n"
        if r.split.isEmpty {
            html += "<p>No category qualifies for the next round.</p>\n"
        } else {
            html += "<table id=\"split-table\"><thead><tr><th scope=\"col\">category</th><th scope=\"col\">verdict</th>"
                + "<th scope=\"col\" class=\"n\">texts</th></tr></thead><tbody>\n"
            for a in r.split {
                html += "<tr><td>\(e(name(a.source, a.category)))</td><td>\(verdictBadge(a.verdict))</td>"
                    + "<td class=\"n\">\(ReportMarkup.integer(a.texts))</td></tr>\n"
            }
            html += "</tbody></table>\n"
        }
        html += "<h3>Drop</h3>\n"
        html += r.drop.isEmpty
            ? "<p>Nothing to drop.</p>\n"
            : "<ul id=\"drop-list\">" + r.drop.map { "<li>\(e(name($0.source, $0.category)))</li>" }.joined() + "</ul>\n"
        return html + "</section>\n"
    }

    /// Numeric cells carry their raw value in `data-v` so the script sorts numbers, not their formatted text.
    private static func categoryTable(_ categories: [ExpansionReport.CategoryFigures], of total: Int) -> String {
        let e = ReportMarkup.escape
        let columns: [(String, Bool)] = [
            ("source", false), ("category", false), ("rows", true), ("rows hit", true), ("hits", true), ("density", true),
            ("lift", true), ("upper bound", true), ("verdict", false), ("next texts", true), ("cost to make", true),
            ("saved", true), ("last hit", false),
        ]
        var html = "<section id=\"categories\"><h2>Categories (\(total))</h2>\n"
        if categories.count < total {
            html += "<p class=\"note\">The \(categories.count) hottest, and those the recommendation names; --format json lists all \(total).</p>\n"
        }
        html += "<div class=\"scroll\">"
        html += "<table id=\"category-table\" class=\"sortable\"><thead><tr>"
        html += columns.map { "<th scope=\"col\" data-sort=\"\($1 ? "num" : "text")\"\($1 ? " class=\"n\"" : "")>\($0)</th>" }.joined()
        html += "</tr></thead>\n<tbody>\n"
        func num(_ raw: String, _ shown: String) -> String { "<td class=\"n\" data-v=\"\(raw)\">\(e(shown))</td>" }
        for c in categories {
            let f = c.figures
            html += "<tr><td>\(e(c.source))</td><td class=\"wrap\">\(c.category.isEmpty ? "<i>(none)</i>" : e(c.category))</td>"
            html += num(String(f.rows), ReportMarkup.integer(f.rows)) + num(String(f.rowsHit), ReportMarkup.integer(f.rowsHit))
            html += num(String(f.hits), ReportMarkup.integer(f.hits))
            html += num(ReportMarkup.fixed(f.hitDensity, 6), ReportMarkup.fixed(f.hitDensity, 3))
            html += num(ReportMarkup.fixed(c.lift, 6), ReportMarkup.fixed(c.lift, 2))
            html += num(ReportMarkup.fixed(c.upperBound, 6), ReportMarkup.fixed(c.upperBound, 3))
            html += "<td data-v=\"\(c.verdict.rawValue)\">\(verdictBadge(c.verdict))</td>"
            html += num(String(c.nextTexts), ReportMarkup.integer(c.nextTexts))
            html += num(ReportMarkup.fixed(c.costToMake, 8), ReportMarkup.dollars(c.costToMake))
            html += num(ReportMarkup.fixed(c.saved, 8), ReportMarkup.dollars(c.saved))
            html += "<td>\(e(f.lastHit ?? ""))</td></tr>\n"
        }
        return html + "</tbody></table></div></section>\n"
    }

    // MARK: Pieces

    private static let verdicts: [ExpansionReport.Verdict] = [.expand, .explore, .keep, .drop]

    /// "source · category", with a visible stand-in for records without a category.
    static func name(_ source: String, _ category: String) -> String { "\(source) · \(category.isEmpty ? "(none)" : category)" }

    private static func tooltip(_ c: ExpansionReport.CategoryFigures) -> String {
        let f = c.figures
        return "\(name(c.source, c.category)): \(ReportMarkup.integer(f.rows)) rows, \(ReportMarkup.integer(f.rowsHit)) hit, "
            + "\(ReportMarkup.integer(f.hits)) hits, density \(ReportMarkup.fixed(f.hitDensity, 3)), "
            + "lift \(ReportMarkup.fixed(c.lift, 2)), \(c.verdict.rawValue)"
    }

    private static func verdictBadge(_ v: ExpansionReport.Verdict) -> String { "<span class=\"verdict v-\(v.rawValue)\">\(v.rawValue)</span>" }

    // MARK: Style and script

    private static let style = """
    :root{color-scheme:light;--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--bar:#3b6fb6;--expand:#1a7f37;--explore:#0969da;--keep:#6e7781;--drop:#cf222e}
    *{box-sizing:border-box}
    body{margin:0 auto;max-width:1200px;padding:24px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#fff}
    h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:16px 0 6px}
    .meta{color:var(--muted);margin:0}
    .strip{display:flex;flex-wrap:wrap;gap:8px;margin:0}
    .strip div{border:1px solid var(--line);border-radius:6px;padding:6px 12px;min-width:130px}
    .strip dt{font-size:12px;color:var(--muted)}.strip dd{margin:0;font-size:18px;font-weight:600;font-variant-numeric:tabular-nums}
    .strip small{display:block;font-size:11px;font-weight:400;color:var(--muted)}
    .negative dd{color:var(--drop)}.positive dd{color:var(--expand)}
    figure{margin:0}figcaption{font-size:12px;color:var(--muted)}
    svg.chart{display:block;max-width:100%;height:auto;font-family:inherit}
    svg text{font-size:12px;fill:var(--ink)}svg .tick{fill:var(--muted);font-size:11px}svg .axis-title{font-weight:600;fill:var(--muted)}
    svg .empty{fill:var(--muted);font-style:italic}svg .value{font-size:11px;font-variant-numeric:tabular-nums}
    svg .grid{stroke:#eaeef2}svg .grid.minor{stroke-dasharray:2 3}svg .axis{stroke:#8c959f}
    svg .bar{fill:var(--bar)}svg .reference{stroke:var(--ink);stroke-dasharray:6 4;stroke-width:1.2}svg .reference-label{font-size:11px;paint-order:stroke;stroke:#fff;stroke-width:3px}
    svg .point{stroke:#fff;stroke-width:1;fill-opacity:.85}svg .series{fill:none;stroke:var(--bar);stroke-width:2}svg .series-point{fill:var(--bar)}
    svg .v-expand{fill:var(--expand)}svg .v-explore{fill:var(--explore)}svg .v-keep{fill:var(--keep)}svg .v-drop{fill:var(--drop)}
    .rule{background:#f6f8fa;border-left:3px solid var(--line);padding:8px 12px;margin:0 0 8px}
    .scroll{overflow-x:auto}
    table{border-collapse:collapse;font-variant-numeric:tabular-nums}th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
    th{font-size:12px;color:var(--muted);white-space:nowrap}td.n,th.n{text-align:right}td{white-space:nowrap}td.wrap{white-space:normal;overflow-wrap:anywhere;min-width:12em}
    th button{font:inherit;color:inherit;background:none;border:0;padding:0;cursor:pointer;text-align:inherit}
    th[aria-sort=ascending] button::after{content:" \\25B2"}th[aria-sort=descending] button::after{content:" \\25BC"}
    .verdict{font-size:12px;font-weight:600;padding:1px 6px;border-radius:10px;color:#fff}
    .verdict.v-expand{background:var(--expand)}.verdict.v-explore{background:var(--explore)}.verdict.v-keep{background:var(--keep)}.verdict.v-drop{background:var(--drop)}
    @media print{body{max-width:none;padding:0;font-size:11px}td{white-space:normal}h2{break-after:avoid}figure,tr{break-inside:avoid}.scroll{overflow:visible}
    *{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
    @page{margin:12mm}
    """

    /// In the head, before anything else runs, so that even a syntax error in the sort script is recorded: a
    /// headless browser test reads these attributes and the title from the dumped DOM.
    private static let errorScript = """
    window.addEventListener('error', function (event) {
      var root = document.documentElement;
      root.dataset.scriptErrors = String((parseInt(root.dataset.scriptErrors || '0', 10) || 0) + 1);
      document.title = 'script error: ' + (event.message || 'unknown');
    });
    """

    /// Click a header to sort by it (numbers by `data-v`, descending first; text ascending first), again to reverse.
    private static let sortScript = """
    (function () {
      'use strict';
      var table = document.getElementById('category-table');
      var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
      heads.forEach(function (th, column) {
        var button = document.createElement('button');
        button.type = 'button';
        button.textContent = th.textContent;
        th.textContent = '';
        th.appendChild(button);
        button.addEventListener('click', function () {
          var numeric = th.getAttribute('data-sort') === 'num';
          var current = th.getAttribute('aria-sort');
          var ascending = current ? current !== 'ascending' : !numeric;
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows).map(function (row, index) {
            var cell = row.cells[column];
            var raw = cell.hasAttribute('data-v') ? cell.getAttribute('data-v') : cell.textContent;
            var key = numeric ? parseFloat(raw) : raw.toLowerCase();
            return { row: row, key: numeric && isNaN(key) ? -Infinity : key, index: index };
          });
          rows.sort(function (a, b) {
            var order = a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
            return order !== 0 ? (ascending ? order : -order) : a.index - b.index;
          });
          rows.forEach(function (entry) { body.appendChild(entry.row); });
          heads.forEach(function (other) { other.removeAttribute('aria-sort'); });
          th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        });
      });
      document.documentElement.dataset.scriptStatus = 'ok';
    })();
    """
}
