import Foundation
import XCTest
@testable import SeederCore

/// Stopping a run early and cleanly: a stop request finishes the batches in flight and pauses at a checkpoint; an
/// abandoned stop cancels them and keeps what came back; a deadline pauses; and every resume ends where one
/// uninterrupted run ends, with no text paid for twice.
final class RunStopTests: XCTestCase {
    let spec = ModelCatalog.lookup("minilm-l6")!
    let records = makeRecords((0..<80).map { "stop test text number \($0 % 70)" })

    func pipeline(_ job: JobConfig, _ provider: CountingProvider) throws -> Pipeline {
        let (shards, runs) = try openStores(job)
        return try Pipeline(job: job, spec: spec, source: ArraySource(records: records), provider: provider, shards: shards, runs: runs)
    }

    func digests(_ job: JobConfig) async throws -> [ShardDigest] {
        var out: [ShardDigest] = []
        for shard in try openShards(job) { out.append(try await shard.digest()) }
        return out
    }

    func reference() async throws -> (RunSummary, [ShardDigest]) {
        let job = makeJob(dir: try temporaryDirectory(self), shards: 2, chunk: 4, maxItems: 2)
        let summary = try await pipeline(job, CountingProvider()).run()
        return (summary, try await digests(job))
    }

    func testAStopFinishesTheWorkInFlightPausesAndTheResumeEqualsOneRun() async throws {
        let (expected, expectedDigests) = try await reference()
        let job = makeJob(dir: try temporaryDirectory(self), shards: 2, chunk: 4, maxItems: 2)
        let provider = CountingProvider(concurrency: 2, delay: .milliseconds(20))
        let stop = RunStop()
        let checkpoints = LockedCounter()
        let first = try await pipeline(job, provider).run(RunOptions(stop: stop, onCheckpoint: { _ in
            if checkpoints.increment() == 3 { stop.request(.signal(SIGTERM)) }
        }))
        XCTAssertEqual(first.state, "paused")
        XCTAssertEqual(first.stopReason, "SIGTERM")
        XCTAssertLessThan(first.counters.itemsRead, 80)
        // What was embedded was committed: nothing in flight was dropped.
        XCTAssertEqual(provider.answered.count, Int(first.counters.embedded))

        let second = CountingProvider()
        let resumed = try await pipeline(job, second).run()
        XCTAssertEqual(resumed.state, "done")
        XCTAssertNil(resumed.stopReason)
        XCTAssertEqual(resumed.counters, expected.counters)
        XCTAssertEqual(Set(provider.answered).intersection(second.answered), [], "no text paid for twice")
        let got = try await digests(job)
        XCTAssertEqual(got, expectedDigests)
    }

    func testAnAbandonedStopCancelsTheBatchesInFlightKeepsWhatCameBackAndPaysNothingTwice() async throws {
        let (expected, expectedDigests) = try await reference()
        let job = makeJob(dir: try temporaryDirectory(self), shards: 2, chunk: 4, maxItems: 2)
        // Slow batches: finishing the chunks in flight would take seconds; abandoning them takes one request at most.
        let provider = CountingProvider(concurrency: 2, delay: .milliseconds(400))
        let stop = RunStop()
        let started = ContinuousClock.now
        let first = try await pipeline(job, provider).run(RunOptions(stop: stop, stopGrace: .zero, onCheckpoint: { _ in
            stop.request(.signal(SIGINT))
        }))
        let took = ContinuousClock.now - started
        XCTAssertEqual(first.state, "paused")
        XCTAssertEqual(first.stopReason, "SIGINT")
        XCTAssertLessThan(took, .seconds(3), "abandoned, not finished")
        XCTAssertGreaterThan(provider.asked.count, provider.answered.count, "batches were cancelled mid-request")

        let second = CountingProvider()
        let resumed = try await pipeline(job, second).run()
        XCTAssertEqual(resumed.state, "done")
        XCTAssertEqual(Set(provider.answered).intersection(second.answered), [], "what came back before the stop is not paid for again")
        XCTAssertEqual(resumed.counters.embedded, expected.counters.embedded)
        XCTAssertEqual(resumed.counters.stored, expected.counters.stored)
        let got = try await digests(job)
        XCTAssertEqual(got, expectedDigests)
    }

    func testASecondRequestAbandonsAtOnce() {
        let stop = RunStop()
        let events = LockedList<RunStop.Event>()
        stop.observe { events.append($0) }
        stop.request(.maxDuration)
        XCTAssertEqual(stop.reason, .maxDuration)
        XCTAssertFalse(stop.isAbandoned)
        stop.request(.signal(SIGTERM))
        XCTAssertEqual(stop.reason, .maxDuration, "the first reason stands")
        XCTAssertTrue(stop.isAbandoned)
        stop.request(.signal(SIGTERM))
        XCTAssertEqual(events.items.map { "\($0)" }, ["stop", "abandon"])
        // An observer added late hears what already happened.
        let late = LockedList<RunStop.Event>()
        stop.observe { late.append($0) }
        XCTAssertEqual(late.items.map { "\($0)" }, ["stop", "abandon"])
    }

    func testMaxDurationPausesAtACheckpointAndTheNextRunContinues() async throws {
        let (expected, expectedDigests) = try await reference()
        let job = makeJob(dir: try temporaryDirectory(self), shards: 2, chunk: 4, maxItems: 2)
        let provider = CountingProvider(delay: .milliseconds(40))
        let started = ContinuousClock.now
        let first = try await pipeline(job, provider).run(RunOptions(maxDuration: .milliseconds(300)))
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(3))
        XCTAssertEqual(first.state, "paused")
        XCTAssertEqual(first.stopReason, "max_duration")
        XCTAssertGreaterThan(first.counters.itemsRead, 0)
        XCTAssertLessThan(first.counters.itemsRead, 80)
        let resumed = try await pipeline(job, CountingProvider()).run()
        XCTAssertEqual(resumed.counters, expected.counters)
        let got = try await digests(job)
        XCTAssertEqual(got, expectedDigests)
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int { lock.withLock { value += 1; return value } }
}
