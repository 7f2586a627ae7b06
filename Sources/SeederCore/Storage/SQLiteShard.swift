import CSQLite
import Foundation

/// One SQLite shard file: the cache's `embeddings` table and seeder's tables beside it.
///
/// Opened in WAL mode (readers — the cache server, `seeder status` — don't block the writer), with large
/// transactions: one per chunk of records. Owned by one thread at a time (see ``ShardWorker``).
public final class SQLiteShard {
    public let location: ShardLocation
    let db: SQLiteConnection

    /// Keys per lookup statement: well under SQLite's 32,766 parameter limit, large enough to amortize.
    static let lookupBatch = 500

    /// Opens or creates the shard and brings its schema up to date.
    public init(location: ShardLocation, durability: JobConfig.Durability, readOnly: Bool = false, cacheMB: Int = 8) throws {
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
        db = try Self.translatingErrors(location) { try SQLiteConnection(path: location.path, readOnly: readOnly) }
        try Self.translatingErrors(location) {
            if !readOnly {
                try db.execute("PRAGMA journal_mode = WAL")
                // NORMAL: a commit is safe from a process crash as soon as it returns, without an fsync. Power-loss
                // safety (`durability = full`) comes from syncWAL() before each run checkpoint instead: one fsync
                // every few seconds rather than one per commit (Pipeline+Commit.swift).
                try db.execute("PRAGMA synchronous = NORMAL")
                try db.execute("PRAGMA cache_size = -\(cacheMB * 1024)")  // KiB; see StoreSettings.cacheMB
                // ShardWorker keeps the WAL bounded (background copy past 32 MiB, restart past 128 MiB); SQLite's own
                // autocheckpoint is only a backstop (1 GiB of WAL at 4 KiB pages).
                try db.execute("PRAGMA wal_autocheckpoint = 262144")
                try ShardSchema.migrate(db)
            }
        }
    }

    /// Runs `body`, turning SQLite's errors into ``StoreError``s that name the shard and say what to do.
    static func translatingErrors<T>(_ location: ShardLocation, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SQLiteError {
            throw StoreError(shard: location, message: error.description,
                             hint: error.isStorageUnavailable ? "check that the path is writable and the disk has room" : nil)
        }
    }

    /// Which of `hashes` are stored for this model, version and tenant (one primary-key probe each).
    public func lookup(_ hashes: [TextHash], model: StoredModel, tenant: String) throws -> Set<TextHash> {
        var found = Set<TextHash>()
        guard !hashes.isEmpty else { return found }
        // One statement of `lookupBatch` keys for every batch: a short last batch repeats its last key (a
        // repeated IN value changes nothing). A statement per batch size would cache hundreds of them.
        let statement = try db.cachedStatement(Self.lookupSQL)
        var start = 0
        while start < hashes.count {
            let end = min(start + Self.lookupBatch, hashes.count)
            statement.reset()
            try statement.bind(model.model, at: 1)
            try statement.bind(model.version, at: 2)
            try statement.bind(tenant, at: 3)
            for slot in 0..<Self.lookupBatch {
                try statement.bind(hashes[min(start + slot, end - 1)].hex, at: Int32(4 + slot))
            }
            while try statement.step() {
                if let hex = statement.string(at: 0), let hash = TextHash(hex: hex) { found.insert(hash) }
            }
            start = end
        }
        return found
    }

    private static let lookupSQL = """
        SELECT text_hash FROM embeddings
        WHERE model = ?1 AND model_version = ?2 AND tenant_id = ?3
          AND text_hash IN (\((0..<lookupBatch).map { "?\($0 + 4)" }.joined(separator: ",")))
        """

