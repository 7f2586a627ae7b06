import Foundation
import SeederCore
import XCTest

/// The shipped jobs and the listing commands, through the real binary from the repository's folder, as the README
/// runs them.
final class CommandLineTests: XCTestCase {
    func testJobsAndModelsListWhatShips() throws {
        let seeder = try SeederBinary.locate()
        let jobs = try seeder.run(["jobs"], cwd: Repo.root.path)
        XCTAssertEqual(jobs.status, 0, jobs.stderr)
        for name in ["wikipedia ", "wikipedia-abstracts ", "wiktionary ", "wordnet ", "dictionary ", "devdocs ", "markdown ",
                     "jsonl ", "csv ", "lines "] { XCTAssertTrue(jobs.stdout.contains(name), jobs.stdout) }
        XCTAssertFalse(jobs.stdout.contains("invalid"), jobs.stdout)

        let models = try seeder.run(["models", "--json"])
        XCTAssertEqual(models.status, 0, models.stderr)
        let list = try JSONSerialization.jsonObject(with: Data(models.stdout.utf8)) as? [[String: String]] ?? []
        let nomic = try XCTUnwrap(list.first { $0["alias"] == "nomic-v1.5" })
        XCTAssertEqual(nomic["model"], "nomic-ai/nomic-embed-text-v1.5")
        XCTAssertEqual(nomic["prefix"], "search_document: ")
        XCTAssertEqual(list.first { $0["alias"] == "minilm-l6" }?["dimensions"], "384")
    }

    func testTheMainJobRunsOnItsBundledSampleAndStatusShowsIt() throws {
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let shards = (0..<4).map { "\(dir)/shard-\($0).sqlite" }.joined(separator: ",")
        let run = try seeder.run(["run", "wikipedia", "--shards", shards], cwd: Repo.root.path)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("of wikipedia: done"), run.stdout)
        XCTAssertTrue(run.stdout.contains("stored       97 rows in 4 shard(s)"), run.stdout)

        let status = try seeder.run(["status", "wikipedia", "--shards", shards, "--json"], cwd: Repo.root.path)
        XCTAssertEqual(status.status, 0, status.stderr)
        let runs = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]] ?? []
        XCTAssertEqual(runs.count, 1)
        XCTAssertEqual(runs.first?["state"] as? String, "done")
        XCTAssertEqual(runs.first?["normalizer_version"] as? String, TextNormalizer.version)
        let counts = runs.first?["counts"] as? [String: Any] ?? [:]
        // The pages-articles sample: 206 pages, 100 redirects, 8 disambiguation pages, one list without prose.
        XCTAssertEqual(counts["items_read"] as? Int, 206)
        XCTAssertEqual(counts["stored"] as? Int, 97)
        XCTAssertEqual(counts["skipped"] as? [String: Int], ["redirect": 100, "disambiguation": 8, "empty": 1])
        XCTAssertEqual(runs.first?["provider"] as? String, "local")
        XCTAssertEqual(runs.first?["model"] as? String, "sentence-transformers/all-MiniLM-L6-v2", "the main job stores real MiniLM vectors")

        // Same job, --model on the command line: a separate run, keyed by the stored model value.
        let nomic = try seeder.run(["run", "wikipedia", "--shards", shards, "--model", "nomic-v1.5", "--provider", "hash", "--quiet"], cwd: Repo.root.path)
        XCTAssertEqual(nomic.status, 0, nomic.stderr)
        let after = try seeder.run(["status", "wikipedia", "--shards", shards, "--json"], cwd: Repo.root.path)
        let models = (try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [[String: Any]] ?? []).compactMap { $0["model"] as? String }
        XCTAssertEqual(Set(models), ["sentence-transformers/all-MiniLM-L6-v2",
                                     "seeder-hash|not-a-real-model|of=nomic-ai/nomic-embed-text-v1.5|dim=768"])
    }
}
