import Foundation
import Logging

/// Runs a job: source → normalizer → deduplicator → batcher → provider → ring → shards → checkpoint.
///
/// Work moves in chunks of records (`batch.chunk_records`); a chunk is the unit of commit. For each chunk:
/// texts are rendered, normalized and hashed; texts seen earlier in the run are dropped; the rest are looked
/// up in the shard that owns each key and dropped when already stored; what remains is embedded in batches,
/// written to every shard (in parallel, each in one transaction), and only then does the checkpoint advance,
/// in the control shard, together with the counters. Kill the process anywhere and the next run resumes from
/// the last checkpoint: rows committed after it are found in the shards and not paid for again.
public final class Pipeline: @unchecked Sendable {
    let job: JobConfig
    let spec: ModelSpec
    let source: RecordSource
    let provider: EmbeddingProvider
    let shards: [ShardWorker]
    let ring: ShardRing
    let batcher: Batcher
    let templates: [TextTemplate]
    let logger: Logger

    // Touched only by the task running `run` (one at a time).
    private var seen = SeenSet()
    private var stageSeconds: [String: Double] = [:]

    public init(job: JobConfig, spec: ModelSpec, source: RecordSource, provider: EmbeddingProvider,
                shards: [ShardWorker], logger: Logger = Logger(label: "seeder.pipeline")) throws {
        self.job = job
        self.spec = spec
        self.source = source
        self.provider = provider
        self.shards = shards
        self.ring = try ShardRing(shardNames: shards.map(\.location.name))
        self.batcher = Batcher(maxItems: job.batch.maxItems, maxTokens: job.batch.maxTokens, bytesPerToken: job.batch.bytesPerToken)
        self.templates = try job.source.texts.map { try TextTemplate($0) }
        self.logger = logger
    }

    var control: ShardWorker { shards[0] }
    var stored: StoredModel { provider.storedModel }

    /// Runs (or resumes) the job to the end of its input, or to `options.limit`.
    public func run(_ options: RunOptions = RunOptions()) async throws -> RunSummary {
        let started = ContinuousClock.now
        var (run, resumed) = try await beginRun(options)
        let resumeAt = run.checkpoint
        logger.info("\(resumed ? "resuming" : "starting") run \(run.id) of \(job.name) with \(stored.model) at item \(resumeAt.items)")

        let channel = ChunkChannel<RecordChunk>(capacity: 4)
        let sourceBusy = SourceClock()
        let source = self.source
        let chunkSize = job.batch.chunkRecords
        let thread = Thread {
            do {
                try source.read(resumeAfter: resumeAt, chunkSize: chunkSize) { chunk in
                    sourceBusy.pause()
                    defer { sourceBusy.resume() }
                    try channel.send(chunk)
                }
                channel.finish()
            } catch is CancellationError {
                channel.finish()
            } catch {
                channel.finish(throwing: error)
            }
            sourceBusy.pause()
        }
        thread.name = "seeder.source"
        thread.stackSize = 8 << 20
        sourceBusy.resume()
        thread.start()

        var itemsThisInvocation: Int64 = 0
        var lastActiveMark = ContinuousClock.now
        do {
            while let chunk = try await channel.next() {
                if chunk.isReplay {
                    timed("replay") { replay(chunk) }
                    continue
                }
                let failures = try await process(chunk, run: &run)
                itemsThisInvocation += chunk.checkpoint.items - max(run.checkpoint.items, resumeAt.items)
                run.checkpoint = chunk.checkpoint
                run.counters.itemsRead = chunk.checkpoint.items
                run.counters.inputBytesRead = chunk.inputBytesRead
                let now = ContinuousClock.now
                run.activeSeconds += (now - lastActiveMark).seconds
                lastActiveMark = now
                run.updatedAt = Date()
                let snapshot = run
                try await timedAsync("checkpoint") { try await self.control.run { try $0.saveProgress(of: snapshot, failures: failures) } }
                options.onCheckpoint?(run)
                if let limit = options.limit, itemsThisInvocation >= limit {
                    // Budget spent. If the input ends right here the run is done, not paused: look ahead.
                    // A chunk taken here is dropped: the checkpoint is before it, so the next run reads it again.
                    var inputEnded = false
                    do { inputEnded = try await channel.next() == nil } catch { /* it surfaces again on the next run */ }
                    if inputEnded { break }
                    channel.cancel()
                    run.state = .paused
                    let paused = run
                    try await control.run { try $0.saveProgress(of: paused, failures: []) }
                    break
                }
            }
        } catch {
            channel.cancel()
            run.state = .failed
            run.error = String(describing: error)
            run.activeSeconds += (ContinuousClock.now - lastActiveMark).seconds
            run.updatedAt = Date()
            let snapshot = run
            // Best effort: the checkpoint itself is already saved; this records why the run stopped.
            try? await control.run { try $0.saveProgress(of: snapshot, failures: []) }
            throw RunStopped(run: run, underlying: error)
        }
        if run.state != .paused {
            run.state = .done
            run.finishedAt = Date()
            run.error = nil
            run.updatedAt = Date()
            let snapshot = run
            try await control.run { try $0.saveProgress(of: snapshot, failures: []) }
        }
        stageSeconds["source"] = sourceBusy.total
        return RunSummary(runID: run.id, job: job.name, state: run.state.rawValue, resumed: resumed, counters: run.counters,
                          itemsThisInvocation: itemsThisInvocation, wallSeconds: (ContinuousClock.now - started).seconds,
                          stageSeconds: stageSeconds, dedupSetBytes: seen.memoryBytes, model: stored.model,
                          modelVersion: stored.version, normalizerVersion: TextNormalizer.version)
    }

