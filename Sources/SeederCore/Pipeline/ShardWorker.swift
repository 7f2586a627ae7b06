import Dispatch

/// Owns one shard's connections and runs every call on them on serial queues of their own: SQLite's C calls
/// block, so they stay off Swift's cooperative thread pool, and no connection is used by two threads at once.
///
/// Two connections: the writer (rows, runs, checkpoints) and a reader for key lookups. In WAL mode the reader
/// never waits for the writer, so the lookups of one chunk overlap the writes of the previous one; it sees
/// only committed rows, which is all the pipeline asks of it (rows still being written are in the run's
/// in-memory dedup set).
public final class ShardWorker: @unchecked Sendable {
    private let queue: DispatchQueue
    private let readQueue: DispatchQueue
    // Touched only on `queue` and `readQueue` respectively.
    private let shard: SQLiteShard
    private let reader: SQLiteShard
    public let location: ShardLocation

    /// Opens (creating when missing) the shard for writing, and a reader beside it.
    public convenience init(location: ShardLocation, durability: JobConfig.Durability) throws {
        let writer = try SQLiteShard(location: location, durability: durability)
        try self.init(shard: writer, reader: SQLiteShard(location: location, durability: durability, readOnly: true))
    }

    init(shard: SQLiteShard, reader: SQLiteShard) {
        self.shard = shard
        self.reader = reader
        self.location = shard.location
        self.queue = DispatchQueue(label: "seeder.shard.\(shard.location.name)")
        self.readQueue = DispatchQueue(label: "seeder.shard.\(shard.location.name).read")
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
