import Foundation

/// What the commit stage carries from one chunk to the next: the run as committed so far, and what has not yet
/// been saved as its checkpoint. Touched by one commit at a time (each awaits the previous one), and by the run
/// loop only after awaiting the last.
final class CommitState: @unchecked Sendable {
    var run: RunRecord
    var unsavedFailures: [RecordFailure] = []
    var lastSaved = ContinuousClock.now
    /// `run.activeSeconds` when this invocation started, and when: active time is summed over invocations.
    let activeBefore: Double
    let invocationStart = ContinuousClock.now

    init(run: RunRecord) {
        self.run = run
        self.activeBefore = run.activeSeconds
    }
}

/// The commit stage: every shard commits its part of a chunk, in input order; the run's checkpoint follows.
extension Pipeline {
    /// How often the checkpoint is saved. Rows committed since the last save are not lost by a crash (they are
    /// found in the shards and counted as the run's, not embedded again); only reading resumes further back.
    static let checkpointInterval: Duration = .seconds(2)

    /// Chunks embedded at once: the oldest, and the next one filling the provider's idle slots.
    static let chunksEmbeddingAtOnce = 2

    /// Writes `chunk` to its shards (in parallel, one transaction each), then moves the run's position past it,
    /// saving the checkpoint when `checkpointInterval` has passed.
    func commit(_ chunk: PreparedChunk, state: CommitState, options: RunOptions) async throws {
        let stored = self.stored, tenant = job.store.tenant, runID = state.run.id, sourceKind = source.kind
        let chunkEnd = chunk.checkpoint.items
        let written: Int = try await timer.time("write") {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for (s, batch) in chunk.batches.enumerated() where batch.count > 0 {
                    group.addTask {
                        try await self.shards[s].write(batch, model: stored, tenant: tenant, runID: runID, chunkEnd: chunkEnd, source: sourceKind)
                    }
                }
                return try await group.reduce(0, +)
            }
        }
        state.run.counters.add(chunk.delta)
        state.run.counters.stored += Int64(written)
        state.run.counters.itemsRead = chunk.checkpoint.items
        state.run.counters.inputBytesRead = chunk.inputBytesRead
        state.run.checkpoint = chunk.checkpoint
        state.unsavedFailures += chunk.failures
        state.run.activeSeconds = state.activeBefore + (ContinuousClock.now - state.invocationStart).seconds
        if ContinuousClock.now - state.lastSaved >= Self.checkpointInterval {
            try await persist(state)
        }
        options.onCheckpoint?(state.run)
    }

    /// Writes the rows of a chunk that will not be committed (its embedding stopped, or an earlier chunk's did)
    /// without moving the checkpoint, and counts what sending them cost. Returns the rows written.
    func writeUncheckpointed(_ chunk: PreparedChunk, state: CommitState) async throws -> Int {
        let stored = self.stored, tenant = job.store.tenant, runID = state.run.id, sourceKind = source.kind
        let chunkEnd = chunk.checkpoint.items
        let written: Int = try await withThrowingTaskGroup(of: Int.self) { group in
            for (s, batch) in chunk.batches.enumerated() where batch.count > 0 {
                group.addTask {
                    try await self.shards[s].write(batch, model: stored, tenant: tenant, runID: runID, chunkEnd: chunkEnd, source: sourceKind)
                }
            }
            return try await group.reduce(0, +)
        }
        // Only the sending is counted now; the rows count as embedded and stored when the resume reaches them.
        state.run.counters.textsSent += chunk.delta.textsSent
        state.run.counters.batchesSent += chunk.delta.batchesSent
        state.run.counters.retries += chunk.delta.retries
        state.run.counters.tokensSent += chunk.delta.tokensSent
        state.run.counters.tokensEstimated += chunk.delta.tokensEstimated
        return written
    }

    /// Saves the run — state, checkpoint, counters, failures — in the run store, in one transaction. With
    /// `durability = full`, every shard is made durable first (SQLite fsyncs its write-ahead log), so the saved
    /// position never passes a row that power loss could take.
    func persist(_ state: CommitState) async throws {
        if job.store.durability == .full {
            try await timer.time("sync") {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for shard in shards { group.addTask { try await shard.makeDurable() } }
                    try await group.waitForAll()
                }
            }
        }
        let now = ContinuousClock.now
        state.run.activeSeconds = state.activeBefore + (now - state.invocationStart).seconds
        state.run.updatedAt = Date()
        let snapshot = state.run, failures = state.unsavedFailures
        try await timer.time("checkpoint") { try await self.runs.saveProgress(of: snapshot, failures: failures) }
        state.unsavedFailures = []
        state.lastSaved = now
    }
}
