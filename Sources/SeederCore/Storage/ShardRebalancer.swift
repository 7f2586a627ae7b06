import Foundation

/// Moves the rows whose owner changes when a job's shard list changes (`seeder shards rebalance --to`), and only
/// those: with rendezvous hashing, adding a fifth shard to four moves about a fifth of the keys, all to the new one.
///
/// Each step copies a batch of rows to their new shard in one transaction (whole rows: hit counts, timestamps and
/// seeder's texts included; rows already there are left alone), then deletes them from the old one in another.
/// A crash between the two leaves a row on both shards, and the next run of the rebalance copies it again (a
/// no-op) and deletes it: so it is resumable from anywhere, and a row is never lost nor left twice once it has
/// finished. The shards can be of either kind, so this also moves a job from SQLite files to PostgreSQL.
public final class ShardRebalancer: Sendable {
    public let from: [ShardLocation]
    public let to: [ShardLocation]
    let settings: JobConfig.StoreSettings
    /// Keys per step: one read, one copy transaction, one delete transaction.
    let batch: Int

    /// Moves from `settings.shards` to `to` (its names by position unless given). A shard of both lists (same path
    /// or DSN) is the same store.
    public init(settings: JobConfig.StoreSettings, to: [ShardLocation], batch: Int = 2_000) throws {
        self.from = settings.shards
        self.to = to
        self.settings = settings
        self.batch = max(1, batch)
        _ = try ShardRing(shardNames: to.map(\.name))
    }

    /// Rows moved (or, in a dry run, to move) from one shard to another, by shard name.
    public struct Move: Sendable, Equatable, Hashable {
        public var from: String
        public var to: String
    }

    /// What a rebalance did, or in a dry run would do.
    public struct Report: Sendable, Equatable {
        public var dryRun: Bool
        /// Rows read, per old shard name.
        public var scanned: [String: Int] = [:]
        /// Rows moving, per (old shard, new shard).
        public var moves: [Move: Int] = [:]

        public var totalScanned: Int { scanned.values.reduce(0, +) }
        public var totalMoved: Int { moves.values.reduce(0, +) }
    }

    /// Runs the rebalance (or counts it, with `dryRun`). `progress` is called after each step with the report so far.
    public func run(dryRun: Bool, progress: (@Sendable (Report) -> Void)? = nil) async throws -> Report {
        let newRing = try ShardRing(shardNames: to.map(\.name))
        // One store per distinct path, opened once whichever list names it. A dry run opens only the old shards,
        // as they are (read-only, nothing migrated or created).
        var stores: [String: ShardStore] = [:]
        func store(_ location: ShardLocation) async throws -> ShardStore {
            if let open = stores[location.path] { return open }
            let settings = self.settings
            let opened = try await StoreOpener.offPool { try StoreOpener.shard(location, settings: settings, inspecting: dryRun) }
            stores[location.path] = opened
            return opened
        }
        var report = Report(dryRun: dryRun)
        do {
            for old in from {
                if !old.isPostgres && !FileManager.default.fileExists(atPath: old.path) {
                    throw StoreError(shard: old, message: "no such shard file", hint: "check the job's store.shards (or --shards)")
                }
                let source = try await store(old)
                var cursor: RowKey?
                while true {
                    let keys = try await source.scanKeys(after: cursor, limit: batch)
                    guard let last = keys.last else { break }
                    cursor = last
                    report.scanned[old.name, default: 0] += keys.count
                    // Keys by their new shard, those that leave this one only.
                    var leaving: [Int: [RowKey]] = [:]
                    for key in keys {
                        guard let hash = TextHash(hex: key.textHash) else { continue }  // not a cache key: left where it is
                        let owner = newRing.shard(for: hash)
                        if to[owner].path != old.path { leaving[owner, default: []].append(key) }
                    }
                    for (owner, moving) in leaving.sorted(by: { $0.key < $1.key }) {
                        report.moves[Move(from: old.name, to: to[owner].name), default: 0] += moving.count
                        guard !dryRun else { continue }
                        let destination = try await store(to[owner])
                        let rows = try await source.readRows(moving)
                        _ = try await destination.insertRows(rows)
                        _ = try await source.deleteRows(moving)
                    }
                    progress?(report)
                }
            }
            if !dryRun {
                // A new shard no row moved to is created all the same: the job's next run expects its tables.
                for location in to { _ = try await store(location) }
                for (_, open) in stores { try await open.finish() }
            }
        } catch {
            for (_, open) in stores { await open.close() }
            throw error
        }
        for (_, open) in stores { await open.close() }
        return report
    }
}
