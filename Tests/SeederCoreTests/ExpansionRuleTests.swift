import Foundation
@testable import SeederCore
import XCTest

/// The report's arithmetic with numbers worked out by hand, the `[select]` table, the emitted job's text, and the
/// query log's lines.
final class ExpansionRuleTests: XCTestCase {
    func testBoundsAndVerdictsWorkedOutByHand() {
        let rule = ExpansionRule()
        // average 0.5, 10 rows, 10 hits: α = 0.5·10 + 10 = 15, β = 20; mean 0.75, sd √15/20 = 0.193649; bound 1.068553.
        let (mean, upper) = rule.bounds(rows: 10, hits: 10, average: 0.5)
        XCTAssertEqual(mean, 0.75, accuracy: 1e-12)
        XCTAssertEqual(upper, 0.75 + 1.645 * 15.0.squareRoot() / 20, accuracy: 1e-12)
        XCTAssertEqual(upper, 1.068553, accuracy: 1e-6)
        XCTAssertEqual(rule.verdict(rows: 10, hits: 10, average: 0.5), .explore, "under 20 rows, bound above the average")
        XCTAssertEqual(rule.verdict(rows: 100, hits: 80, average: 0.5), .expand)   // mean (5+80)/110 = 0.773
        XCTAssertEqual(rule.verdict(rows: 100, hits: 45, average: 0.5), .keep)     // mean 50/110 = 0.455
        // 400 rows, no hits: α = 5, β = 410; bound 5/410 + 1.645·√5/410 = 0.02117 < 0.125: drop.
        XCTAssertEqual(rule.verdict(rows: 400, hits: 0, average: 0.5), .drop)
        XCTAssertEqual(rule.verdict(rows: 30, hits: 0, average: 0.5), .keep, "30 rows without hits: bound 0.214, not yet below a quarter")
        XCTAssertEqual(rule.verdict(rows: 5, hits: 0, average: 0), .explore)
    }

    func testTheSplitIsProportionalToTheBoundsByLargestRemainder() {
        let rule = ExpansionRule()
        func name(_ c: String) -> ExpansionReport.CategoryName { .init(source: "s", category: c) }
        // Bounds 3, 2, 1 (and a kept and a dropped one, which get nothing): 10 texts → 5, 3.33, 1.67 → 5, 3, 2.
        let split = rule.split(budget: 10, among: [(name("a"), 3, .expand), (name("k"), 9, .keep), (name("b"), 2, .explore),
                                                   (name("c"), 1, .expand), (name("d"), 5, .drop)])
        XCTAssertEqual(split.map(\.category), ["a", "b", "c"])
        XCTAssertEqual(split.map(\.texts), [5, 3, 2])
        XCTAssertEqual(rule.split(budget: 0, among: [(name("a"), 3, .expand)]), [])
        XCTAssertEqual(rule.split(budget: 10, among: [(name("a"), 0, .explore)]), [], "no hits at all: nothing to go on")
        var narrow = rule
        narrow.maxCategories = 1
        XCTAssertEqual(narrow.split(budget: 4, among: [(name("a"), 1, .expand), (name("b"), 2, .expand)]).map(\.category), ["b"])
    }

    func testATallyCountsEachRowOnceInTotalsAndOnceInEachOfItsCategories() {
        var tally = CategoryTally()
        tally.add(source: "wikipedia", category: "A|B", hits: 3, lastHit: "2026-11-20T10:00:00.123Z", textBytes: 10)
        tally.add(source: "wikipedia", category: "B", hits: 0, lastHit: nil, textBytes: 30)
        tally.add(source: "wordnet", category: "", hits: 1, lastHit: "2026-11-21 09:00:00.5", textBytes: 5)
        var other = CategoryTally()
        other.add(source: "wikipedia", category: "A", hits: 2, lastHit: "2026-11-22 08:00:00", textBytes: 1)
        tally.merge(other)
        XCTAssertEqual(tally.totals, ExpansionReport.Figures(rows: 4, rowsHit: 3, hits: 6, lastHit: "2026-11-22 08:00:00"))
        XCTAssertEqual(tally.textBytes, 46)
        XCTAssertEqual(tally.categories[.init(source: "wikipedia", category: "A")]?.figures,
                       ExpansionReport.Figures(rows: 2, rowsHit: 2, hits: 5, lastHit: "2026-11-22 08:00:00"))
        XCTAssertEqual(tally.categories[.init(source: "wikipedia", category: "B")]?.figures,
                       ExpansionReport.Figures(rows: 2, rowsHit: 1, hits: 3, lastHit: "2026-11-20 10:00:00"))
        XCTAssertEqual(tally.categories[.init(source: "wordnet", category: "")]?.figures.rows, 1)
    }

