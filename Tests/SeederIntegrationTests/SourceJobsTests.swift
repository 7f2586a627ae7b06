import Foundation
import SeederCore
import XCTest

/// Every shipped job on its bundled sample, and the multistream Wikipedia source through whole runs: paused and
/// killed runs resume by seeking to their stream and end with the rows of one uninterrupted run.
final class SourceJobsTests: XCTestCase {
    func testEveryShippedJobRunsOnItsBundledSample() throws {
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        // kind, and whether its records carry a category.
        let jobs: [(String, String, Bool)] = [
            ("wikipedia", "wikipedia", true), ("wikipedia-abstracts", "wikipedia-abstracts", false),
            ("wiktionary", "wiktionary", true), ("wordnet", "wordnet", true), ("dictionary", "dictionary-table", true),
            ("devdocs", "devdocs", true), ("markdown", "markdown", true), ("jsonl", "jsonl", true), ("csv", "csv", true),
            ("lines", "lines", true),
        ]
        for (job, kind, categorized) in jobs {
            let shards = ["\(dir)/\(job)-0.sqlite", "\(dir)/\(job)-1.sqlite"]
            let run = try seeder.run(["run", job, "--provider", "hash", "--shards", shards.joined(separator: ","), "--quiet"], cwd: Repo.root.path)
            XCTAssertEqual(run.status, 0, "\(job): \(run.stderr)")
            let status = try seeder.run(["status", job, "--shards", shards.joined(separator: ","), "--json"], cwd: Repo.root.path)
            let runs = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]] ?? []
            XCTAssertEqual(runs.first?["state"] as? String, "done", job)
            XCTAssertEqual(runs.first?["source"] as? String, kind, job)
            let counts = runs.first?["counts"] as? [String: Any] ?? [:]
            let stored = counts["stored"] as? Int ?? 0
            XCTAssertGreaterThan(stored, 0, "\(job) stored nothing: \(counts)")

            // What seeder keeps beside each row names the source and the category reports group by.
            var rows = 0, withCategory = 0
            for path in shards {
                let shard = try SQLiteShard(location: ShardLocation(name: "x", path: path), durability: .normal, readOnly: true)
                let keys = try shard.scanKeys(after: nil, limit: 1_000_000)
                for row in try shard.readRows(keys) {
                    rows += 1
                    XCTAssertEqual(row.texts.map(\.text.source), [kind])
                    if row.texts.allSatisfy({ !$0.text.category.isEmpty }) { withCategory += 1 }
                }
            }
            XCTAssertEqual(rows, stored, job)
            if categorized { XCTAssertEqual(withCategory, rows, "\(job): every record has a category") }
        }
    }

    /// A multistream dump of 3,000 pages (30 streams) with its index, and a job over it.
    func multistreamJob(_ dir: String, chunk: Int) throws -> String {
        let generator = try MultistreamDumpGenerator(samplePath: Repo.root.appendingPathComponent("datasets/wikipedia/enwiki-pages-articles-sample.xml.bz2").path)
        let dump = "\(dir)/enwiki-test-pages-articles-multistream.xml.bz2"
        try generator.write(pages: generator.syntheticPages(count: 3_000, seed: 11), pagesPerStream: 100, to: dump,
                            indexPath: "\(dir)/enwiki-test-pages-articles-multistream-index.txt.bz2")
        let job = "\(dir)/multistream.toml"
        try """
            [source]
            kind = "wikipedia"
            input = "\(dump)"
            [model]
            name = "minilm-l6"
            dimensions = 16
            [provider]
            kind = "hash"
            [store]
            shards = ["\(dir)/unused.sqlite"]
            durability = "normal"
            [batch]
            max_items = 16
            chunk_records = \(chunk)
            """.write(toFile: job, atomically: true, encoding: .utf8)
        return job
    }

    func digests(_ shards: [String]) throws -> [(rows: Int, sha256: String)] {
        try shards.map { try SQLiteShard(location: ShardLocation(name: "x", path: $0), durability: .normal, readOnly: true).digest() }
    }

    func testMultistreamPausedAndKilledRunsResumeBySeekingAndEqualOneRun() throws {
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let chunk = 40
        let job = try multistreamJob(dir, chunk: chunk)
        let reference = (0..<3).map { "\(dir)/ref/shard-\($0).sqlite" }
        let ref = try seeder.run(["run", job, "--shards", reference.joined(separator: ","), "--quiet"],
                                 environment: ["SEEDER_HASH_JOURNAL": "\(dir)/ref.journal"])
        XCTAssertEqual(ref.status, 0, ref.stderr)

        // Paused by --limit: the checkpoint names a stream of the dump, and the next run continues from it.
        let paused = (0..<3).map { "\(dir)/paused/shard-\($0).sqlite" }
        var positions: [[String: Any]] = []
        for _ in 0..<100 {
            let run = try seeder.run(["run", job, "--shards", paused.joined(separator: ","), "--quiet", "--limit", "700"])
            XCTAssertTrue(run.status == 0 || run.status == 3, "done, or paused at the budget: \(run.status) \(run.stderr)")
            let status = try seeder.run(["status", job, "--shards", paused.joined(separator: ","), "--json"])
            let record = (try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])?.first ?? [:]
            positions.append(record["position"] as? [String: Any] ?? [:])
            if record["state"] as? String == "done" { break }
        }
        XCTAssertEqual(positions.count, 5, "3,000 pages in slices of at least 700: \(positions)")
        for position in positions.dropLast() {
            XCTAssertNotNil(position["stream"], "a paused multistream run's checkpoint is a stream offset: \(position)")
        }
        XCTAssertEqual(positions.last?["items"] as? Int, 3_000)
        XCTAssertEqual(try digests(paused).map(\.sha256), try digests(reference).map(\.sha256))

        // Killed at random moments of its progress, then run to the end.
        let killed = (0..<3).map { "\(dir)/killed/shard-\($0).sqlite" }
        let journal = "\(dir)/killed.journal"
        var rng = SplitMix64(seed: UInt64(Date().timeIntervalSince1970))
        var kills = 0
        for _ in 0..<4 {
            let before = lineCount(journal)
            let process = seeder.start(["run", job, "--shards", killed.joined(separator: ","), "--quiet"],
                                       environment: ["SEEDER_HASH_JOURNAL": journal])
            try process.run()
            let target = before + 1 + Int(rng.next() % 40)
            while process.isRunning && lineCount(journal) < target { usleep(2_000) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
        }
        XCTAssertGreaterThanOrEqual(kills, 2, "the runs must be killed mid-way for the test to mean anything")
        let final = try seeder.run(["run", job, "--shards", killed.joined(separator: ","), "--quiet"],
                                   environment: ["SEEDER_HASH_JOURNAL": journal])
        XCTAssertEqual(final.status, 0, final.stderr)
        let expected = try digests(reference)
        XCTAssertGreaterThan(expected.map(\.rows).reduce(0, +), 1_000)
        XCTAssertEqual(try digests(killed).map(\.sha256), expected.map(\.sha256), "same rows, same vector bytes, shard by shard")

        // The resumed runs asked for exactly the uninterrupted run's texts, again only for what was in flight.
        let asked = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n")
        let refAsked = try String(contentsOfFile: "\(dir)/ref.journal", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(Set(asked), Set(refAsked))
        XCTAssertLessThanOrEqual(asked.count - Set(asked).count, kills * 2 * chunk)
    }
}
