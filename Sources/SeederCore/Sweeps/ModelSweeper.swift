import Foundation

/// Removes (or flags) every row of one model whose version is not the current one, on every shard of a job
/// (`seeder sweep`), without holding up the cache that keeps serving from the same tables.
///
/// Each shard is swept in batches, each one short transaction that also saves the shard's cursor, so that a sweep
/// killed anywhere and started again continues where its last batch committed and ends in the same state. Between
/// two batches the sweep waits as long as the last one took (at least ``pauseFloor``): the cache's own writers get
/// the shard at least half of the time, and no writer waits for more than one batch. Batches are bounded by time as
/// well as rows: one that takes longer than ``batchTarget`` halves the next (a loaded machine, a cold cache), and
/// quick ones grow it back, up to `batch` rows.
public final class ModelSweeper: Sendable {
    public let scope: SweepScope
    public let action: SweepAction
    let settings: JobConfig.StoreSettings
    /// Rows per batch (of `seeder_texts`, then of `embeddings`, on SQLite; of `embeddings` on PostgreSQL).
    let batch: Int
    /// The shortest wait between two batches of one shard.
    let pauseFloor: Duration
    /// How long one batch should hold a shard's write lock at most: a writer of the cache waits that long at worst.
    let batchTarget: Duration
    /// Shards swept at once. One by default: a sweep is not in a hurry, and every shard swept at once takes a core
    /// and disk bandwidth from the cache serving beside it.
    let parallel: Int

    public init(settings: JobConfig.StoreSettings, scope: SweepScope, action: SweepAction, batch: Int = 1_000,
                pauseFloor: Duration = .milliseconds(2), batchTarget: Duration = .milliseconds(20), parallel: Int = 1) {
        self.settings = settings
        self.scope = scope
        self.action = action
        self.batch = max(1, batch)
        self.pauseFloor = pauseFloor
        self.batchTarget = batchTarget
        self.parallel = max(1, parallel)
    }

    /// One shard's figures.
    public struct ShardResult: Sendable, Equatable {
        public var shard: String
        /// The rows of the model in the tenant, by value and version, before the sweep (a dry run's answer).
        public var counts: [StaleCount]
        /// What the sweep did (nil in a dry run).
        public var progress: SweepProgress?
        /// The longest batch, in seconds: how long a writer could have waited for this shard.
        public var longestBatchSeconds: Double

        /// Rows the sweep removes or flags: the stale counts summed.
        public var staleRows: Int64 { counts.filter(\.stale).reduce(0) { $0 + $1.rows } }
    }

    /// The exact counts, per shard, of the rows a sweep would remove, by `model` value and version, the kept version
    /// included (for context). Opens the shards as they are: nothing is created or migrated.
    public func plan() async throws -> [ShardResult] {
        var out: [ShardResult] = []
        for location in settings.shards {
            try Self.requireFile(location)
            let settings = self.settings
            let shard = try await StoreOpener.offPool { try StoreOpener.shard(location, settings: settings, inspecting: true) }
            do {
                out.append(ShardResult(shard: location.name, counts: try await shard.staleCounts(scope), progress: nil, longestBatchSeconds: 0))
            } catch {
                await shard.close()
                throw error
            }
            await shard.close()
        }
        return out
    }

    /// Sweeps every shard (`parallel` at a time, each in its own batches); `progress` is called after each batch.
    public func run(progress: (@Sendable (String, SweepProgress) -> Void)? = nil) async throws -> [ShardResult] {
        let settings = self.settings
        var shards: [ShardStore] = []
        do {
            for location in settings.shards {
                try Self.requireFile(location)
                shards.append(try await StoreOpener.offPool { try StoreOpener.shard(location, settings: settings) })
            }
            let opened = shards
            let results = try await withThrowingTaskGroup(of: (Int, ShardResult).self) { group in
                var results = [ShardResult?](repeating: nil, count: opened.count)
                for (index, shard) in opened.enumerated() {
                    if index >= parallel, let (done, result) = try await group.next() { results[done] = result }
                    group.addTask { (index, try await self.sweep(shard, progress: progress)) }
                }
                for try await (index, result) in group { results[index] = result }
                return results.compactMap { $0 }
            }
            for shard in shards { await shard.close() }
            return results
        } catch {
            for shard in shards { await shard.close() }
            throw error
        }
    }

    private func sweep(_ shard: ShardStore, progress report: (@Sendable (String, SweepProgress) -> Void)?) async throws -> ShardResult {
        let name = shard.location.name
        let counts = try await shard.staleCounts(scope)
        var progress = try await shard.beginSweep(scope, action: action)
        let resumed = progress.resumed
        var longest: Duration = .zero
        var limit = batch
        while !progress.finished {
            try Task.checkCancellation()
            let started = ContinuousClock.now
            progress = try await shard.sweepStep(scope, action: action, limit: limit)
            let took = ContinuousClock.now - started
            longest = max(longest, took)
            report?(name, progress)
            // Rows per batch follow the time they take: halve past the target, grow by a quarter well under it.
            if took > batchTarget {
                limit = min(batch, max(Self.minimumBatch, limit / 2))
            } else if took * 2 < batchTarget {
                limit = min(batch, limit + max(1, limit / 4))
            }
            if !progress.finished { try await Task.sleep(for: max(took, pauseFloor)) }
        }
        progress.resumed = resumed
        try await shard.makeDurable()
        return ShardResult(shard: name, counts: counts, progress: progress, longestBatchSeconds: longest.seconds)
    }

    /// The fewest rows a batch shrinks to: below this the transactions' own cost dominates.
    static let minimumBatch = 25

    private static func requireFile(_ location: ShardLocation) throws {
        if !location.isPostgres && !FileManager.default.fileExists(atPath: location.path) {
            throw StoreError(shard: location, message: "no such shard file", hint: "check the job's store.shards (or --shards)")
        }
    }
}
