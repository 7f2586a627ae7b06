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

    public func staleCounts(_ scope: SweepScope) async throws -> [StaleCount] {
        try await read { try $0.staleCounts(scope) }
    }

    public func beginSweep(_ scope: SweepScope, action: SweepAction) async throws -> SweepProgress {
        try await run { try $0.beginSweep(scope, action: action) }
    }

    /// One batch on the writer, then the checkpointer copies the log into the database file in the background
    /// (passively, off the write lock). Not past 32 MiB as a run does: the cache's own connections checkpoint
    /// automatically every 1,000 pages of log (SQLite's default), and a cache commit that found the sweep's pages
    /// still to copy would copy them itself, making its writer wait hundreds of milliseconds (BENCHMARKS.md).
    public func sweepStep(_ scope: SweepScope, action: SweepAction, limit: Int) async throws -> SweepProgress {
        let progress = try await run { try $0.sweepStep(scope, action: action, limit: limit) }
        checkpointInBackground()
        return progress
    }

    public func categoryTally(model: StoredModel, tenant: String) async throws -> CategoryTally {
        try await read { try $0.categoryTally(model: model, tenant: tenant) }
    }

    public func origins(of hashes: [TextHash], model: StoredModel, tenant: String) async throws -> [TextHash: SeededOrigin] {
        try await read { try $0.origins(of: hashes, model: model, tenant: tenant) }
    }

    public func addHits(_ hits: [HitCount], model: StoredModel, tenant: String) async throws -> Int {
        try await run { try $0.addHits(hits, model: model, tenant: tenant) }
    }

    public func recordHistory(job: String, model: StoredModel, tenant: String, point: ExpansionReport.HistoryPoint) async throws {
        try await run { try $0.recordHistory(job: job, model: model, tenant: tenant, point: point) }
    }

    public func history(job: String, model: StoredModel, tenant: String) async throws -> [ExpansionReport.HistoryPoint] {
        try await read { try $0.history(job: job, model: model, tenant: tenant) }
    }

    public func reseedQueue(model: String, tenant: String, after cursor: ReseedCursor?, limit: Int) async throws -> [QueuedText] {
        try await read { try $0.reseedQueue(model: model, tenant: tenant, after: cursor, limit: limit) }
    }

    public func clearReseeded(model: String, tenant: String, stored: StoredModel) async throws -> Int {
        try await run { try $0.clearReseeded(model: model, tenant: tenant, stored: stored) }
    }

    /// The connections close when the worker is released (SQLiteConnection's deinit).
    public func close() async {}
}
