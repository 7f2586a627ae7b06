import Foundation
import XCTest
@testable import SeederCore

final class PipelineTests: XCTestCase {
    let texts = ["alpha beta gamma", "delta epsilon", "alpha beta gamma", "  alpha   beta gamma ", "x", "",
                 "zeta eta theta", "iota kappa", "lambda mu", "delta epsilon", "nu xi omicron", "pi rho sigma",
                 "tau upsilon", "phi chi psi", "omega", "alpha beta gamma"]

    func run(_ job: JobConfig, provider: CountingProvider, records: [Record], options: RunOptions = RunOptions()) async throws -> RunSummary {
        let (shards, runs) = try openStores(job)
        let pipeline = try Pipeline(job: job, spec: ModelCatalog.lookup("minilm-l6")!, source: ArraySource(records: records),
                                    provider: provider, shards: shards, runs: runs)
        return try await pipeline.run(options)
    }

    func testCountsNormalizationDuplicatesAndSkips() async throws {
        let dir = try temporaryDirectory(self)
        let provider = CountingProvider()
        let summary = try await run(makeJob(dir: dir), provider: provider, records: makeRecords(texts))
        XCTAssertEqual(summary.state, "done")
        let c = summary.counters
        XCTAssertEqual(c.itemsRead, 16)
        XCTAssertEqual(c.skipped["too_short"], 1)  // "x"
        XCTAssertEqual(c.skipped["empty"], 1)
        // "alpha beta gamma" four times (once with extra whitespace, which normalizes to the same text), "delta epsilon" twice.
        XCTAssertEqual(c.duplicatesInRun, 4)
        XCTAssertEqual(c.embedded, 10)
        XCTAssertEqual(c.stored, 10)
        XCTAssertEqual(provider.asked.count, 10)
        XCTAssertEqual(Set(provider.asked).count, 10)
        XCTAssertEqual(provider.requests, 4, "one request per chunk here: no chunk has more than 3 new texts")
    }

    func testLengthLimitsCountCharactersNotBytes() {
        let skip = { (text: String) in Pipeline.lengthSkip(text, minChars: 5, maxChars: 50) }
        XCTAssertNil(skip(String(repeating: "語", count: 40)), "40 characters (120 bytes) are within 50")
        XCTAssertEqual(skip(String(repeating: "語", count: 51)), .tooLong)
        XCTAssertEqual(skip(String(repeating: "語", count: 4)), .tooShort, "12 bytes but 4 characters")
        XCTAssertNil(skip("語語語語語"))
        XCTAssertEqual(skip("abcd"), .tooShort)
        XCTAssertNil(skip("abcde"))
        XCTAssertEqual(skip(String(repeating: "a", count: 51)), .tooLong)
        XCTAssertEqual(skip(String(repeating: "😀", count: 50) + "a"), .tooLong, "51 characters in 201 bytes")
        XCTAssertNil(skip(String(repeating: "😀", count: 50)))
        XCTAssertEqual(skip(""), .empty)
    }

    func testARunLeavesEveryShardCheckpointedWithAnEmptyWriteAheadLog() async throws {
        let dir = try temporaryDirectory(self)
        let job = makeJob(dir: dir)
        _ = try await run(job, provider: CountingProvider(), records: makeRecords(texts), options: RunOptions(maxRecords: 4))
        _ = try await run(job, provider: CountingProvider(), records: makeRecords(texts))
        for shard in job.store.shards {
            // Absent (the connections closed) or empty (checkpointed and truncated): either way every committed
            // row is in the database file.
            let wal = (try? FileManager.default.attributesOfItem(atPath: shard.path + "-wal")[.size] as? NSNumber)?.intValue ?? 0
            XCTAssertEqual(wal, 0, shard.path)
        }
    }

    func testTheProvidersOwnLimitsCapTheJobsBatches() async throws {
        let dir = try temporaryDirectory(self)
        let provider = CountingProvider(limits: BatchLimits(maxItems: 2))
        let summary = try await run(makeJob(dir: dir, chunk: 16, maxItems: 100), provider: provider, records: makeRecords(texts))
        XCTAssertEqual(summary.counters.embedded, 10)
        XCTAssertEqual(provider.requestSizes, [2, 2, 2, 2, 2])
    }

