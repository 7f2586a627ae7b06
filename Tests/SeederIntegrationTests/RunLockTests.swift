import Foundation
import SeederCore
import XCTest

/// One run of a job, model and tenant at a time on SQLite shards too: a `flock` beside the control shard.
final class RunLockTests: XCTestCase {
    func testASecondRunOfTheSameJobExitsAtOnceNamingTheFirstAndAKilledHolderLeavesNoLockBehind() throws {
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let input = "\(dir)/abstracts.xml.gz"
        try AbstractsDumpGenerator(samplePath: Repo.abstractsSample, repeatFraction: 0.10, seed: 3).write(count: 20_000, to: input)
        let job = "\(dir)/job.toml"
        try writeJob(at: job, input: input, shards: ["\(dir)/s0.sqlite", "\(dir)/s1.sqlite"])
        let journal = "\(dir)/first.journal"
        let first = seeder.start(["run", job, "--quiet"], environment: ["SEEDER_HASH_JOURNAL": journal])
        try first.run()
        while first.isRunning && (FileManager.default.contents(atPath: journal)?.count ?? 0) < 1_000 { usleep(2_000) }
        XCTAssertTrue(first.isRunning, "the first run is still going")

        let started = Date()
        let second = try seeder.run(["run", job, "--quiet"])
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "at once, not after waiting")
        XCTAssertEqual(second.status, SeederExitCode.runLocked.rawValue, second.stderr)
        XCTAssertTrue(second.stderr.contains("pid \(first.processIdentifier)"), "names the holder: \(second.stderr)")

        // Another model is another run: not locked out.
        let other = try seeder.run(["run", job, "--quiet", "--dimensions", "16", "--limit", "100"])
        XCTAssertNotEqual(other.status, SeederExitCode.runLocked.rawValue, other.stderr)

        // kill -9 releases it (the kernel drops the flock): the next run resumes.
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let resumed = try seeder.run(["run", job, "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
    }
}
