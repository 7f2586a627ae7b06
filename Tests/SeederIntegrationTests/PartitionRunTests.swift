import Foundation
import SeederCore
import XCTest

/// `--partition i/N` through the binary: N workers at once into the same PostgreSQL shards end with exactly the rows
/// of one worker, each row written by one of them only; each part has its own lock and checkpoint.
final class PartitionRunTests: XCTestCase {
    private func shards(_ server: ThrowawayPostgres, _ set: String) -> [String] {
        (0..<4).map { server.dsn() + "?schema=\(set)\($0)" }
    }

    private func runs(_ seeder: SeederBinary, job: String, shards: [String]) throws -> [[String: Any]] {
        let out = try seeder.run(["status", job, "--json", "--shards", shards.joined(separator: ",")])
        XCTAssertEqual(out.status, 0, out.stderr)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]])
    }

    private func stored(_ run: [String: Any]) -> Int { (run["counts"] as? [String: Any])?["stored"] as? Int ?? -1 }

    /// Runs `job` once whole into set "one", then as 4 workers at once into set "four"; checks the union.
    private func compareFourWorkersWithOne(job: String, server: ThrowawayPostgres, extra: [String] = []) throws {
        let seeder = try SeederBinary.locate()
        let one = shards(server, "one"), four = shards(server, "four")
        let single = try seeder.run(["run", job, "--shards", one.joined(separator: ","), "--quiet"] + extra)
        XCTAssertEqual(single.status, 0, single.stderr)

        let workers = try (0..<4).map { i -> Process in
            let process = seeder.start(["run", job, "--shards", four.joined(separator: ","), "--partition", "\(i)/4", "--quiet"] + extra)
            try process.run()
            return process
        }
        for (i, worker) in workers.enumerated() {
            worker.waitUntilExit()
            XCTAssertEqual(worker.terminationStatus, 0, "worker \(i)")
        }
        let expected = try seeder.digests(job, shards: one)
        XCTAssertTrue(expected.allSatisfy { Int($0.split(separator: "\t")[1])! > 0 }, "\(expected)")
        XCTAssertEqual(try seeder.digests(job, shards: four), expected, "the union equals one worker's result, shard by shard")

        let parts = try runs(seeder, job: job, shards: four)
        XCTAssertEqual(Set(parts.compactMap { $0["partition"] as? String }), ["0/4", "1/4", "2/4", "3/4"])
        XCTAssertTrue(parts.allSatisfy { $0["state"] as? String == "done" })
        let total = expected.reduce(0) { $0 + Int($1.split(separator: "\t")[1])! }
        XCTAssertEqual(parts.map(stored).reduce(0, +), total, "every row written by one worker only")
        XCTAssertEqual(try runs(seeder, job: job, shards: one).map(stored), [total])
        // Run again, each part is done: nothing more is stored.
        let again = try seeder.run(["run", job, "--shards", four.joined(separator: ","), "--partition", "2/4", "--quiet"] + extra)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try seeder.digests(job, shards: four), expected)
    }

    func testFourWorkersSplittingAMultistreamDumpByStreamEqualOneWorker() throws {
        let server = try ThrowawayPostgres(self)
        let dir = try makeTemporaryDirectory(self)
        let generator = try MultistreamDumpGenerator(samplePath: Repo.root.appendingPathComponent("datasets/wikipedia/enwiki-pages-articles-sample.xml.bz2").path)
        let dump = "\(dir)/enwiki-test-pages-articles-multistream.xml.bz2"
        _ = try generator.write(pages: generator.pages, pagesPerStream: 9, to: dump,
                                indexPath: "\(dir)/enwiki-test-pages-articles-multistream-index.txt.bz2")
        let job = "\(dir)/wikipedia.toml"
        try """
            [source]
            kind = "wikipedia"
            input = "\(dump)"
            [model]
            name = "minilm-l6"
            [provider]
            kind = "hash"
            [store]
            kind = "postgres"
            shards = ["\(server.dsn())?schema=unused"]
            [batch]
            chunk_records = 10
            """.write(toFile: job, atomically: true, encoding: .utf8)
        let plan = try SeederBinary.locate().run(["run", job, "--dry-run", "--partition", "1/4"])
        XCTAssertTrue(plan.stdout.contains("bzip2 streams 1, 5"), plan.stdout)
        try compareFourWorkersWithOne(job: job, server: server)
    }

    func testFourWorkersSplittingOtherInputsByKeyEqualOneWorker() throws {
        let server = try ThrowawayPostgres(self)
        let dir = try makeTemporaryDirectory(self)
        let input = "\(dir)/abstracts.xml.gz"
        try AbstractsDumpGenerator(samplePath: Repo.abstractsSample, repeatFraction: 0.2, seed: 9).write(count: 4_000, to: input)
        let job = "\(dir)/job.toml"
        try writeJob(at: job, input: input, shards: [server.dsn() + "?schema=unused"], extra: "", chunkRecords: 200)
        try compareFourWorkersWithOne(job: job, server: server)
    }

    func testEachPartHasItsOwnLock() throws {
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let input = "\(dir)/abstracts.xml.gz"
        try AbstractsDumpGenerator(samplePath: Repo.abstractsSample, repeatFraction: 0.1, seed: 4).write(count: 20_000, to: input)
        let job = "\(dir)/job.toml"
        try writeJob(at: job, input: input, shards: ["\(dir)/s0.sqlite", "\(dir)/s1.sqlite"])
        let journal = "\(dir)/first.journal"
        let first = seeder.start(["run", job, "--partition", "0/2", "--quiet"], environment: ["SEEDER_HASH_JOURNAL": journal])
        try first.run()
        defer { first.terminate(); first.waitUntilExit() }
        let deadline = Date().addingTimeInterval(60)
        while first.isRunning && lineCount(journal) < 500 && Date() < deadline { usleep(2_000) }
        XCTAssertTrue(first.isRunning, "part 0 is still running")
        let samePart = try seeder.run(["run", job, "--partition", "0/2", "--quiet"])
        XCTAssertEqual(samePart.status, SeederExitCode.runLocked.rawValue, samePart.stderr)
        XCTAssertTrue(samePart.stderr.contains("partition 0/2"), samePart.stderr)
        let doctor = try seeder.run(["doctor", job, "--partition", "1/2"])
        XCTAssertTrue(doctor.stdout.contains("ok    lock"), "the other part's lock is free: \(doctor.stdout)")
    }
}