    func testBatchesRunConcurrentlyUpToTheProvidersLimitAndEachVectorLandsUnderItsText() async throws {
        let dir = try temporaryDirectory(self)
        let job = makeJob(dir: dir, chunk: 16, maxItems: 1)
        let provider = CountingProvider(concurrency: 3, delay: .milliseconds(30))
        let summary = try await run(job, provider: provider, records: makeRecords(texts))
        XCTAssertEqual(summary.counters.embedded, 10)
        XCTAssertEqual(provider.maxInFlight, 3, "three requests at once, never more")
        var checked = 0
        for location in job.store.shards {
            let db = try SQLiteConnection(path: location.path)
            let statement = try db.cachedStatement("SELECT text_hash, vector FROM embeddings")
            while try statement.step() {
                let hash = try XCTUnwrap(TextHash(hex: statement.string(at: 0) ?? ""))
                let stored = statement.blob(at: 1).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                XCTAssertEqual(stored, HashEmbeddingProvider.vectors(for: [hash], dimensions: 8).values, "results put back in order")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 10)
    }

    func testTheNextChunksBatchesFillTheSlotsTheCurrentChunkLeavesIdle() async throws {
        let dir = try temporaryDirectory(self)
        // Four one-text batches per chunk, six slots: only two chunks embedding at once can fill them.
        let job = makeJob(dir: dir, chunk: 4, maxItems: 1)
        let records = makeRecords((0..<40).map { "distinct text number \($0)" })
        let provider = CountingProvider(concurrency: 6, delay: .milliseconds(30))
        let summary = try await run(job, provider: provider, records: records)
        XCTAssertEqual(summary.counters.embedded, 40)
        XCTAssertEqual(summary.counters.stored, 40)
        XCTAssertEqual(provider.maxInFlight, 6, "a chunk boundary does not drain the requests in flight")
        XCTAssertEqual(provider.asked.count, 40)
    }

    func testAProviderThatGoesAwayMidChunkKeepsWhatItEmbeddedAndTheResumeDoesNotPayAgain() async throws {
        let records = makeRecords((0..<60).map { "distinct text number \($0)" })
        let reference = try temporaryDirectory(self)
        let whole = try await run(makeJob(dir: reference, chunk: 25, maxItems: 4), provider: CountingProvider(), records: records)

        let dir = try temporaryDirectory(self)
        let job = makeJob(dir: dir, chunk: 25, maxItems: 4)
        // The server goes away after 10 requests, in the middle of chunk 2.
        let failing = CountingProvider(answers: 10)
        do {
            _ = try await run(job, provider: failing, records: records)
            XCTFail("the run should stop when the provider goes away")
        } catch let stopped as RunStopped {
            XCTAssertEqual((stopped.underlying as? ProviderError)?.kind, .unavailable)
            XCTAssertEqual(stopped.run.checkpoint.items, 25, "the checkpoint stays after the last whole chunk")
            XCTAssertEqual(stopped.run.counters.textsSent, 37, "every answered request is counted as sent")
        }
        // Chunk 1: 25 texts in 7 requests; chunk 2: 3 requests of 4 answered, then none.
        XCTAssertEqual(failing.answered.count, 37)

        let provider = CountingProvider()
        let resumed = try await run(job, provider: provider, records: records)
        XCTAssertEqual(resumed.state, "done")
        XCTAssertTrue(Set(provider.asked).isDisjoint(with: failing.answered), "nothing that was answered is paid for again")
        XCTAssertEqual(provider.asked.count, 23)
        XCTAssertEqual(resumed.counters.embedded, 60)
        XCTAssertEqual(resumed.counters.stored, 60)
        XCTAssertEqual(resumed.counters.tokensSent, whole.counters.tokensSent)
        for (a, b) in zip(job.store.shards, makeJob(dir: reference).store.shards) {
            XCTAssertEqual(try SQLiteShard(location: a, durability: .normal).digest().sha256, try SQLiteShard(location: b, durability: .normal).digest().sha256)
        }
    }

    func testTextsTheProviderRefusesAreSkippedCountedAndRecordedWithItsMessage() async throws {
        let dir = try temporaryDirectory(self)
        let job = makeJob(dir: dir, chunk: 16, maxItems: 4)
        let provider = CountingProvider(concurrency: 2) { $0.hasPrefix("lambda") || $0.hasPrefix("omega") ? "input too long for the model" : nil }
        let summary = try await run(job, provider: provider, records: makeRecords(texts))
        XCTAssertEqual(summary.counters.embedded, 8)
        XCTAssertEqual(summary.counters.stored, 8)
        XCTAssertEqual(summary.counters.skipped["provider_refused"], 2)
        let control = try SQLiteShard(location: job.store.shards[0], durability: .normal, readOnly: true)
        let failures = try control.failures(runID: summary.runID).filter { $0.reason == .providerRefused }
        XCTAssertEqual(failures.map(\.recordID).sorted(), ["r14", "r8"])
        XCTAssertEqual(Set(failures.map(\.detail)), ["input too long for the model"])
    }

    func testTheProvidersInputCapLimitsTheTokenEstimates() throws {
        let dir = try temporaryDirectory(self)
        let job = makeJob(dir: dir)
        let long = String(repeating: "a", count: 3000)
        let (shards, runs) = try openStores(job)
        let plain = try Pipeline(job: job, spec: ModelCatalog.lookup("minilm-l6")!, source: ArraySource(records: []),
                                 provider: CountingProvider(), shards: shards, runs: runs)
        XCTAssertEqual(plain.estimatedTokens(long), 256, "the model's maximum input")
        let capped = try Pipeline(job: job, spec: ModelCatalog.lookup("minilm-l6")!, source: ArraySource(records: []),
                                  provider: CountingProvider(limits: BatchLimits(maxInputTokens: 100)), shards: shards, runs: runs)
        XCTAssertEqual(capped.estimatedTokens(long), 100, "the server's (TEI's max_input_length) when lower")
        XCTAssertEqual(capped.estimatedTokens("short text"), 6)
    }

    func testTokensNotSentBecauseOfDedupAreCountedAndPricedWithTheJobsPrice() async throws {
        let dir = try temporaryDirectory(self)
        var job = makeJob(dir: dir)
        job.provider.pricePerMillionTokens = 2.0
        let estimate = { (text: String) in Int64(Batcher(maxItems: 1, maxTokens: 1, bytesPerToken: 3).estimateTokens(utf8Count: text.utf8.count, maxInputTokens: 256)) }
        let first = try await run(job, provider: CountingProvider(), records: makeRecords(texts))
        // "alpha beta gamma" three times more, "delta epsilon" once more.
        XCTAssertEqual(first.counters.tokensAvoided, 3 * estimate("alpha beta gamma") + estimate("delta epsilon"))
        XCTAssertEqual(first.cost ?? -1, Double(first.counters.tokensSent) * 2 / 1_000_000, accuracy: 1e-12)
        XCTAssertEqual(first.costAvoided ?? -1, Double(first.counters.tokensAvoided) * 2 / 1_000_000, accuracy: 1e-12)

        // Everything already stored: a second run under another job name avoids every token the first one sent.
        job.name = "again"
        let second = try await run(job, provider: CountingProvider(), records: makeRecords(texts))
        XCTAssertEqual(second.counters.tokensSent, 0)
        XCTAssertEqual(second.counters.tokensAvoided, first.counters.tokensSent + first.counters.tokensAvoided)
        job.provider.pricePerMillionTokens = nil
        job.name = "free"
        let free = try await run(job, provider: CountingProvider(), records: makeRecords(texts))
        XCTAssertNil(free.cost)
    }

    func testEveryRowIsOnTheShardTheRingNames() async throws {
        let dir = try temporaryDirectory(self)
        let job = makeJob(dir: dir)
        _ = try await run(job, provider: CountingProvider(), records: makeRecords(texts))
        let ring = try ShardRing(shardNames: ["0", "1", "2"])
        var total = 0
        for (index, location) in job.store.shards.enumerated() {
            let db = try SQLiteConnection(path: location.path)
            let statement = try db.cachedStatement("SELECT text_hash, length(vector), dimensions FROM embeddings")
            while try statement.step() {
                let hash = try XCTUnwrap(TextHash(hex: statement.string(at: 0) ?? ""))
                XCTAssertEqual(ring.shard(for: hash), index)
                XCTAssertEqual(statement.int64(at: 1), 32, "8 float32s")
                XCTAssertEqual(statement.int64(at: 2), 8)
                total += 1
            }
        }
        XCTAssertEqual(total, 10)
    }

    func testLimitPausesAtACheckpointAndResumingEndsLikeOneRun() async throws {
        let dirA = try temporaryDirectory(self), dirB = try temporaryDirectory(self)
        let records = makeRecords(texts)
        let whole = try await run(makeJob(dir: dirA), provider: CountingProvider(), records: records)

        let provider = CountingProvider()
        var summary = try await run(makeJob(dir: dirB), provider: provider, records: records, options: RunOptions(maxRecords: 5))
        XCTAssertEqual(summary.state, "paused")
        XCTAssertEqual(summary.counters.itemsRead, 8, "stops at the first checkpoint at or after 5 items")
        var rounds = 1
        while summary.state != "done" {
            summary = try await run(makeJob(dir: dirB), provider: provider, records: records, options: RunOptions(maxRecords: 1))
            XCTAssertTrue(summary.resumed)
            rounds += 1
        }
        XCTAssertEqual(rounds, 3)
        XCTAssertEqual(summary.counters, whole.counters, "the in-run dedup set is rebuilt on resume, so counts match exactly")
        XCTAssertEqual(provider.asked.count, 10, "nothing asked twice")
        for (a, b) in zip(makeJob(dir: dirA).store.shards, makeJob(dir: dirB).store.shards) {
            XCTAssertEqual(try SQLiteShard(location: a, durability: .normal).digest().sha256, try SQLiteShard(location: b, durability: .normal).digest().sha256)
        }
    }

    func testRowsCommittedAfterTheLastCheckpointAreRecoveredNotReEmbedded() async throws {
        let dir = try temporaryDirectory(self)
        let job = makeJob(dir: dir)
        let records = makeRecords(texts)
        let first = try await run(job, provider: CountingProvider(), records: records, options: RunOptions(maxRecords: 4))
        // Simulate a crash after the shards committed chunk 2 but before its checkpoint: write its rows
        // by hand under this run's id, leaving the checkpoint at item 4.
        let shards = try openShards(job)
        let ring = try ShardRing(shardNames: ["0", "1", "2"])
        let stored = CountingProvider().storedModel
        for text in ["zeta eta theta", "iota kappa"] {
            let hash = TextHash(normalized: text)
            var batch = ShardBatch(dimensions: 8)
            batch.hashes = [hash]
            batch.vectors = HashEmbeddingProvider.vectors(for: [hash], dimensions: 8).values
            batch.texts = [SeededText(source: "test", category: "", recordID: "r", title: "", text: text)]
            let rows = batch
            _ = try await shards[ring.shard(for: hash)].run { try $0.write(rows, model: stored, tenant: "public", runID: first.runID, chunkEnd: 8, source: "test") }
        }
        let provider = CountingProvider()
        let resumed = try await run(job, provider: provider, records: records)
        XCTAssertEqual(resumed.state, "done")
        XCTAssertFalse(provider.asked.contains(TextHash(normalized: "zeta eta theta")))
        XCTAssertEqual(resumed.counters.embedded, 10)
        XCTAssertEqual(resumed.counters.stored, 10)
        XCTAssertEqual(resumed.counters.alreadyStored, 0)
    }

    func testRowsStoredByAnotherRunAreAlreadyStoredAndRestartStartsANewRun() async throws {
        let dir = try temporaryDirectory(self)
        let job = makeJob(dir: dir)
        let records = makeRecords(texts)
        let paused = try await run(job, provider: CountingProvider(), records: records, options: RunOptions(maxRecords: 4))
        let provider = CountingProvider()
        let restarted = try await run(job, provider: provider, records: records, options: RunOptions(restart: true))
        XCTAssertNotEqual(restarted.runID, paused.runID)
        XCTAssertFalse(restarted.resumed)
        XCTAssertEqual(restarted.counters.alreadyStored, paused.counters.stored)
        XCTAssertEqual(restarted.counters.embedded + restarted.counters.alreadyStored, 10)
        let runs = try SQLiteShard(location: job.store.shards[0], durability: .normal).runs(job: "test")
        XCTAssertEqual(Set(runs.map(\.state)), [.done, .failed])
    }

    func testResumingWithAnotherInputIsRefused() async throws {
        let dir = try temporaryDirectory(self)
        var job = makeJob(dir: dir)
        _ = try await run(job, provider: CountingProvider(), records: makeRecords(texts), options: RunOptions(maxRecords: 4))
        job.source.input = "another"
        do {
            _ = try await run(job, provider: CountingProvider(), records: makeRecords(texts))
            XCTFail("expected a configuration error")
        } catch let error as ConfigurationError {
            XCTAssertTrue(error.description.contains("--restart"))
        }
    }
}
