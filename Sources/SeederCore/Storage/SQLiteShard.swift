import CSQLite
import Foundation

/// One SQLite shard file: the cache's `embeddings` table and seeder's tables beside it.
///
/// Opened in WAL mode (readers — the cache server, `seeder status` — don't block the writer), with large
/// transactions: one per checkpoint chunk. Owned by one thread at a time (see ``ShardWorker``).
public final class SQLiteShard {
    public let location: ShardLocation
    let db: SQLiteConnection

    /// Keys per lookup statement: well under SQLite's 32,766 parameter limit, large enough to amortize.
    static let lookupBatch = 500

    /// Opens or creates the shard and brings its schema up to date.
    public init(location: ShardLocation, durability: JobConfig.Durability, readOnly: Bool = false) throws {
        self.location = location
        if !readOnly {
            let folder = URL(fileURLWithPath: location.path).deletingLastPathComponent().path
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw StoreError(shard: location, message: "cannot create the folder \(folder): \(error.localizedDescription)",
                                 hint: "choose a writable path for the shard (store.shards or --shards)")
            }
        } else if !FileManager.default.fileExists(atPath: location.path) {
            throw StoreError(shard: location, message: "no such shard file", hint: "run the job first, or check store.shards")
        }
        do {
            db = try SQLiteConnection(path: location.path, readOnly: readOnly)
            if !readOnly {
                try db.execute("PRAGMA journal_mode = WAL")
                // FULL fsyncs the WAL at every commit: the checkpoint only advances past rows that survive power loss.
                try db.execute("PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
                try db.execute("PRAGMA cache_size = -8192")  // 8 MiB page cache per shard: the writes are appends, a big cache buys nothing
                try db.execute("PRAGMA wal_autocheckpoint = 65536")  // fewer WAL checkpoints: each copies a page once however often it changed
                try ShardSchema.migrate(db)
            }
        } catch let error as SQLiteError {
            throw StoreError(shard: location, message: error.description,
                             hint: error.isStorageUnavailable ? "check that the path is writable and the disk has room" : nil)
        }
    }

    /// Which of `hashes` are stored for this model, version and tenant, and by which run.
    public func lookup(_ hashes: [TextHash], model: StoredModel, tenant: String) throws -> [TextHash: StoredKey] {
        var found: [TextHash: StoredKey] = [:]
        var start = 0
        while start < hashes.count {
            let end = min(start + Self.lookupBatch, hashes.count)
            let statement = try lookupStatement(count: end - start)
            try statement.bind(model.model, at: 1)
            try statement.bind(model.version, at: 2)
            try statement.bind(tenant, at: 3)
            for i in start..<end { try statement.bind(hashes[i].hex, at: Int32(4 + i - start)) }
            while try statement.step() {
                guard let hex = statement.string(at: 0), let hash = TextHash(hex: hex) else { continue }
                found[hash] = StoredKey(seededByRun: statement.isNull(at: 1) ? nil : statement.string(at: 1))
            }
            start = end
        }
        return found
    }

    private func lookupStatement(count: Int) throws -> SQLiteStatement {
        let placeholders = (0..<count).map { "?\($0 + 4)" }.joined(separator: ",")
        return try db.cachedStatement("""
            SELECT e.text_hash, t.run_id FROM embeddings e
            LEFT JOIN seeder_texts t ON t.text_hash = e.text_hash AND t.model = e.model
              AND t.model_version = e.model_version AND t.tenant_id = e.tenant_id
            WHERE e.model = ?1 AND e.model_version = ?2 AND e.tenant_id = ?3 AND e.text_hash IN (\(placeholders))
            """)
    }

    /// Writes a chunk's rows in one transaction; rows already present are left as they are
    /// (`ON CONFLICT DO NOTHING`: writes are idempotent, so a chunk redone after a crash is harmless).
    /// Returns the number of `embeddings` rows inserted.
    @discardableResult
    public func write(_ batch: ShardBatch, model: StoredModel, tenant: String, runID: String, source: String) throws -> Int {
        guard batch.count > 0 else { return 0 }
        do {
            return try db.transaction {
                let insertEmbedding = try db.cachedStatement("""
                    INSERT INTO embeddings (text_hash, model, model_version, dimensions, vector, tenant_id)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING
                    """)
                let insertText = try db.cachedStatement("""
                    INSERT INTO seeder_texts (text_hash, model, model_version, tenant_id, run_id, source, category, record_id, title, text)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING
                    """)
                var inserted = 0
                let dims = batch.dimensions
                // Columns that are the same for every row are bound once; rewind() keeps them.
                try insertEmbedding.bind(model.model, at: 2)
                try insertEmbedding.bind(model.version, at: 3)
                try insertEmbedding.bind(Int64(dims), at: 4)
                try insertEmbedding.bind(tenant, at: 6)
                try insertText.bind(model.model, at: 2)
                try insertText.bind(model.version, at: 3)
                try insertText.bind(tenant, at: 4)
                try insertText.bind(runID, at: 5)
                try insertText.bind(source, at: 6)
                try batch.vectors.withUnsafeBytes { vectors in
                    let rowBytes = dims * MemoryLayout<Float>.size
                    for i in 0..<batch.count {
                        let hex = batch.hashes[i].hex
                        insertEmbedding.rewind()
                        try insertEmbedding.bind(hex, at: 1)
                        // float32 little-endian: the in-memory layout on every platform Swift runs on here.
                        // Borrowed, not copied: `vectors` outlives the step.
                        try insertEmbedding.bind(borrowedBlob: UnsafeRawBufferPointer(rebasing: vectors[(i * rowBytes)..<((i + 1) * rowBytes)]), at: 5)
                        try insertEmbedding.run()
                        let added = db.changes
                        inserted += added
                        guard added > 0 else { continue }
                        let meta = batch.texts[i]
                        insertText.rewind()
                        try insertText.bind(hex, at: 1)
                        try insertText.bind(meta.category, at: 7)
                        try insertText.bind(meta.recordID, at: 8)
                        try insertText.bind(meta.title, at: 9)
                        try insertText.bind(meta.text, at: 10)
                        try insertText.run()
                    }
                }
                return inserted
            }
        } catch let error as SQLiteError {
            throw StoreError(shard: location, message: error.description,
                             hint: error.isStorageUnavailable ? "check that the path is writable and the disk has room" : nil)
        }
    }

    /// Rows in `embeddings`, and an order-independent digest of every row's key columns and vector bytes:
    /// two shards with equal digests hold the same rows, byte for byte.
    public func digest() throws -> (rows: Int, sha256: String) {
        let statement = try db.cachedStatement("""
            SELECT text_hash, model, model_version, tenant_id, dimensions, vector FROM embeddings
            ORDER BY text_hash, model, model_version, tenant_id
            """)
        var hasher = StreamingSHA256()
        var rows = 0
        while try statement.step() {
            for column in Int32(0)...3 { hasher.update(string: statement.string(at: column) ?? "") ; hasher.update(byte: 0) }
            hasher.update(string: String(statement.int64(at: 4)))
            hasher.update(bytes: statement.blob(at: 5))
            rows += 1
        }
        return (rows, hasher.finalizeHex())
    }
}

/// A shard could not be opened, read or written.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var shard: ShardLocation
    public var message: String
    public var hint: String?

    public init(shard: ShardLocation, message: String, hint: String? = nil) {
        self.shard = shard
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var s = "shard \(shard.name) (\(shard.path)): \(message)"
        if let hint { s += " — \(hint)" }
        return s
    }
}
