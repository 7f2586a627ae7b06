import Foundation
import SeederCore
import XCTest

/// `seeder hits replay` and `seeder report` on a seeded sample and a query log of known make-up: every figure is
/// computed here by hand, from the shards' own rows, and the emitted job seeds exactly the records the split says.
final class ReportTests: XCTestCase {
    /// One seeded row, read straight from `seeder_texts`.
    struct Row {
        var recordID: String
        var categories: [String]
        var text: String
        var chunkEnd: Int64
    }

    static let pagesSample = Repo.root.appendingPathComponent("datasets/wikipedia/enwiki-pages-articles-sample.xml.bz2").path

    func writeWikiJob(_ path: String, shards: [String], chunkRecords: Int) throws {
        try """
            [source]
            kind = "wikipedia"
            input = "\(Self.pagesSample)"
            texts = ["{body}"]
            min_chars = 20
            [model]
            name = "minilm-l6"
            [provider]
            kind = "hash"
            [store]
            shards = [\(shards.map { "\"\($0)\"" }.joined(separator: ", "))]
            durability = "normal"
            [batch]
            chunk_records = \(chunkRecords)
            """.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func rows(_ shards: [String]) throws -> [Row] {
        var out: [Row] = []
        for shard in shards {
            let db = try SQLiteConnection(path: shard, readOnly: true)
            let statement = try db.cachedStatement("SELECT record_id, category, text, chunk_end FROM seeder_texts ORDER BY chunk_end, rowid")
            while try statement.step() {
                out.append(Row(recordID: statement.string(at: 0) ?? "",
                               categories: (statement.string(at: 1) ?? "").split(separator: "|").map(String.init),
                               text: statement.string(at: 2) ?? "", chunkEnd: statement.int64(at: 3)))
            }
        }
        return out
    }

    func hitCounts(_ shards: [String]) throws -> [String: (hits: Int64, last: String?)] {
        var out: [String: (Int64, String?)] = [:]
        for shard in shards {
            let db = try SQLiteConnection(path: shard, readOnly: true)
            let statement = try db.cachedStatement("""
                SELECT t.record_id, e.hit_count, e.last_hit_at FROM embeddings e JOIN seeder_texts t ON t.text_hash = e.text_hash
                  AND t.model = e.model AND t.model_version = e.model_version AND t.tenant_id = e.tenant_id
                """)
            while try statement.step() {
                out[statement.string(at: 0) ?? ""] = (statement.int64(at: 1), statement.isNull(at: 2) ? nil : statement.string(at: 2))
            }
        }
        return out
    }

    func testReportFiguresEqualHandComputedOnesAndTheEmittedJobSeedsTheExpectedRecords() throws {
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        // The whole sample, one item a checkpoint: every record's categories in input order (chunk_end = its item).
        let reference = (0..<2).map { "\(dir)/full-\($0).sqlite" }
        try writeWikiJob("\(dir)/full.toml", shards: reference, chunkRecords: 1)
        XCTAssertEqual(try seeder.run(["run", "\(dir)/full.toml", "--progress", "off", "--quiet"]).status, 0)
        let all = try rows(reference).sorted { $0.chunkEnd < $1.chunkEnd }
        XCTAssertGreaterThan(all.count, 80)

        // Part of it into the job's shards: the first 100 items.
        let shards = (0..<4).map { "\(dir)/s\($0).sqlite" }
        try writeWikiJob("\(dir)/wiki.toml", shards: shards, chunkRecords: 20)
        XCTAssertEqual(try seeder.run(["run", "\(dir)/wiki.toml", "--progress", "off", "--quiet", "--max-records", "100"]).status, 3)
        let seeded = try rows(shards)
        XCTAssertGreaterThan(seeded.count, 20)
        XCTAssertLessThan(seeded.count, all.count)

        // A query log of known make-up: A five times (plain lines, one with different spacing and case the cache's
        // normalizer folds), B twice (JSON Lines with a time), C once, four misses, a blank line and a broken one.
        // A shares a category with records not seeded yet, so the next round has something to seed.
        let seededIDs = Set(seeded.map(\.recordID))
        let unseededCategories = Set(all.filter { !seededIDs.contains($0.recordID) }.flatMap(\.categories))
        let candidates = seeded.filter { !$0.categories.isEmpty }
        // (Among those, one whose shared category is seeded least and which has few categories: its hits then put that
        // category among the split's, which takes the 20 highest bounds.)
        var seededRows: [String: Int] = [:]
        for row in seeded { for category in row.categories { seededRows[category, default: 0] += 1 } }
        func rank(_ row: Row) -> (Int, Int) {
            (row.categories.filter(unseededCategories.contains).map { seededRows[$0] ?? 0 }.min() ?? .max, row.categories.count)
        }
        let a = try XCTUnwrap(candidates.filter { !Set($0.categories).isDisjoint(with: unseededCategories) }.min { rank($0) < rank($1) })
        let others = candidates.filter { $0.recordID != a.recordID }
        let b = others[0], c = others[1]
        var log = Array(repeating: a.text, count: 4) + ["  \(a.text)  "]
        log += (0..<2).map { _ in
            String(decoding: try! JSONSerialization.data(withJSONObject: ["query": b.text, "ts": "2026-11-20T10:00:00Z"]), as: UTF8.self)
        }
        log += [c.text, "what is the capital of nowhere", "{\"query\": \"a query nobody seeded\"}", "zzz", "another miss", "", "{\"query\": broken"]
        try (log.joined(separator: "\n") + "\n").write(toFile: "\(dir)/queries.log", atomically: true, encoding: .utf8)

        // Replay without --apply: figures, and nothing changed.
        let dry = try seeder.run(["hits", "replay", "\(dir)/wiki.toml", "\(dir)/queries.log", "--json"])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        let replay = try JSONDecoder().decode(HitReplayReport.self, from: Data(dry.stdout.utf8))
        XCTAssertEqual(replay.queries, 12)
        XCTAssertEqual(replay.skippedLines, 1)
        XCTAssertEqual(replay.hits, 8)
        XCTAssertEqual(replay.seededHits, 8)
        XCTAssertEqual(replay.rowsHit, 3)
        XCTAssertEqual(replay.hitRate, 8.0 / 12.0, accuracy: 1e-12)
        XCTAssertEqual(replay.bySource.map(\.source), ["wikipedia"])
        var expectedCategoryHits: [String: Int64] = [:]
        for (row, n) in [(a, Int64(5)), (b, 2), (c, 1)] { for category in row.categories { expectedCategoryHits[category, default: 0] += n } }
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: replay.byCategory.map { ($0.category ?? "", $0.hits) }), expectedCategoryHits)
        XCTAssertEqual(try hitCounts(shards).values.reduce(Int64(0)) { $0 + $1.hits }, 0, "a replay without --apply changes nothing")

