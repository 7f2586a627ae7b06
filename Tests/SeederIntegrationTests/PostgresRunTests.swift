import Foundation
import SeederCore
import XCTest

/// `seeder run` into PostgreSQL shards on a throwaway server: killed with -9, or with the server restarted under it,
/// a run ends with shards equal to an uninterrupted run's, row for row; two runs of one job never run at once; and
/// no password is ever shown.
final class PostgresRunTests: XCTestCase {
    /// Four shards as schemas of one database, named by `set` ("ref", "killed"…).
    private func shards(_ server: ThrowawayPostgres, _ set: String, count: Int = 4) -> [String] {
        (0..<count).map { server.dsn() + "?schema=\(set)\($0)" }
    }

    private func makeInput(_ dir: String, count: Int = 6_000) throws -> String {
        let input = "\(dir)/abstracts.xml.gz"
        try AbstractsDumpGenerator(samplePath: Repo.abstractsSample, repeatFraction: 0.10, seed: 11).write(count: count, to: input)
        return input
    }

    func testKillNineMidRunThenResumeEqualsAnUninterruptedRun() throws {
        let server = try ThrowawayPostgres(self)
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let job = "\(dir)/job.toml"
        try writeJob(at: job, input: try makeInput(dir), shards: shards(server, "unused"))
        let reference = shards(server, "ref"), killed = shards(server, "killed")
        let ref = try seeder.run(["run", job, "--shards", reference.joined(separator: ","), "--quiet"])
        XCTAssertEqual(ref.status, 0, ref.stderr)

        var rng = SplitMix64(seed: UInt64(Date().timeIntervalSince1970))
        let journal = "\(dir)/killed.journal"
        var kills = 0
        for attempt in 0..<6 {
            let before = lineCount(journal)
            let process = seeder.start(["run", job, "--shards", killed.joined(separator: ","), "--quiet"], environment: ["SEEDER_HASH_JOURNAL": journal])
            try process.run()
            let target = before + 1 + Int(rng.next() % 200)
            while process.isRunning && lineCount(journal) < target { usleep(2_000) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            XCTAssert(process.terminationReason == .uncaughtSignal || process.terminationStatus == 0, "attempt \(attempt) exited \(process.terminationStatus)")
        }
        XCTAssertGreaterThanOrEqual(kills, 4, "most attempts must be killed mid-run for the test to mean anything")
        let final = try seeder.run(["run", job, "--shards", killed.joined(separator: ","), "--quiet"], environment: ["SEEDER_HASH_JOURNAL": journal])
        XCTAssertEqual(final.status, 0, final.stderr)
        let expected = try seeder.digests(job, shards: reference)
        XCTAssertEqual(expected.count, 4)
        XCTAssertTrue(expected.allSatisfy { Int($0.split(separator: "\t")[1])! > 0 }, "\(expected)")
        XCTAssertEqual(try seeder.digests(job, shards: killed), expected, "same rows and vector bytes, shard by shard")
    }

    func testTheServerRestartedMidRunIsWaitedForAndTheShardsEqualAnUninterruptedRun() throws {
        let server = try ThrowawayPostgres(self)
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let job = "\(dir)/job.toml"
        try writeJob(at: job, input: try makeInput(dir), shards: shards(server, "unused"))
        let reference = shards(server, "ref"), restarted = shards(server, "restarted")
        XCTAssertEqual(try seeder.run(["run", job, "--shards", reference.joined(separator: ","), "--quiet"]).status, 0)

        let journal = "\(dir)/restarted.journal"
        let process = seeder.start(["run", job, "--shards", restarted.joined(separator: ",")], environment: ["SEEDER_HASH_JOURNAL": journal])
        try process.run()
        // Twice, at two points of the run's progress.
        var restarts = 0
        for target in [60, 140] {
            while process.isRunning && lineCount(journal) < target { usleep(2_000) }
            guard process.isRunning else { break }
            try server.restart()
            restarts += 1
        }
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "the run waits for the server and finishes")
        XCTAssertEqual(restarts, 2, "both restarts happened mid-run")
        XCTAssertEqual(try seeder.digests(job, shards: restarted), try seeder.digests(job, shards: reference))
    }

