import Dispatch
import Foundation

/// Opens a job's shards and run store, of whichever kind its `store` section names.
public enum StoreOpener {
    /// What PostgreSQL sessions call themselves (`application_name`): a run lock held by one names it.
    public static var applicationName: String {
        "seeder pid \(getpid()) on \(ProcessInfo.processInfo.hostName)"
    }

    /// Opens one shard, creating its tables when missing; or with `inspecting`, as it is (an existing SQLite file
    /// read-only, a PostgreSQL schema without migrating it), for `seeder shards check` and dry runs.
    public static func shard(_ location: ShardLocation, settings: JobConfig.StoreSettings, inspecting: Bool = false) throws -> ShardStore {
        if location.isPostgres {
            return try PostgresShard(location: location, applicationName: applicationName,
                                     giveUpAfter: .clampedMilliseconds(settings.giveUpAfterSeconds * 1000), migrate: !inspecting)
        }
        return try ShardWorker(location: location, durability: settings.durability, cacheMB: settings.cacheMB, readOnly: inspecting)
    }

    /// Opens every shard of `settings` and the store of its runs. Blocking: call off the cooperative pool.
    public static func open(_ settings: JobConfig.StoreSettings) throws -> (shards: [ShardStore], runs: RunStore) {
        let shards = try settings.shards.map { try shard($0, settings: settings) }
        return (shards, try runStore(settings, shards: shards))
    }

    /// The run store of a job whose shards are open.
    public static func runStore(_ settings: JobConfig.StoreSettings, shards: [ShardStore]) throws -> RunStore {
        if let sqlite = shards.first as? ShardWorker { return SQLiteRunStore(control: sqlite) }
        return try PostgresRunStore(location: settings.controlLocation, applicationName: applicationName,
                                    giveUpAfter: .clampedMilliseconds(settings.giveUpAfterSeconds * 1000))
    }

    /// Runs a blocking `body` (opening files, connecting) on a Dispatch thread, not the cooperative pool.
    public static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}