    /// Finds the unfinished run to resume, or records a new one.
    private func beginRun(_ options: RunOptions) async throws -> (RunRecord, Bool) {
        let job = self.job, stored = self.stored
        let existing = try await control.run { try $0.resumableRun(job: job.name, model: stored, tenant: job.store.tenant) }
        if var previous = existing {
            if options.restart {
                previous.state = .failed
                previous.error = "abandoned: a later run was started with --restart"
                previous.updatedAt = Date()
                let snapshot = previous
                try await control.run { try $0.saveProgress(of: snapshot, failures: []) }
            } else {
                guard previous.input == job.source.input, previous.sourceKind == job.source.kind else {
                    throw ConfigurationError(file: job.file ?? "command line", position: "source.input",
                                             message: "the unfinished run \(previous.id) of this job read \(previous.input), this one reads \(job.source.input)",
                                             hint: "pass --restart to abandon it and start over with the new input")
                }
                guard previous.shardNames == ring.shardNames else {
                    throw ConfigurationError(file: job.file ?? "command line", position: "store.shards",
                                             message: "the unfinished run \(previous.id) wrote to shards \(previous.shardNames), this one to \(ring.shardNames)",
                                             hint: "finish it with the same shards, or pass --restart")
                }
                previous.state = .running
                previous.error = nil
                previous.attempts += 1
                previous.updatedAt = Date()
                let snapshot = previous
                try await control.run { try $0.saveProgress(of: snapshot, failures: []) }
                return (previous, true)
            }
        }
        let now = Date()
        let run = RunRecord(id: UUID().uuidString.lowercased(), job: job.name, modelAlias: spec.alias, stored: stored,
                            tenant: job.store.tenant, provider: provider.kind, sourceKind: job.source.kind, input: job.source.input,
                            normalizerVersion: TextNormalizer.version, shardNames: ring.shardNames, state: .running,
                            checkpoint: .start, counters: RunCounters(), error: nil, startedAt: now, updatedAt: now,
                            finishedAt: nil, activeSeconds: 0, attempts: 1)
        try await control.run { try $0.insertRun(run) }
        return (run, false)
    }

    /// A text ready for the dedup and embedding stages.
    struct Candidate {
        var hash: TextHash
        var normalized: String
        var recordIndex: Int
    }

    /// Renders, normalizes, filters and hashes every text of `records`; counts skips and in-run duplicates
    /// into `counters` when given (nil while replaying, which only rebuilds the dedup set).
    private func candidates(of records: [Record], counters: inout RunCounters?) -> [Candidate] {
        var out: [Candidate] = []
        out.reserveCapacity(records.count * templates.count)
        let minChars = job.source.minChars, maxChars = job.source.maxChars
        for (index, record) in records.enumerated() {
            for template in templates {
                guard let raw = template.render(record) else {
                    counters?.skipped[SkipReason.empty.rawValue, default: 0] += 1
                    continue
                }
                let normalized = TextNormalizer.normalize(raw)
                let length = normalized.utf8.count <= maxChars ? normalized.unicodeScalars.count : Int.max
                if length == 0 {
                    counters?.skipped[SkipReason.empty.rawValue, default: 0] += 1
                    continue
                }
                if length < minChars {
                    counters?.skipped[SkipReason.tooShort.rawValue, default: 0] += 1
                    continue
                }
                if length > maxChars {
                    counters?.skipped[SkipReason.tooLong.rawValue, default: 0] += 1
                    continue
                }
                counters?.texts += 1
                let hash = TextHash(normalized: normalized)
                guard seen.insert(hash) else {
                    counters?.duplicatesInRun += 1
                    continue
                }
                out.append(Candidate(hash: hash, normalized: normalized, recordIndex: index))
            }
        }
        return out
    }

    private func replay(_ chunk: RecordChunk) {
        var none: RunCounters? = nil
        _ = candidates(of: chunk.records, counters: &none)
    }