    /// The keys a run wrote in chunks ending after `items`: after a crash, what reached this shard past the
    /// last checkpoint (at most the chunks that were in flight).
    public func keysWritten(runID: String, after items: Int64) throws -> Set<TextHash> {
        let statement = try db.cachedStatement("SELECT text_hash FROM seeder_texts WHERE run_id = ?1 AND chunk_end > ?2")
        try statement.bind(runID, at: 1)
        try statement.bind(items, at: 2)
        var keys = Set<TextHash>()
        while try statement.step() {
            if let hex = statement.string(at: 0), let hash = TextHash(hex: hex) { keys.insert(hash) }
        }
        return keys
    }

    /// Writes a chunk's rows in one transaction; rows already present are left as they are
    /// (`ON CONFLICT DO NOTHING`: writes are idempotent, so a chunk redone after a crash is harmless).
    /// Returns the number of `embeddings` rows inserted.
    @discardableResult
    public func write(_ batch: ShardBatch, model: StoredModel, tenant: String, runID: String, chunkEnd: Int64, source: String) throws -> Int {
        guard batch.count > 0 else { return 0 }
        return try Self.translatingErrors(location) {
            try db.transaction {
                let insertEmbedding = try db.cachedStatement("""
                    INSERT INTO embeddings (text_hash, model, model_version, dimensions, vector, tenant_id)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING
                    """)
                let insertText = try db.cachedStatement("""
                    INSERT INTO seeder_texts (text_hash, model, model_version, tenant_id, run_id, source, category, record_id, title, text, chunk_end)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
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
                try insertText.bind(chunkEnd, at: 11)
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
                        try insertText.bind(meta.source.isEmpty ? source : meta.source, at: 6)
                        try insertText.bind(meta.category, at: 7)
                        try insertText.bind(meta.recordID, at: 8)
                        try insertText.bind(meta.title, at: 9)
                        try insertText.bind(meta.text, at: 10)
                        try insertText.run()
                    }
                }
                return inserted
            }
        }
    }

    /// Makes every transaction committed so far survive power loss: fsyncs the write-ahead log (and the folder,
    /// which holds its name). With `synchronous = NORMAL`, a commit is in the WAL but maybe not on disk; frames
    /// already copied into the database file were synced there by the checkpoint that copied them.
    public func syncWAL() throws {
        for path in [location.path + "-wal", URL(fileURLWithPath: location.path).deletingLastPathComponent().path] {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                if errno == ENOENT { continue }
                throw StoreError(shard: location, message: "cannot open \(path) to sync it: \(String(cString: strerror(errno)))", hint: nil)
            }
            defer { close(fd) }
            if fsync(fd) != 0 {
                throw StoreError(shard: location, message: "fsync of \(path) failed: \(String(cString: strerror(errno)))",
                                 hint: "the disk may be failing or full; the run stopped at its last durable checkpoint")
            }
        }
    }

    /// The write-ahead log's size in bytes (0 when there is none).
    public var walSize: Int64 {
        var info = stat()
        return stat(location.path + "-wal", &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Copies the rest of the write-ahead log into the database file and makes the next commit write the log
    /// from its start (`RESTART`). Only a checkpoint that completes between two commits can do that: passive
    /// checkpoints racing a busy writer never catch up, and the log would grow without bound.
    public func restartWAL() throws {
        try Self.translatingErrors(location) { try db.execute("PRAGMA wal_checkpoint(RESTART)") }
    }

    /// Copies what it can of the write-ahead log into the database file without waiting for the writer or
    /// blocking it (`PASSIVE`): run from a connection of its own, it moves the checkpoint's I/O off the writer.
    public func checkpointWALPassively() throws {
        try Self.translatingErrors(location) {
            do {
                try db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            } catch let error as SQLiteError where error.code & 0xFF == SQLITE_BUSY {
                // Another checkpoint is running: this one isn't needed.
            }
        }
    }

    /// Copies the write-ahead log into the database file and truncates it, so that a finished or stopped run
    /// leaves plain database files behind (SQLite would do this on close, but a process that exits doesn't close).
    public func checkpointWAL() throws {
        try Self.translatingErrors(location) { try db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
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
