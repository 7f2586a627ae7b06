import Foundation

/// The commit stage: every shard commits its part of a chunk, then the checkpoint moves, in input order.
extension Pipeline {
    /// Writes `chunk` to its shards (in parallel, one transaction each), then saves the checkpoint with the
    /// counters and failures in the control shard. Returns the run as saved.
    func commit(_ chunk: PreparedChunk, onto base: RunRecord, options: RunOptions) async throws -> RunRecord {
        var run = base
        let stored = self.stored, tenant = job.store.tenant, runID = run.id, sourceKind = source.kind
        let written: Int = try await timer.time("write") {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for (s, batch) in chunk.batches.enumerated() where batch.count > 0 {
                    group.addTask { try await self.shards[s].run { try $0.write(batch, model: stored, tenant: tenant, runID: runID, source: sourceKind) } }
                }
                return try await group.reduce(0, +)
            }
        }
        run.counters.add(chunk.delta)
        run.counters.stored += Int64(written)
        run.counters.itemsRead = chunk.checkpoint.items
        run.counters.inputBytesRead = chunk.inputBytesRead
        run.checkpoint = chunk.checkpoint
        run.updatedAt = Date()
        let snapshot = run
        try await timer.time("checkpoint") { try await self.control.run { try $0.saveProgress(of: snapshot, failures: chunk.failures) } }
        options.onCheckpoint?(run)
        return run
    }
}
