import Foundation
import Logging

/// Runs a job: source → normalizer → deduplicator → batcher → provider → ring → shards → checkpoint.
///
/// Work moves in chunks of records (`batch.chunk_records`); a chunk is the unit of commit. Two stages overlap:
/// *prepare* (render, normalize and hash the texts, drop those seen earlier in the run, look the rest up in the
/// shard that owns each key and drop those already stored, embed what remains) runs on chunk k+1 while *commit*
/// (write every shard in parallel, each in one transaction, then advance the checkpoint and the counters together
/// in the run store) runs on chunk k. Commits happen in input order, so the checkpoint never passes a chunk
/// that some shard has not committed. Kill the process anywhere and the next run resumes from the last checkpoint:
/// rows committed after it are found in the shards and not paid for again.
public final class Pipeline: @unchecked Sendable {
    let job: JobConfig
    let spec: ModelSpec
    let source: RecordSource
    let provider: EmbeddingProvider
    let shards: [ShardStore]
    /// Where the run's record, checkpoints and failures live, and its lock.
    let runs: RunStore
    let ring: ShardRing
    let batcher: Batcher
    let templates: [TextTemplate]
    let logger: Logger
    let timer = StageTimer()
    /// The part of the job this run seeds, if the job is partitioned.
    let partition: Partition?
    /// The same partition when this pipeline has to pick its part's texts by key; nil when the source reads only its
    /// part (a multistream dump split by stream) or the job is not partitioned.
    let keyPartition: Partition?

    // Touched only by the prepare stage (one chunk at a time, in order).
    var seen = SeenSet()
    /// New texts charged to each category of the job's `[select]` quotas, the chunks staged so far included.
    var selectionUsed: [String: Int64] = [:]

    /// - Parameters:
    ///   - partition: the part of the job this run seeds (`--partition`), nil for all of it.
    ///   - sourceIsPartitioned: whether `source` already reads only that part (else texts are picked by key).
    public init(job: JobConfig, spec: ModelSpec, source: RecordSource, provider: EmbeddingProvider,
                shards: [ShardStore], runs: RunStore, partition: Partition? = nil, sourceIsPartitioned: Bool = false,
                logger: Logger = Logger(label: "seeder.pipeline")) throws {
        self.job = job
        self.partition = partition
        self.keyPartition = sourceIsPartitioned ? nil : partition
        self.spec = spec
        self.source = source
        self.provider = provider
        self.shards = shards
        self.runs = runs
        self.ring = try ShardRing(shardNames: shards.map(\.location.name))
        // The job's limits, capped by what the provider accepts per request.
        let limits = provider.batchLimits
        self.batcher = Batcher(maxItems: min(job.batch.maxItems, limits.maxItems ?? .max),
                               maxTokens: min(job.batch.maxTokens, limits.maxTokens ?? .max),
                               bytesPerToken: job.batch.bytesPerToken, maxInputTokens: limits.maxInputTokens)
        self.templates = try job.source.texts.map { try TextTemplate($0) }
        self.logger = logger
    }

    var stored: StoredModel { provider.storedModel }

    /// The partition as stored with the run: "" for the whole job.
    var partitionName: String { partition?.description ?? "" }

    /// Runs (or resumes) the job to the end of its input, or until it is asked to stop (`options`).
    public func run(_ options: RunOptions = RunOptions()) async throws -> RunSummary {
        // One run of a job, model, tenant and partition at a time: a second would read the same checkpoint and pay twice.
        try await runs.lockRun(job: job.name, model: stored, tenant: job.store.tenant, partition: partitionName)
        do {
            let summary = try await runLocked(options)
            try? await runs.unlockRun()
            return summary
        } catch {
            try? await runs.unlockRun()
            throw error
        }
    }

