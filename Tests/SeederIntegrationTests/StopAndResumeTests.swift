import FakeEmbeddingServer
import Foundation
import SeederCore
import XCTest

/// Runs that end early on purpose, through the binary: SIGTERM and SIGINT stop at a checkpoint (exit 143, 130), a
/// second signal abandons the batches in flight, --max-duration and --max-records pause (exit 3), and every resume
/// ends with the shards and counts of one uninterrupted run, no text paid for twice.
final class StopAndResumeTests: XCTestCase {
    /// An abstracts dump of `count` documents and a job reading it into two SQLite shards under `dir`.
    func makeJob(_ dir: String, count: Int = 20_000, set: String = "s", chunkRecords: Int = 100) throws -> String {
        let input = "\(dir)/abstracts.xml.gz"
        if !FileManager.default.fileExists(atPath: input) {
            try AbstractsDumpGenerator(samplePath: Repo.abstractsSample, repeatFraction: 0.10, seed: 5).write(count: count, to: input)
        }
        let job = "\(dir)/\(set).toml"
        try writeJob(at: job, input: input, shards: ["\(dir)/\(set)0.sqlite", "\(dir)/\(set)1.sqlite"], chunkRecords: chunkRecords)
        return job
    }

    /// The latest run of `job` as `status --json` shows it.
    func status(_ seeder: SeederBinary, _ job: String) throws -> [String: Any] {
        let out = try seeder.run(["status", job, "--json"])
        XCTAssertEqual(out.status, 0, out.stderr)
        let runs = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]])
        return try XCTUnwrap(runs.first)
    }

    func counts(_ run: [String: Any]) -> [String: Int] {
        (run["counts"] as? [String: Any] ?? [:]).compactMapValues { $0 as? Int }
    }

    func testSIGTERMAndSIGINTStopAtACheckpointAndTheResumeEqualsAnUninterruptedRun() throws {
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let reference = try makeJob(dir, set: "ref")
        XCTAssertEqual(try seeder.run(["run", reference, "--quiet"]).status, 0)

        for (signo, code) in [(SIGTERM, SeederExitCode.terminated), (SIGINT, .interrupted)] {
            let job = try makeJob(dir, set: "sig\(signo)")
            let journal = "\(dir)/sig\(signo).journal"
            let errors = "\(dir)/sig\(signo).err"
            FileManager.default.createFile(atPath: errors, contents: nil)
            let process = seeder.start(["run", job, "--progress", "off"], environment: ["SEEDER_HASH_JOURNAL": journal],
                                       stderr: FileHandle(forWritingAtPath: errors))
            try process.run()
            waitUntil("the run to embed") { !process.isRunning || lineCount(journal) >= 1_500 }
            XCTAssertTrue(process.isRunning, "still running when signalled")
            let signalled = Date()
            kill(process.processIdentifier, signo)
            process.waitUntilExit()
            XCTAssertLessThan(Date().timeIntervalSince(signalled), 20, "stopped within its grace")
            XCTAssertEqual(process.terminationReason, .exit, "exited, not killed by the signal")
            XCTAssertEqual(process.terminationStatus, code.rawValue)
            let stopped = try status(seeder, job)
            XCTAssertEqual(stopped["state"] as? String, "paused")
            XCTAssertLessThan(counts(stopped)["items_read"] ?? .max, 20_000)
            let log = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            XCTAssertTrue(log.contains(signo == SIGTERM ? "SIGTERM: stopping" : "SIGINT: stopping"), log)

            let resumed = try seeder.run(["run", job, "--quiet"], environment: ["SEEDER_HASH_JOURNAL": journal])
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            XCTAssertEqual(try seeder.digests(job), try seeder.digests(reference), "same rows and vectors as one run")
            var final = counts(try status(seeder, job)), expected = counts(try status(seeder, reference))
            // The run's own bookkeeping of requests differs with where it was cut; what it did does not.
            for key in ["requests", "texts_sent", "tokens_sent", "tokens_estimated"] { final[key] = nil; expected[key] = nil }
            XCTAssertEqual(final, expected)
            let paid = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(paid.count, Set(paid).count, "no text embedded twice")
        }
    }

    func testASecondSignalAbandonsTheBatchesInFlightWithoutPayingForAnythingTwice() async throws {
        let server = try await startFakeServer(self) { $0.faults.latencyMs = 1_500 }
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let job = try writeHTTPJob(in: dir, kind: "openai", baseURL: server.baseURL, concurrency: 2)
        let errors = "\(dir)/err.txt"
        FileManager.default.createFile(atPath: errors, contents: nil)
        // A grace far longer than the test: only the second signal can end it this soon.
        let process = seeder.start(["run", job, "--stop-grace", "300", "--progress", "off"], stderr: FileHandle(forWritingAtPath: errors))
        try process.run()
        waitUntil("a batch on the wire") { !process.isRunning || server.log.requests >= 3 }
        kill(process.processIdentifier, SIGINT)
        waitUntil("the first signal to be seen") { ((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "").contains("SIGINT: stopping") }
        let second = Date()
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        // Requests on the wire are still awaited (the server bills them): one latency, not the grace.
        XCTAssertLessThan(Date().timeIntervalSince(second), 10)
        XCTAssertEqual(process.terminationStatus, SeederExitCode.interrupted.rawValue, (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")
        let log = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
        XCTAssertTrue(log.contains("abandoning the batches in flight"), log)
        XCTAssertEqual(try status(seeder, job)["state"] as? String, "paused")

        server.updateFaults { $0.latencyMs = 0 }
        let resumed = try seeder.run(["run", job, "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let served = server.log.itemsServed
        XCTAssertFalse(served.isEmpty)
        XCTAssertEqual(served.filter { $0.value > 1 }.map(\.key), [], "every text embedded once, across the stop")
        XCTAssertEqual(counts(try status(seeder, job))["embedded"], served.count)
    }

    func testMaxDurationPausesWithExit3AndMaxRecordsSlicesAddUpToOneRun() async throws {
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let reference = try makeJob(dir, count: 3_000, set: "ref")
        XCTAssertEqual(try seeder.run(["run", reference, "--quiet"]).status, 0)

        let sliced = try makeJob(dir, count: 3_000, set: "sliced")
        var paused = 0
        while true {
            let out = try seeder.run(["run", sliced, "--max-records", "400"])
            if out.status == 0 { break }
            XCTAssertEqual(out.status, SeederExitCode.budgetReached.rawValue, out.stderr)
            XCTAssertTrue(out.stdout.contains("stopped      max_records"), out.stdout)
            paused += 1
            guard paused < 20 else { return XCTFail("never finished") }
        }
        // 3,000 items in slices of at least 400 (each ends at the first checkpoint past its 400th item).
        XCTAssertGreaterThanOrEqual(paused, 4)
        XCTAssertLessThanOrEqual(paused, 7)
        XCTAssertEqual(try seeder.digests(sliced), try seeder.digests(reference))
        var expected = counts(try status(seeder, reference)), got = counts(try status(seeder, sliced))
        for key in ["requests", "texts_sent", "tokens_sent", "tokens_estimated"] { got[key] = nil; expected[key] = nil }
        XCTAssertEqual(got, expected, "the slices add up to one run")

        // A slow server and a short budget of time: paused at a checkpoint, and the next run continues.
        let server = try await startFakeServer(self) { $0.faults.latencyMs = 300 }
        let timed = try writeHTTPJob(in: dir, kind: "openai", baseURL: server.baseURL, concurrency: 1)
        let started = Date()
        let out = try seeder.run(["run", timed, "--max-duration", "2s"])
        XCTAssertLessThan(Date().timeIntervalSince(started), 15)
        XCTAssertEqual(out.status, SeederExitCode.budgetReached.rawValue, out.stderr)
        XCTAssertTrue(out.stdout.contains("stopped      max_duration"), out.stdout)
        let run = try status(seeder, timed)
        XCTAssertEqual(run["state"] as? String, "paused")
        XCTAssertGreaterThan(counts(run)["stored"] ?? 0, 0)
        server.updateFaults { $0.latencyMs = 0 }
        XCTAssertEqual(try seeder.run(["run", timed, "--quiet"]).status, 0)
        XCTAssertEqual(server.log.itemsServed.filter { $0.value > 1 }.count, 0, "nothing embedded twice")
    }
}
