import Dispatch

/// Owns one shard and runs every call on it on a serial queue of its own: SQLite's C calls block, so they
/// stay off Swift's cooperative thread pool, and the connection is never used by two threads at once.
public final class ShardWorker: @unchecked Sendable {
    private let queue: DispatchQueue
    // Touched only on `queue`.
    private let shard: SQLiteShard
    public let location: ShardLocation

    public init(shard: SQLiteShard) {
        self.shard = shard
        self.location = shard.location
        self.queue = DispatchQueue(label: "seeder.shard.\(shard.location.name)")
    }

    /// Runs `body` with the shard on the shard's own thread.
    public func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteShard) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body(self.shard) })
            }
        }
    }
}