    private func runLocked(_ options: RunOptions) async throws -> RunSummary {
        let started = ContinuousClock.now
        var (run, resumed) = try await beginRun(options)
        let resumeAt = run.checkpoint
        selectionUsed = run.counters.selected
        logger.info("\(resumed ? "resuming" : "starting") run \(run.id) of \(job.name) with \(stored.model) at item \(resumeAt.items)")

        // What an attempt that died committed past the checkpoint: found in the shards, not embedded again.
        let recovered = resumed ? try await keysWritten(runID: run.id, after: resumeAt.items) : []
        let channel = ChunkChannel<RecordChunk>(capacity: 2)
        let sourceClock = startSource(resumeAt: resumeAt, into: channel)

        // Stopping early: a stop ends the reading at once (a consumer waiting for the source is woken), and gives
        // the work in flight `stopGrace` to finish before it is abandoned.
        let stop = options.stop ?? RunStop()
        let inFlight = InFlightTasks()
        let grace = options.stopGrace
        let graceTimer = GraceTimer()
        stop.observe { event in
            switch event {
            case .stop:
                channel.cancel()
                graceTimer.start(after: grace) { stop.abandon() }
            case .abandon:
                inFlight.cancelAll()
            }
        }
        let deadline: Task<Void, Never>? = options.maxDuration.map { duration in
            Task {
                try? await Task.sleep(until: started + duration, clock: .continuous)
                if !Task.isCancelled { stop.request(.maxDuration) }
            }
        }
        defer {
            deadline?.cancel()
            graceTimer.cancel()
        }
        var itemsThisInvocation: Int64 = 0
        var lastPosition = resumeAt.items
        let state = CommitState(run: run)
        let gate = BatchGate(slots: provider.maxConcurrentBatches)
        // Chunks being embedded, oldest first. The next chunk's batches take the slots the current one has no batch
        // left for (BatchGate), so requests don't drain at chunk boundaries.
        var embedding: [Task<PreparedChunk, Error>] = []
        var sequence: Int64 = 0
        // The commit of the previous chunk, running while the next ones are embedded.
        var pending: Task<Void, Error>?
        // Set when the input itself fails (data error): the chunks read before the damage still commit.
        var sourceFailed = false
        func nextChunk() async throws -> RecordChunk? {
            do { return try await channel.next() } catch {
                sourceFailed = true
                throw error
            }
        }
        func commitOldest() async throws {
            try await pending?.value
            let prepared = try await embedding[0].value
            inFlight.remove(embedding.removeFirst())
            pending = Task { try await self.commit(prepared, state: state, options: options) }
        }
        var stoppedBy: StopReason?
        do {
            while let chunk = try await nextChunk() {
                // Asked to stop: this chunk is dropped (the checkpoint is before it; the next run reads it again).
                if stop.reason != nil { break }
                if chunk.isReplay {
                    timer.time("replay") { replay(chunk) }
                    continue
                }
                let staged = try await stage(chunk, recovered: recovered)
                itemsThisInvocation += chunk.checkpoint.items - lastPosition
                lastPosition = chunk.checkpoint.items
                let priority = sequence
                sequence += 1
                let task = Task { try await self.embed(staged, sequence: priority, gate: gate) }
                embedding.append(task)
                inFlight.add(task)
                if embedding.count >= Self.chunksEmbeddingAtOnce { try await commitOldest() }
                if let selection = job.selection, selection.isExhausted(selectionUsed) {
                    // Every `[select]` quota is used up: nothing further in the input can be seeded. Done here.
                    logger.info("every select.quota is used up at item \(chunk.checkpoint.items): the run is done")
                    channel.cancel()
                    break
                }

                if let limit = options.maxRecords, itemsThisInvocation >= limit {
                    while !embedding.isEmpty { try await commitOldest() }
                    try await pending?.value
                    pending = nil
                    // Budget spent. If the input ends right here the run is done, not paused: look ahead.
                    // A chunk taken here is dropped: the checkpoint is before it, so the next run reads it again.
                    var inputEnded = false
                    // (A stop asked for meanwhile also ends the channel: then the input is not known to have ended.)
                    do { inputEnded = try await channel.next() == nil && stop.reason == nil } catch { /* it surfaces again on the next run */ }
                    if !inputEnded {
                        channel.cancel()
                        stoppedBy = .maxRecords
                        state.run.state = .paused
                        try await persist(state)
                    }
                    break
                }
            }
            while !embedding.isEmpty { try await commitOldest() }
            try await pending?.value
            // Stopped from outside (a signal, the deadline), with the work in flight finished.
            if stoppedBy == nil, let reason = stop.reason {
                stoppedBy = reason
                state.run.state = .paused
                try await persist(state)
            }
        } catch where stop.isAbandoned && Self.isCancellation(error) {
            // The stop's grace ran out (or a second signal came): keep what the batches in flight returned, and
            // pause at the last checkpoint.
            channel.cancel()
            stoppedBy = stop.reason
            try await abandonInFlight(embedding, pending: pending, state: state)
            embedding = []
            state.run.state = .paused
            state.run.error = nil
            try await persist(state)
        } catch {
            channel.cancel()
            var cause = error
            var unfinished: [PreparedChunk] = []
            if let stopped = error as? PartialEmbedding {
                cause = stopped.underlying
                unfinished.append(stopped.completed)
                embedding.removeFirst()
            }
            // A broken input leaves the chunks before the damage to commit, as an uninterrupted run would. After a
            // provider or store failure, the chunks still embedding are cancelled.
            var committing = sourceFailed
            while committing && !embedding.isEmpty {
                do {
                    try await commitOldest()
                } catch let stopped as PartialEmbedding {
                    unfinished.append(stopped.completed)
                    embedding.removeFirst()
                    committing = false
                } catch {
                    committing = false
                }
            }
            for task in embedding { task.cancel() }
            for task in embedding {
                switch await task.result {
                case .success(let prepared): unfinished.append(prepared)
                case .failure(let stopped as PartialEmbedding):
                    unfinished.append(stopped.completed)
                    // A later chunk's batch may have failed first, and closed the gate on this one's.
                    if cause is CancellationError, !(stopped.underlying is CancellationError) { cause = stopped.underlying }
                case .failure: break
                }
            }
            embedding = []
            // Let a commit under way finish: what it committed is saved with the failure.
            _ = try? await pending?.value
            // What was embedded past the last committed chunk is paid for: write it without moving the checkpoint,
            // and a resume finds it as this run's (keysWritten) instead of paying again.
            var saved = 0
            for chunk in unfinished { saved += (try? await writeUncheckpointed(chunk, state: state)) ?? 0 }
            if saved > 0 { logger.notice("kept \(saved) texts embedded past the checkpoint; resuming will not pay for them again") }
            state.run.state = .failed
            state.run.error = String(describing: cause)
            // Best effort: if even this fails, the last saved checkpoint stands, and is consistent.
            try? await persist(state)
            throw RunStopped(run: state.run, underlying: cause)
        }
        if state.run.state != .paused {
            stoppedBy = nil
            state.run.state = .done
            state.run.finishedAt = Date()
            state.run.error = nil
            try await persist(state)
        }
        options.onCheckpoint?(state.run)
        run = state.run
        try await timer.time("wal_checkpoint") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for shard in shards { group.addTask { try await shard.finish() } }
                try await group.waitForAll()
            }
        }
        var stages = timer.snapshot
        stages["source"] = sourceClock.total
        let price = job.provider.pricePerMillionTokens
        return RunSummary(runID: run.id, job: job.name, state: run.state.rawValue, resumed: resumed, counters: run.counters,
                          itemsThisInvocation: itemsThisInvocation, wallSeconds: (ContinuousClock.now - started).seconds,
                          stageSeconds: stages, dedupSetBytes: seen.memoryBytes, model: stored.model,
                          modelVersion: stored.version, normalizerVersion: TextNormalizer.version,
                          pricePerMillionTokens: price,
                          cost: RunCounters.cost(tokens: run.counters.tokensSent, pricePerMillionTokens: price),
                          costAvoided: RunCounters.cost(tokens: run.counters.tokensAvoided, pricePerMillionTokens: price),
                          stopReason: stoppedBy?.description, partition: partition?.description)
    }

    /// Whether `error` is the cancellation of abandoned work (a batch cancelled mid-chunk reports it as a partial
    /// embedding).
    static func isCancellation(_ error: Error) -> Bool {
        if error is CancellationError { return true }
        if let partial = error as? PartialEmbedding { return partial.underlying is CancellationError }
        return false
    }

    /// Abandons the chunks still embedding after a stop: each is cancelled, and what its finished batches returned
    /// is written without moving the checkpoint (paid for; a resume finds it and does not pay again).
    private func abandonInFlight(_ embedding: [Task<PreparedChunk, Error>], pending: Task<Void, Error>?, state: CommitState) async throws {
        for task in embedding { task.cancel() }
        var unfinished: [PreparedChunk] = []
        for task in embedding {
            switch await task.result {
            case .success(let prepared): unfinished.append(prepared)
            case .failure(let stopped as PartialEmbedding): unfinished.append(stopped.completed)
            case .failure: break
            }
        }
        // A commit under way finishes: it is in input order, before every chunk above.
        try await pending?.value
        var saved = 0
        for chunk in unfinished { saved += try await writeUncheckpointed(chunk, state: state) }
        if saved > 0 { logger.notice("stopping: kept \(saved) texts embedded past the checkpoint; resuming will not pay for them again") }
    }

    /// The keys `runID` wrote to any shard in chunks ending after `items`.
    private func keysWritten(runID: String, after items: Int64) async throws -> Set<TextHash> {
        try await withThrowingTaskGroup(of: Set<TextHash>.self) { group in
            for shard in shards { group.addTask { try await shard.keysWritten(runID: runID, after: items) } }
            return try await group.reduce(into: []) { $0.formUnion($1) }
        }
    }

    /// Starts the source on a thread of its own (its parser blocks); chunks arrive through `channel`.
    private func startSource(resumeAt: SourceCheckpoint, into channel: ChunkChannel<RecordChunk>) -> SourceClock {
        let clock = SourceClock()
        let source = self.source
        let chunkSize = job.batch.chunkRecords
        let thread = Thread {
            nameCurrentThread("seeder-source")
            lowerCurrentThreadPriority()
            do {
                try source.read(resumeAfter: resumeAt, chunkSize: chunkSize) { chunk in
                    clock.pause()
                    defer { clock.resume() }
                    try channel.send(chunk)
                }
                channel.finish()
            } catch is CancellationError {
                channel.finish()
            } catch {
                channel.finish(throwing: error)
            }
            clock.pause()
        }
        thread.name = "seeder.source"
        thread.stackSize = 8 << 20
        clock.resume()
        thread.start()
        return clock
    }

    /// Finds the unfinished run to resume, or records a new one.
    private func beginRun(_ options: RunOptions) async throws -> (RunRecord, Bool) {
        let job = self.job, stored = self.stored
        let existing = try await runs.resumableRun(job: job.name, model: stored, tenant: job.store.tenant, partition: partitionName)
        if var previous = existing {
            if options.restart {
                previous.state = .failed
                previous.error = "abandoned: a later run was started with --restart"
                previous.updatedAt = Date()
                let snapshot = previous
                try await runs.saveProgress(of: snapshot, failures: [])
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
                previous.providerModel = provider.providerModel ?? previous.providerModel
                previous.pricePerMillionTokens = job.provider.pricePerMillionTokens
                previous.updatedAt = Date()
                let snapshot = previous
                try await runs.saveProgress(of: snapshot, failures: [])
                return (previous, true)
            }
        }
        let now = Date()
        let run = RunRecord(id: UUID().uuidString.lowercased(), job: job.name, modelAlias: spec.alias, stored: stored,
                            tenant: job.store.tenant, provider: provider.kind, sourceKind: job.source.kind, input: job.source.input,
                            normalizerVersion: TextNormalizer.version, shardNames: ring.shardNames, state: .running,
                            checkpoint: .start, counters: RunCounters(), error: nil, startedAt: now, updatedAt: now,
                            finishedAt: nil, activeSeconds: 0, attempts: 1, providerModel: provider.providerModel,
                            pricePerMillionTokens: job.provider.pricePerMillionTokens, partition: partitionName)
        try await runs.insertRun(run)
        return (run, false)
    }
}