    func testAServerThatStaysAwayStopsTheRunCleanlyAndTheResumeFinishesIt() throws {
        let server = try ThrowawayPostgres(self)
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let input = try makeInput(dir)
        let reference = "\(dir)/reference.toml"
        try writeJob(at: reference, input: input, shards: shards(server, "ref"))
        XCTAssertEqual(try seeder.run(["run", reference, "--quiet"]).status, 0)
        let job = "\(dir)/job.toml"
        let away = shards(server, "away")
        try """
            [source]
            kind = "wikipedia-abstracts"
            input = "\(input)"
            [model]
            name = "minilm-l6"
            [provider]
            kind = "hash"
            [store]
            shards = [\(away.map { "\"\($0)\"" }.joined(separator: ", "))]
            give_up_after_seconds = 3
            [batch]
            max_items = 64
            chunk_records = 100
            """.write(toFile: job, atomically: true, encoding: .utf8)
        let journal = "\(dir)/away.journal"
        let process = seeder.start(["run", job, "--quiet"], environment: ["SEEDER_HASH_JOURNAL": journal])
        try process.run()
        while process.isRunning && lineCount(journal) < 40 { usleep(2_000) }
        XCTAssertTrue(process.isRunning, "stopped mid-run")
        try server.stop()
        let stopped = Date()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, SeederExitCode.storeUnavailable.rawValue)
        // The give-up time once (3 s), not once per shard and again for the run store.
        XCTAssertLessThan(Date().timeIntervalSince(stopped), 30)
        try server.start()
        let resumed = try seeder.run(["run", job, "--quiet"], environment: ["SEEDER_HASH_JOURNAL": journal])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try seeder.digests(job, shards: away), try seeder.digests(job, shards: shards(server, "ref")))
    }

    func testASecondRunOfTheSameJobExitsAtOnceSayingWhoHoldsTheLock() throws {
        let server = try ThrowawayPostgres(self)
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let job = "\(dir)/job.toml"
        try writeJob(at: job, input: try makeInput(dir, count: 20_000), shards: shards(server, "s", count: 2))
        let journal = "\(dir)/first.journal"
        let first = seeder.start(["run", job, "--quiet"], environment: ["SEEDER_HASH_JOURNAL": journal])
        try first.run()
        while first.isRunning && lineCount(journal) < 5 { usleep(2_000) }
        XCTAssertTrue(first.isRunning, "the first run is still going")
        let second = try seeder.run(["run", job, "--quiet"])
        XCTAssertEqual(second.status, SeederExitCode.runLocked.rawValue, second.stderr)
        XCTAssertTrue(second.stderr.contains("seeder pid \(first.processIdentifier)"), "names the holder: \(second.stderr)")
        first.waitUntilExit()
        XCTAssertEqual(first.terminationStatus, 0)
        // Free again once the first has finished.
        XCTAssertEqual(try seeder.run(["run", job, "--quiet"]).status, 0)
    }

    func testPasswordsNeverShowInErrorsStatusOrLogs() throws {
        let server = try ThrowawayPostgres(self)
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let secret = "s3cr3t-Pa55"
        // The server trusts loopback, so a password in the DSN is accepted (and ignored): a working run.
        let working = "postgres://\(ThrowawayPostgres.user):\(secret)@127.0.0.1:\(server.port)/postgres?schema=pw"
        let job = "\(dir)/job.toml"
        try writeJob(at: job, input: Repo.abstractsSample, shards: [working])
        let run = try seeder.run(["run", job])
        XCTAssertEqual(run.status, 0, run.stderr)
        let status = try seeder.run(["status", job, "--json"])
        XCTAssertEqual(status.status, 0, status.stderr)
        let digest = try seeder.run(["shards", "digest", job])
        let check = try seeder.run(["shards", "check", job])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        // Nothing listens on the port: an error naming the shard.
        let broken = "\(dir)/broken.toml"
        try writeJob(at: broken, input: Repo.abstractsSample, shards: ["postgres://seeder:\(secret)@127.0.0.1:9/postgres"])
        let failed = try seeder.run(["run", broken])
        XCTAssertEqual(failed.status, SeederExitCode.storeUnavailable.rawValue, failed.stderr)
        XCTAssertTrue(failed.stderr.contains("127.0.0.1:9"), failed.stderr)
        for output in [run.stdout, run.stderr, status.stdout, status.stderr, digest.stdout, digest.stderr, check.stdout, check.stderr,
                       failed.stdout, failed.stderr] {
            XCTAssertFalse(output.contains(secret), output)
        }
        // On the command line it is refused outright: argv shows in `ps`.
        let argv = try seeder.run(["run", job, "--shards", working])
        XCTAssertEqual(argv.status, SeederExitCode.configuration.rawValue, argv.stderr)
        XCTAssertFalse(argv.stderr.contains(secret), argv.stderr)
        XCTAssertTrue(argv.stderr.contains("PGPASSWORD"), argv.stderr)
    }
}