    /// Processes one chunk up to (not including) its checkpoint; returns the failures to record with it.
    private func process(_ chunk: RecordChunk, run: inout RunRecord) async throws -> [RecordFailure] {
        var counters: RunCounters? = run.counters
        counters?.records += Int64(chunk.records.count)
        counters?.addSkips(chunk.skipped)
        let fresh = timed("normalize") { candidates(of: chunk.records, counters: &counters) }
        guard var counters else { return chunk.failures }

        // Which keys each shard owns.
        let owners = ring.owners(of: fresh.map(\.hash))
        var perShard = [[Int]](repeating: [], count: shards.count)
        for (i, owner) in owners.enumerated() { perShard[owner].append(i) }

        // One batched lookup per shard, all shards at once.
        let stored = self.stored, tenant = job.store.tenant
        let found: [[TextHash: StoredKey]] = try await timedAsync("lookup") {
            try await withThrowingTaskGroup(of: (Int, [TextHash: StoredKey]).self) { group in
                for (s, indices) in perShard.enumerated() where !indices.isEmpty {
                    let keys = indices.map { fresh[$0].hash }
                    group.addTask { (s, try await self.shards[s].run { try $0.lookup(keys, model: stored, tenant: tenant) }) }
                }
                var result = [[TextHash: StoredKey]](repeating: [:], count: shards.count)
                for try await (s, map) in group { result[s] = map }
                return result
            }
        }

        // Keep what must be embedded. A key stored by this very run was committed after the last checkpoint
        // by an attempt that then died: it counts as embedded and stored, as in an uninterrupted run, and is
        // not paid for again.
        var toEmbed: [Int] = []
        for (i, candidate) in fresh.enumerated() {
            if let hit = found[owners[i]][candidate.hash] {
                if hit.seededByRun == run.id {
                    counters.embedded += 1
                    counters.stored += 1
                } else {
                    counters.alreadyStored += 1
                }
            } else {
                toEmbed.append(i)
            }
        }

        // Embed in batches cut by items and tokens.
        let prefix = spec.documentPrefix ?? ""
        let inputs: [EmbeddingInput] = toEmbed.map { i in
            let text = prefix.isEmpty ? fresh[i].normalized : prefix + fresh[i].normalized
            return EmbeddingInput(text: text, hash: fresh[i].hash,
                                  estimatedTokens: batcher.estimateTokens(utf8Count: text.utf8.count, maxInputTokens: spec.maxInputTokens))
        }
        let dims = stored.dimensions
        var batches = shards.map { _ in ShardBatch(dimensions: dims) }
        try await timedAsync("embed") {
            for range in batcher.cut(tokens: inputs.map(\.estimatedTokens)) {
                let slice = Array(inputs[range])
                let matrix = try await provider.embed(slice)
                guard matrix.rows == slice.count, matrix.dimensions == dims, matrix.values.count == slice.count * dims else {
                    throw ProviderError(provider: provider.kind, message: "returned \(matrix.rows) vectors of \(matrix.dimensions) dimensions for \(slice.count) texts; expected \(dims) dimensions")
                }
                counters.textsSent += Int64(slice.count)
                counters.batchesSent += 1
                counters.tokensSent += Int64(matrix.tokensUsed ?? slice.reduce(0) { $0 + $1.estimatedTokens })
                for (offset, input) in slice.enumerated() {
                    let i = toEmbed[range.lowerBound + offset]
                    let s = owners[i]
                    let record = chunk.records[fresh[i].recordIndex]
                    batches[s].hashes.append(input.hash)
                    batches[s].vectors.append(contentsOf: matrix.values[(offset * dims)..<((offset + 1) * dims)])
                    batches[s].texts.append(SeededText(source: source.kind, category: record.category, recordID: record.id,
                                                       title: record.title, text: fresh[i].normalized))
                }
            }
        }
        counters.embedded += Int64(toEmbed.count)

        // Every shard commits its part before the checkpoint may move.
        let runID = run.id, sourceKind = source.kind
        let written: Int = try await timedAsync("write") {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for (s, batch) in batches.enumerated() where batch.count > 0 {
                    group.addTask { try await self.shards[s].run { try $0.write(batch, model: stored, tenant: tenant, runID: runID, source: sourceKind) } }
                }
                return try await group.reduce(0, +)
            }
        }
        counters.stored += Int64(written)
        run.counters = counters
        return chunk.failures
    }

    private func timed<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
        let start = ContinuousClock.now
        defer { stageSeconds[stage, default: 0] += (ContinuousClock.now - start).seconds }
        return try body()
    }

    private func timedAsync<T>(_ stage: String, _ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        defer { stageSeconds[stage, default: 0] += (ContinuousClock.now - start).seconds }
        return try await body()
    }
}

/// A provider failed in a way retrying won't fix here.
public struct ProviderError: Error, Sendable, CustomStringConvertible {
    public var provider: String
    public var message: String
    public var hint: String?
    public init(provider: String, message: String, hint: String? = nil) {
        self.provider = provider
        self.message = message
        self.hint = hint
    }
    public var description: String { "provider \(provider): \(message)" + (hint.map { " — \($0)" } ?? "") }
}

/// Busy time of the source thread: running, minus the time it waits for the pipeline to take a chunk.
final class SourceClock: @unchecked Sendable {
    private let lock = NSLock()
    private var since: ContinuousClock.Instant?
    private var accumulated: Double = 0

    func resume() {
        lock.lock(); defer { lock.unlock() }
        since = ContinuousClock.now
    }

    func pause() {
        lock.lock(); defer { lock.unlock() }
        if let since { accumulated += (ContinuousClock.now - since).seconds }
        since = nil
    }

    var total: Double {
        lock.lock(); defer { lock.unlock() }
        return accumulated
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
