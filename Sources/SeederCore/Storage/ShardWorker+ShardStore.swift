/// A SQLite shard file as a ``ShardStore``: lookups and scans on the reader connection, writes on the writer.
extension ShardWorker: ShardStore {
    public func lookup(_ hashes: [TextHash], model: StoredModel, tenant: String) async throws -> Set<TextHash> {
        try await read { try $0.lookup(hashes, model: model, tenant: tenant) }
    }

    public func keysWritten(runID: String, after items: Int64) async throws -> Set<TextHash> {
        try await read { try $0.keysWritten(runID: runID, after: items) }
    }

    public func makeDurable() async throws {
        try await run { try $0.syncWAL() }
    }

    public func finish() async throws {
        try await run { try $0.checkpointWAL() }
    }

    public func digest() async throws -> ShardDigest {
        let (rows, sha256) = try await read { try $0.digest() }
        return ShardDigest(rows: rows, sha256: sha256)
    }

    public func inspect() async throws -> ShardInspection {
        try await read { try $0.inspect() }
    }

    public func writeProblem() async throws -> String? {
        SQLiteShard.writeProblem(path: location.path)
    }

    public func scanKeys(after cursor: RowKey?, limit: Int) async throws -> [RowKey] {
        try await read { try $0.scanKeys(after: cursor, limit: limit) }
    }

    public func readRows(_ keys: [RowKey]) async throws -> [StoredRow] {
        try await read { try $0.readRows(keys) }
    }

    public func insertRows(_ rows: [StoredRow]) async throws -> Int {
        try await run { try $0.insertRows(rows) }
    }

    public func deleteRows(_ keys: [RowKey]) async throws -> Int {
        try await run { try $0.deleteRows(keys) }
    }

    /// The connections close when the worker is released (SQLiteConnection's deinit).
    public func close() async {}
}
