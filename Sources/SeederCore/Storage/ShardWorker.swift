import Dispatch
import Foundation

/// Owns one shard's connections and runs every call on them on serial queues of their own: SQLite's C calls
/// block, so they stay off Swift's cooperative thread pool, and no connection is used by two threads at once.
///
/// Three connections, each on its own queue: the writer (rows, runs, checkpoints); a reader for key lookups,
/// which in WAL mode never waits for the writer, so the lookups of one chunk overlap the writes of the previous
/// one (it sees only committed rows, which is all the pipeline asks: rows still being written are in the run's
/// in-memory dedup set); and a checkpointer, which copies the write-ahead log into the database file in the
/// background once it passes ``backgroundCheckpointBytes``, so that this I/O overlaps the rest of the work instead
/// of stalling the writer.
public final class ShardWorker: @unchecked Sendable {
    private let queue: DispatchQueue
    private let readQueue: DispatchQueue
    private let checkpointQueue: DispatchQueue
    // Touched only on `queue`, `readQueue` and `checkpointQueue` respectively.
    private let shard: SQLiteShard
    private let reader: SQLiteShard
    private let checkpointer: SQLiteShard
    private let checkpointPending = Flag()
    public let location: ShardLocation

    /// Opens (creating when missing) the shard for writing, and a reader and a checkpointer beside it. `readOnly`
    /// opens an existing file without migrating it, for inspection: every connection is read-only then.
    public init(location: ShardLocation, durability: JobConfig.Durability, cacheMB: Int = 8, readOnly: Bool = false) throws {
        shard = try SQLiteShard(location: location, durability: durability, readOnly: readOnly, cacheMB: cacheMB)
        reader = try SQLiteShard(location: location, durability: durability, readOnly: true)
        checkpointer = readOnly ? reader : try SQLiteShard(location: location, durability: durability, cacheMB: 1)
        self.location = location
        queue = DispatchQueue(label: "seeder.shard.\(location.name)")
        readQueue = DispatchQueue(label: "seeder.shard.\(location.name).read")
        checkpointQueue = DispatchQueue(label: "seeder.shard.\(location.name).checkpoint")
    }

    /// The write-ahead log size past which a background checkpoint starts. A checkpoint copies each page once
    /// however often it changed since the last one, and the random-key index pages change in nearly every
    /// commit: checkpointing after each commit would copy them again and again.
    static let backgroundCheckpointBytes: Int64 = 32 << 20
    /// The size past which the writer restarts the log between two commits (see ``SQLiteShard/restartWAL()``).
    static let restartBytes: Int64 = 128 << 20

    /// Writes a chunk's rows, then keeps the write-ahead log bounded: past ``restartBytes`` the writer restarts it
    /// (most of it already copied by the background checkpointer), past ``backgroundCheckpointBytes`` the
    /// checkpointer starts copying. Returns the rows inserted.
    public func write(_ batch: ShardBatch, model: StoredModel, tenant: String, runID: String, chunkEnd: Int64, source: String) async throws -> Int {
        let (rows, walSize) = try await run { shard in
            let rows = try shard.write(batch, model: model, tenant: tenant, runID: runID, chunkEnd: chunkEnd, source: source)
            var size = shard.walSize
            if size >= Self.restartBytes {
                try shard.restartWAL()
                size = 0
            }
            return (rows, size)
        }
        if walSize >= Self.backgroundCheckpointBytes { checkpointInBackground() }
        return rows
    }

    /// Starts a background WAL checkpoint unless one is already running. Failures are left to the final
    /// checkpoint (and the writer's own restart): this one only moves work earlier.
    func checkpointInBackground() {
        guard checkpointPending.set() else { return }
        checkpointQueue.async {
            try? self.checkpointer.checkpointWALPassively()
            self.checkpointPending.clear()
        }
    }

    /// Runs `body` with the writer connection on its own thread.
    public func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteShard) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body(self.shard) }) }
        }
    }

    /// Runs a read-only `body` with the reader connection, concurrently with the writer.
    public func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteShard) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            readQueue.async { continuation.resume(with: Result { try body(self.reader) }) }
        }
    }
}

/// A test-and-set flag.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    /// Sets the flag; false when it was set already.
    func set() -> Bool {
        lock.lock(); defer { lock.unlock() }
        if value { return false }
        value = true
        return true
    }

    func clear() {
        lock.lock(); defer { lock.unlock() }
        value = false
    }

    var isSet: Bool {
        lock.lock(); defer { lock.unlock() }
        return value
    }
}