        // --apply counts them in, as the cache server would.
        let applied = try seeder.run(["hits", "replay", "\(dir)/wiki.toml", "\(dir)/queries.log", "--apply", "--json"])
        XCTAssertEqual(applied.status, 0, applied.stderr)
        XCTAssertEqual(try JSONDecoder().decode(HitReplayReport.self, from: Data(applied.stdout.utf8)).rowsUpdated, 3)
        let counts = try hitCounts(shards)
        XCTAssertEqual(counts[a.recordID]?.hits, 5)
        XCTAssertEqual(counts[b.recordID]?.hits, 2)
        XCTAssertEqual(counts[b.recordID]?.last, "2026-11-20 10:00:00")
        XCTAssertEqual(counts[c.recordID]?.hits, 1)

        // The report, against figures computed here.
        let budget = 60
        let out = try seeder.run(["report", "\(dir)/wiki.toml", "--format", "json", "--budget", String(budget),
                                  "--emit-job", "\(dir)/generated/next.toml"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let report = try decoder.decode(ExpansionReport.self, from: Data(out.stdout.utf8))
        let rowCount = Int64(seeded.count)
        XCTAssertEqual(report.totals.rows, rowCount)
        XCTAssertEqual(report.totals.rowsHit, 3)
        XCTAssertEqual(report.totals.hits, 8)
        XCTAssertEqual(report.totals.lastHit, [counts[a.recordID]?.last, counts[c.recordID]?.last].compactMap { $0 }.max())
        let average = 8.0 / Double(rowCount)
        var categoryRows: [String: Int64] = [:]
        for row in seeded { for category in row.categories.isEmpty ? [""] : row.categories { categoryRows[category, default: 0] += 1 } }
        XCTAssertEqual(report.categories.count, categoryRows.count)
        for figures in report.categories {
            let hits = expectedCategoryHits[figures.category] ?? 0, n = categoryRows[figures.category] ?? -1
            XCTAssertEqual(figures.figures.rows, n, figures.category)
            XCTAssertEqual(figures.figures.hits, hits, figures.category)
            XCTAssertEqual(figures.lift, (Double(hits) / Double(n)) / average, accuracy: 1e-9, figures.category)
            // Gamma–Poisson bound, prior worth 10 rows at the average density, z = 1.645.
            let alpha = average * 10 + Double(hits), beta = 10 + Double(n)
            XCTAssertEqual(figures.upperBound, alpha / beta + 1.645 * alpha.squareRoot() / beta, accuracy: 1e-9, figures.category)
            let mean = alpha / beta, upper = figures.upperBound
            let verdict: ExpansionReport.Verdict = n < 20 ? (upper >= average ? .explore : .keep)
                : upper < 0.25 * average ? .drop : mean > average ? .expand : .keep
            XCTAssertEqual(figures.verdict, verdict, figures.category)
            XCTAssertEqual(figures.saved, Double(hits) * 0.0001, accuracy: 1e-12)
        }
        XCTAssertEqual(Array(report.categories.map(\.figures.hits)), report.categories.map(\.figures.hits).sorted(by: >), "hottest first")
        XCTAssertEqual(report.recommendation.split.reduce(0) { $0 + $1.texts }, budget)
        XCTAssertEqual(report.cost.saved, 8 * 0.0001, accuracy: 1e-12)
        // The hash provider's runs have no price: each row stored is priced as one embedding.
        XCTAssertEqual(report.cost.costBasis, "per-embedding")
        XCTAssertEqual(report.cost.costToMake, Double(rowCount) * 0.0001, accuracy: 1e-12)
        XCTAssertEqual(report.history.last?.hits, 8)

        // The split by hand: the 20 highest bounds among expand/explore categories, in proportion, largest remainder.
        let chosen = report.categories.enumerated()
            .filter { ($0.element.verdict == .expand || $0.element.verdict == .explore) && $0.element.upperBound > 0 }
            .sorted { $0.element.upperBound != $1.element.upperBound ? $0.element.upperBound > $1.element.upperBound : $0.offset < $1.offset }
            .prefix(20).map(\.element)
        let total = chosen.reduce(0) { $0 + $1.upperBound }
        for allocation in report.recommendation.split {
            let share = Double(budget) * (chosen.first { $0.category == allocation.category }?.upperBound ?? -1) / total
            XCTAssertTrue(allocation.texts == Int(share.rounded(.down)) || allocation.texts == Int(share.rounded(.down)) + 1,
                          "\(allocation.category): \(allocation.texts) texts for a share of \(share)")
        }

        // The emitted job seeds, in input order, the records of the split's categories not seeded yet, each charged
        // to its first category (in the job's order) with quota left.
        let emitted = try String(contentsOfFile: "\(dir)/generated/next.toml", encoding: .utf8)
        XCTAssertTrue(emitted.contains("extends = \"../wiki.toml\""), emitted)
        let order = report.recommendation.split.map(\.category)
        var quota = Dictionary(uniqueKeysWithValues: report.recommendation.split.map { ($0.category, $0.texts) })
        let before = Set(seeded.map(\.recordID))
        var expected: Set<String> = []
        for row in all where !before.contains(row.recordID) {
            let own = Set(row.categories)
            if let category = order.first(where: { own.contains($0) && quota[$0, default: 0] > 0 }) {
                quota[category]! -= 1
                expected.insert(row.recordID)
            }
        }
        XCTAssertFalse(expected.isEmpty, "the sample has unseeded records in the hot categories: \(order), \(a.categories)")
        let next = try seeder.run(["run", "\(dir)/generated/next.toml", "--progress", "off", "--quiet"])
        XCTAssertEqual(next.status, 0, next.stderr)
        let added = Set(try rows(shards).map(\.recordID)).subtracting(before)
        XCTAssertEqual(added, expected)
    }

    /// The same seeding, log and report on PostgreSQL shards as on SQLite files: the same figures, category by
    /// category (the stores' own queries differ: a server-side cursor, arrays for the hits).
    func testPostgresShardsGiveTheSameReplayAndReportAsSQLite() throws {
        let server = try ThrowawayPostgres(self)
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let sqlite = (0..<2).map { "\(dir)/s\($0).sqlite" }
        let postgres = (0..<2).map { server.dsn() + "?schema=report\($0)" }
        try writeWikiJob("\(dir)/lite.toml", shards: sqlite, chunkRecords: 50)
        try writeWikiJob("\(dir)/pg.toml", shards: postgres, chunkRecords: 50)
        let seeded = try { () throws -> [Row] in
            XCTAssertEqual(try seeder.run(["run", "\(dir)/lite.toml", "--progress", "off", "--quiet"]).status, 0)
            return try rows(sqlite)
        }()
        XCTAssertEqual(try seeder.run(["run", "\(dir)/pg.toml", "--progress", "off", "--quiet"]).status, 0)
        var log: [String] = []
        for (i, row) in seeded.prefix(12).enumerated() {
            log += Array(repeating: String(decoding: try JSONSerialization.data(withJSONObject: ["q": row.text, "ts": 1_763_800_000 + i]), as: UTF8.self),
                         count: 1 + i % 4)
        }
        log += ["nothing seeded this", "nor this"]
        try log.joined(separator: "\n").write(toFile: "\(dir)/queries.log", atomically: true, encoding: .utf8)

        func replay(_ job: String) throws -> HitReplayReport {
            let out = try seeder.run(["hits", "replay", "\(dir)/\(job).toml", "\(dir)/queries.log", "--apply", "--json"])
            XCTAssertEqual(out.status, 0, out.stderr)
            var report = try JSONDecoder().decode(HitReplayReport.self, from: Data(out.stdout.utf8))
            report.log = ""
            return report
        }
        let lite = try replay("lite"), pg = try replay("pg")
        XCTAssertEqual(lite.hits, Int64((0..<12).reduce(0) { $0 + 1 + $1 % 4 }))
        XCTAssertEqual(lite.rowsUpdated, 12)
        XCTAssertEqual(pg, lite)

        func report(_ job: String) throws -> ExpansionReport {
            let out = try seeder.run(["report", "\(dir)/\(job).toml", "--format", "json", "--budget", "50"])
            XCTAssertEqual(out.status, 0, out.stderr)
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            var report = try decoder.decode(ExpansionReport.self, from: Data(out.stdout.utf8))
            report.job = ""
            report.generatedAt = ""
            report.cost.tokens = 0
            return report
        }
        let liteReport = try report("lite"), pgReport = try report("pg")
        XCTAssertEqual(liteReport.totals.hits, lite.hits)
        XCTAssertEqual(liteReport.totals.lastHit, "2025-11-22 08:26:51")
        XCTAssertEqual(pgReport, liteReport)
    }
}
