import Foundation
import SeederCore
import XCTest

/// kill -9 at random moments of a run, resuming each time: the shards must end with exactly the rows and
/// vector bytes of one uninterrupted run, and the provider must have been asked again for at most the
/// batches in flight at each kill.
final class KillAndResumeTests: XCTestCase {
    func testKillNineAtTenRandomMomentsThenResumeEqualsUninterruptedRun() throws {
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let input = "\(dir)/abstracts.xml.gz"
        try AbstractsDumpGenerator(samplePath: Repo.abstractsSample, repeatFraction: 0.10, seed: 7).write(count: 8_000, to: input)
        let chunk = 100
        let job = "\(dir)/job.toml"
        try writeJob(at: job, input: input, shards: ["\(dir)/unused.sqlite"], chunkRecords: chunk)
        let reference = (0..<3).map { "\(dir)/ref/shard-\($0).sqlite" }
        let killed = (0..<3).map { "\(dir)/killed/shard-\($0).sqlite" }

        // One uninterrupted run.
        let ref = try seeder.run(["run", job, "--shards", reference.joined(separator: ","), "--quiet", "--summary-json", "\(dir)/ref.json"],
                                 environment: ["SEEDER_HASH_JOURNAL": "\(dir)/ref.journal"])
        XCTAssertEqual(ref.status, 0, ref.stderr)

        // The same job, killed ten times at random points of its progress.
        var rng = SplitMix64(seed: UInt64(Date().timeIntervalSince1970))
        let journal = "\(dir)/killed.journal"
        var kills = 0
        for attempt in 0..<10 {
            let before = lineCount(journal)
            let process = seeder.start(["run", job, "--shards", killed.joined(separator: ","), "--quiet"],
                                               environment: ["SEEDER_HASH_JOURNAL": journal])
            try process.run()
            // Wait for a random amount of provider progress (not a random time: the machine's speed varies),
            // then kill. The journal is written before each batch is answered.
            let target = before + 1 + Int(rng.next() % 400)
            while process.isRunning && lineCount(journal) < target { usleep(2_000) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            XCTAssert(process.terminationReason == .uncaughtSignal || process.terminationStatus == 0, "attempt \(attempt) exited \(process.terminationStatus)")
        }
        XCTAssertGreaterThanOrEqual(kills, 8, "most attempts must be killed mid-run for the test to mean anything")
        let final = try seeder.run(["run", job, "--shards", killed.joined(separator: ","), "--quiet", "--summary-json", "\(dir)/killed.json"],
                                   environment: ["SEEDER_HASH_JOURNAL": journal])
        XCTAssertEqual(final.status, 0, final.stderr)

        // Same rows, same vector bytes, shard by shard.
        for (a, b) in zip(reference, killed) {
            let ra = try SQLiteShard(location: ShardLocation(name: "x", path: a), durability: .normal, readOnly: true).digest()
            let rb = try SQLiteShard(location: ShardLocation(name: "x", path: b), durability: .normal, readOnly: true).digest()
            XCTAssertGreaterThan(ra.rows, 0)
            XCTAssertEqual(ra.rows, rb.rows, "\(b) row count")
            XCTAssertEqual(ra.sha256, rb.sha256, "\(b) rows or vector bytes differ")
        }

        // The run's counters are those of an uninterrupted run (paid-for counts aside).
        let refSummary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: "\(dir)/ref.json")))
        let killedSummary = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: "\(dir)/killed.json")))
        XCTAssertTrue(killedSummary.resumed)
        var a = refSummary.counters, b = killedSummary.counters
        for c in [\RunCounters.textsSent, \RunCounters.batchesSent, \RunCounters.tokensSent, \RunCounters.tokensEstimated] { a[keyPath: c] = 0; b[keyPath: c] = 0 }
        XCTAssertEqual(a, b)
        XCTAssertEqual(refSummary.counters.stored, refSummary.counters.embedded)

        // Asked again only for what was in flight: the chunk being committed and the next one, already embedded
        // (the two pipeline stages overlap), so at most two chunks' texts per kill.
        let asked = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n")
        let refAsked = try String(contentsOfFile: "\(dir)/ref.journal", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(Set(asked), Set(refAsked), "the killed runs asked for exactly the texts of the uninterrupted one")
        XCTAssertEqual(refAsked.count, Set(refAsked).count, "an uninterrupted run asks for each text once")
        let repeats = asked.count - Set(asked).count
        XCTAssertLessThanOrEqual(repeats, kills * 2 * chunk, "texts asked again: \(repeats) after \(kills) kills")
    }
}
