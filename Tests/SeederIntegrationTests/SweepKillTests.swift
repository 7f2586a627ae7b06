import Foundation
import SeederCore
import XCTest

/// `seeder sweep` killed with SIGKILL in the middle and started again ends exactly where an uninterrupted sweep of
/// an identical copy does, having removed exactly the stale rows and nothing else.
final class SweepKillTests: XCTestCase {
    func testSweepKilledMidwayAndRunAgainEndsLikeAnUninterruptedSweep() throws {
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let generator = try SweepDataGenerator(rows: 60_000, shards: 4, seed: 7)
        let (jobA, pathsA, expected) = try sweepKillPrepare(generator, in: dir + "/a")
        let (jobB, pathsB, expectedB) = try sweepKillPrepare(generator, in: dir + "/b")
        XCTAssertEqual(expected, expectedB, "the same seed writes the same rows")
        XCTAssertGreaterThan(expected.staleRows, 20_000)

        // The dry run counts exactly the generator's stale rows, shard by shard, and changes nothing.
        let dry = try seeder.run(["sweep", jobB, "--model", "minilm-l6", "--dry-run", "--json"])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        let plan = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as? [String: Any])
        let planned = Dictionary(uniqueKeysWithValues: (plan["shards"] as? [[String: Any]] ?? []).map {
            ($0["shard"] as? String ?? "?", ($0["stale_rows"] as? NSNumber)?.int64Value ?? -1)
        })
        XCTAssertEqual(planned, Dictionary(uniqueKeysWithValues: expected.shards.map { ($0.name, $0.staleRows) }))
        XCTAssertEqual((plan["stale_rows"] as? NSNumber)?.int64Value, expected.staleRows)
        XCTAssertEqual(try SweepDataGenerator.deletedSoFar(pathsB), 0)

        // Small batches, so that the sweep is still running when it is killed.
        let arguments = ["--model", "minilm-l6", "--reseed", "--batch", "200", "--json"]
        let uninterrupted = try seeder.run(["sweep", jobA] + arguments)
        XCTAssertEqual(uninterrupted.status, 0, uninterrupted.stderr)

        let process = seeder.start(["sweep", jobB] + arguments)
        try process.run()
        try waitUntil("the sweep to delete its first rows", timeout: 30) { try SweepDataGenerator.deletedSoFar(pathsB) >= 1_000 || !process.isRunning }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "the sweep ended before it was killed")
        let deletedAtKill = try SweepDataGenerator.deletedSoFar(pathsB)
        XCTAssertGreaterThan(deletedAtKill, 0)
        XCTAssertLessThan(deletedAtKill, expected.staleRows, "the sweep was killed after it had deleted every stale row")

        let rerun = try seeder.run(["sweep", jobB] + arguments)
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(rerun.stdout.utf8)) as? [String: Any])
        let shards = report["shards"] as? [[String: Any]] ?? []
        XCTAssertTrue(shards.contains { ($0["resumed"] as? Bool) == true }, "the rerun continued the killed sweep: \(rerun.stdout)")
        for shard in expected.shards {
            let item = shards.first { $0["shard"] as? String == shard.name }
            let deleted = (item?["deleted"] as? NSNumber)?.int64Value ?? -1
            // A resumed sweep counts over both attempts; a shard that had finished before the kill is swept again
            // from the start and finds nothing left.
            if item?["resumed"] as? Bool == true {
                XCTAssertEqual(deleted, shard.staleRows, "shard \(shard.name)")
            } else {
                XCTAssertTrue(deleted == 0 || deleted == shard.staleRows, "shard \(shard.name): deleted \(deleted)")
            }
        }

        for (k, shard) in expected.shards.enumerated() {
            let a = try SQLiteShard(location: ShardLocation(name: shard.name, path: pathsA[k]), durability: .normal, readOnly: true).digest()
            let b = try SQLiteShard(location: ShardLocation(name: shard.name, path: pathsB[k]), durability: .normal, readOnly: true).digest()
            XCTAssertEqual(a.rows, b.rows, "shard \(shard.name)")
            XCTAssertEqual(a.sha256, b.sha256, "shard \(shard.name)")
            XCTAssertEqual(Int64(b.rows), shard.rows - shard.staleRows, "shard \(shard.name)")
            for path in [pathsA[k], pathsB[k]] {
                XCTAssertEqual(try SweepDataGenerator.rowsByGroup(in: path), shard.remainingByGroup, "shard \(shard.name) at \(path)")
                XCTAssertEqual(try SweepDataGenerator.count("seeder_texts", in: path), shard.textsAfterSweep, "shard \(shard.name) at \(path)")
                XCTAssertEqual(try SweepDataGenerator.count("seeder_reseed", in: path), shard.staleWithTexts, "shard \(shard.name) at \(path)")
            }
        }
    }
}

/// Generates the rows into `dir` (4 shard files) and writes a job over them; returns the job, paths and counts.
private func sweepKillPrepare(_ generator: SweepDataGenerator, in dir: String) throws
    -> (job: String, paths: [String], expected: SweepDataGenerator.Expectation) {
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let paths = generator.shardNames.map { "\(dir)/s\($0).sqlite" }
    let expected = try generator.write(paths: paths)
    let job = dir + "/job.toml"
    try writeJob(at: job, input: Repo.abstractsSample, shards: paths)
    return (job, paths, expected)
}
