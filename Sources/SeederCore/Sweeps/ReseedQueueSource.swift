import Dispatch

/// The texts a sweep queued for re-embedding (`seeder sweep --reseed`), read from every shard's `seeder_reseed`
/// queue, hottest first across all shards (hit count descending, then key): the source of `seeder run --reseed`.
///
/// Each text comes out as a record whose body is the text seeder stored (already normalized, so it hashes to the
/// same key), with the record id, title, category and source it was first seeded with. The queue doesn't change
/// while a run reads it (only a finished run clears what it stored), so the n-th item is the same on every read and
/// a resume replays up to its checkpoint like any source.
public struct ReseedQueueSource: RecordSource {
    /// The model (canonical id) whose queue is read, and the tenant.
    public let model: String
    public let tenant: String
    let shards: [ShardStore]
    /// Texts fetched from a shard at a time.
    let page: Int

    public init(model: String, tenant: String, shards: [ShardStore], page: Int = 1_000) {
        self.model = model
        self.tenant = tenant
        self.shards = shards
        self.page = max(1, page)
    }

    public var kind: String { "reseed" }
    public var inputSize: Int64? { nil }

    public func read(resumeAfter: SourceCheckpoint, chunkSize: Int, deliver: (RecordChunk) throws -> Void) throws {
        var builder = RecordChunkBuilder(chunkSize: chunkSize, replayThrough: resumeAfter.items)
        // A k-way merge of the shards' queues, each read a page at a time in queue order.
        var heads = [[QueuedText]](repeating: [], count: shards.count)
        var cursors = [ReseedCursor?](repeating: nil, count: shards.count)
        var exhausted = [Bool](repeating: false, count: shards.count)
        var ordinal: Int64 = 0
        while true {
            for s in shards.indices where heads[s].isEmpty && !exhausted[s] {
                let shard = shards[s], model = self.model, tenant = self.tenant, page = self.page, after = cursors[s]
                let next = try Self.blocking { try await shard.reseedQueue(model: model, tenant: tenant, after: after, limit: page) }
                if next.count < page { exhausted[s] = true }
                if let last = next.last { cursors[s] = last.cursor }
                heads[s] = next.reversed()  // popLast() takes the head
            }
            guard let s = heads.indices.filter({ !heads[$0].isEmpty }).min(by: { heads[$0].last!.cursor < heads[$1].last!.cursor }) else { break }
            let text = heads[s].removeLast()
            builder.add(Record(id: text.recordID, title: text.title, body: text.text, category: text.origin.category, ordinal: ordinal,
                               source: text.origin.source))
            ordinal += 1
            for chunk in builder.takeReady() { try deliver(chunk) }
        }
        builder.closeOpenChunk()
        for chunk in builder.takeReady() { try deliver(chunk) }
    }

    /// Runs an async shard call from the source's own thread (never one of the cooperative pool's), waiting for it.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        Task.detached {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    // Written by the task before it signals, read after the wait.
    var result: Result<T, any Error>?
}