    func testSelectionChargesTheFirstCategoryWithQuotaLeft() throws {
        let selection = try XCTUnwrap(RecordSelection.parse(.table([
            "categories": .array([.string("Physics"), .string("Chemistry"), .string("Art")]),
            "quota": .table(["Physics": .int(1), "Chemistry": .int(2)]),
        ]), file: "next.toml"))
        var used: [String: Int64] = [:]
        XCTAssertEqual(selection.selected("Chemistry|Physics|Other"), ["Physics", "Chemistry"])
        XCTAssertEqual(selection.charge("Chemistry|Physics", used: &used), "Physics")
        XCTAssertEqual(selection.charge("Chemistry|Physics", used: &used), "Chemistry")
        XCTAssertEqual(selection.charge("Physics", used: &used), nil, "Physics used up")
        XCTAssertEqual(selection.charge("Art", used: &used), "Art", "no quota: no limit")
        XCTAssertFalse(selection.isExhausted(used))
        XCTAssertEqual(used, ["Physics": 1, "Chemistry": 1])
    }

    func testSelectionErrorsNameTheKey() {
        func error(_ value: ConfigValue) -> String {
            do { _ = try RecordSelection.parse(value, file: "j.toml"); return "none" } catch { return "\(error)" }
        }
        XCTAssertTrue(error(.table(["categories": .array([])])).contains("select.categories is empty"))
        XCTAssertTrue(error(.table(["categories": .array([.string("A")]), "quota": .table(["B": .int(1)])])).contains("select.quota.B"))
        XCTAssertTrue(error(.table(["categories": .array([.string("A")]), "quota": .table(["A": .int(-1)])])).contains("0 or more"))
        XCTAssertTrue(error(.table(["categories": .array([.string("A")]), "limit": .int(3)])).contains("unknown key select.limit"))
    }

    func testTheEmittedJobQuotesCategoriesAndExtendsTheJobByARelativePath() throws {
        XCTAssertEqual(JobEmitter.quoted("a \"b\" \\ c\n"), #""a \"b\" \\ c\n""#)
        XCTAssertEqual(JobEmitter.relativePath(from: "/repo/jobs/generated", to: "/repo/jobs/wikipedia.toml"), "../wikipedia.toml")
        XCTAssertEqual(JobEmitter.relativePath(from: "/tmp/x", to: "/repo/jobs/w.toml"), "../../repo/jobs/w.toml")
        let report = ExpansionReport(
            job: "wikipedia", model: "m", modelVersion: "1", tenant: "public", generatedAt: "2026-11-23T06:00:00Z", totals: .init(),
            categories: [],
            recommendation: .init(rule: "", budget: 3, split: [.init(source: "wikipedia", category: "Quo\"ted", texts: 2, verdict: .expand),
                                                              .init(source: "wordnet", category: "noun.food", texts: 1, verdict: .explore)],
                                  drop: []),
            cost: .init(pricePerEmbedding: 0.0001, tokens: 0, costToMake: 0, costBasis: "per-embedding", saved: 0), history: [])
        let text = JobEmitter.text(for: report, jobFile: "/repo/jobs/wikipedia.toml", sourceKind: "wikipedia", output: "/repo/jobs/generated/next.toml")
        let values = try ConfigValue.parse(toml: text, file: "next.toml")
        XCTAssertEqual(values["extends"], .string("../wikipedia.toml"))
        let selection = try XCTUnwrap(RecordSelection.parse(values["select"], file: "next.toml"))
        XCTAssertEqual(selection, RecordSelection(categories: ["Quo\"ted"], quotas: ["Quo\"ted": 2]))
        XCTAssertTrue(text.contains("Not selectable here: 1 texts for wordnet · noun.food"), text)
    }

    func testQueryLogLines() {
        func parse(_ text: String) -> HitReplayer.Parsed { HitReplayer.parse(.text(number: 7, bytes: ArraySlice(text.utf8)), now: "2026-11-23 00:00:00") }
        guard case .query(let plain) = parse("  Hello   World ") else { return XCTFail("a plain line is a query") }
        XCTAssertEqual(plain.hash, TextHash(normalized: TextNormalizer.normalize("Hello World")))
        XCTAssertEqual(plain.time, "2026-11-23 00:00:00")
        guard case .query(let json) = parse(#"{"text": "Hello World", "ts": 1763800000}"#) else { return XCTFail("JSON with text") }
        XCTAssertEqual(json.hash, plain.hash)
        XCTAssertEqual(json.time, "2025-11-22 08:26:40")
        guard case .query(let iso) = parse(#"{"query": "x y", "timestamp": "2026-11-20T10:00:00.5+01:00"}"#) else { return XCTFail("ISO time") }
        XCTAssertEqual(iso.time, "2026-11-20 09:00:00")
        guard case .blank = parse("   ") else { return XCTFail("blank") }
        guard case .skip(let broken) = parse("{\"query\": broken") else { return XCTFail("broken JSON") }
        XCTAssertTrue(broken.contains("line 7"), broken)
        guard case .skip(let missing) = parse(#"{"ts": 5}"#) else { return XCTFail("no query") }
        XCTAssertTrue(missing.contains("without a query"), missing)
        guard case .skip(let time) = parse(#"{"q": "a", "ts": "yesterday"}"#) else { return XCTFail("bad time") }
        XCTAssertTrue(time.contains("yesterday"), time)
    }
}
