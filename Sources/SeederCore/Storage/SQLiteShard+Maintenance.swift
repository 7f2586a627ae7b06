import Foundation

/// What `seeder shards check` and `seeder shards rebalance` ask of a SQLite shard (see ``ShardStore``).
extension SQLiteShard {
    /// The `embeddings` columns the cache server reads, by name and declared type, and its primary key.
    static let expectedColumns: [(String, String)] = [
        ("text_hash", "TEXT"), ("model", "TEXT"), ("model_version", "TEXT"), ("dimensions", "INTEGER"),
        ("vector", "BLOB"), ("tenant_id", "TEXT"), ("created_at", "TIMESTAMP"), ("last_hit_at", "TIMESTAMP"),
        ("hit_count", "INTEGER"),
    ]
    static let expectedKey = ["text_hash", "model", "model_version", "tenant_id"]

    /// Rows, schema version, and what differs from the cache's table.
    /// Why this process could not write a shard file at `path` (or create it, when missing), nil when it can. SQLite
    /// writes its `-wal` and `-shm` files beside the shard, so the folder must be writable too.
    public static func writeProblem(path: String) -> String? {
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "the folder \(folder) does not exist"
        }
        if access(folder, W_OK) != 0 { return "the folder \(folder) is not writable by this user (SQLite writes its -wal and -shm files there)" }
        if FileManager.default.fileExists(atPath: path) && access(path, W_OK) != 0 { return "the file is not writable by this user" }
        return nil
    }

    public func inspect() throws -> ShardInspection {
        try Self.translatingErrors(location) {
            let version = try db.cachedStatement("PRAGMA user_version")
            defer { version.reset() }
            _ = try version.step()
            let schemaVersion = Int(version.int64(at: 0))
            var problems: [String] = []
            let info = try db.cachedStatement("SELECT name, type, pk FROM pragma_table_info('embeddings')")
            var columns: [String: String] = [:]
            var key: [(Int64, String)] = []
            while try info.step() {
                let name = info.string(at: 0) ?? "", type = (info.string(at: 1) ?? "").uppercased()
                columns[name] = type
                if info.int64(at: 2) > 0 { key.append((info.int64(at: 2), name)) }
            }
            var rows = 0
            if columns.isEmpty {
                problems.append("no embeddings table")
            } else {
                for (name, type) in Self.expectedColumns {
                    guard let actual = columns[name] else { problems.append("embeddings has no column \(name)"); continue }
                    if actual != type { problems.append("embeddings.\(name) is \(actual), not \(type)") }
                }
                let primary = key.sorted { $0.0 < $1.0 }.map(\.1)
                if primary != Self.expectedKey {
                    problems.append("the primary key of embeddings is (\(primary.joined(separator: ", "))), not (\(Self.expectedKey.joined(separator: ", ")))")
                }
                let count = try db.cachedStatement("SELECT count(*) FROM embeddings")
                defer { count.reset() }
                _ = try count.step()
                rows = Int(count.int64(at: 0))
            }
            if schemaVersion < ShardSchema.migrations.count {
                problems.append("seeder's tables are at version \(schemaVersion) of \(ShardSchema.migrations.count): run the job once to migrate them")
            }
            return ShardInspection(rows: rows, schemaVersion: schemaVersion, expectedSchemaVersion: ShardSchema.migrations.count,
                                   schemaProblems: problems)
        }
    }

    /// Keys after `cursor`, in key order (SQLite's default BINARY collation compares UTF-8 bytes).
    public func scanKeys(after cursor: RowKey?, limit: Int) throws -> [RowKey] {
        try Self.translatingErrors(location) {
            // Two statements rather than `?1 IS NULL OR …`, which keeps SQLite from seeking the primary key's index.
            let statement = try db.cachedStatement(cursor == nil ? """
                SELECT text_hash, model, model_version, tenant_id FROM embeddings
                ORDER BY text_hash, model, model_version, tenant_id LIMIT ?5
                """ : """
                SELECT text_hash, model, model_version, tenant_id FROM embeddings
                WHERE (text_hash, model, model_version, tenant_id) > (?1, ?2, ?3, ?4)
                ORDER BY text_hash, model, model_version, tenant_id LIMIT ?5
                """)
            defer { statement.reset() }
            if let cursor {
                try statement.bind(cursor.textHash, at: 1)
                try statement.bind(cursor.model, at: 2)
                try statement.bind(cursor.modelVersion, at: 3)
                try statement.bind(cursor.tenant, at: 4)
            }
            try statement.bind(Int64(limit), at: 5)
            var keys: [RowKey] = []
            while try statement.step() { keys.append(Self.key(statement, from: 0)) }
            return keys
        }
    }

    /// The whole rows of `keys` that exist, with their `seeder_texts` rows.
    ///
    /// `seeder_texts` has no index on the key (ShardSchema says why), so its rows for the whole batch come from one
    /// scan: the keys' hashes go in as a JSON array, which SQLite turns into a lookup table once.
    public func readRows(_ keys: [RowKey]) throws -> [StoredRow] {
        guard !keys.isEmpty else { return [] }
        return try Self.translatingErrors(location) {
            let row = try db.cachedStatement("""
                SELECT dimensions, vector, created_at, last_hit_at, hit_count FROM embeddings
                WHERE text_hash = ?1 AND model = ?2 AND model_version = ?3 AND tenant_id = ?4
                """)
            defer { row.reset() }
            var out: [StoredRow] = []
            var index: [RowKey: Int] = [:]
            for key in keys {
                row.reset()
                try Self.bind(key, to: row)
                guard try row.step() else { continue }
                index[key] = out.count
                out.append(StoredRow(key: key, dimensions: Int(row.int64(at: 0)), vector: row.blob(at: 1),
                                     createdAt: row.isNull(at: 2) ? nil : row.string(at: 2),
                                     lastHitAt: row.isNull(at: 3) ? nil : row.string(at: 3),
                                     hitCount: row.int64(at: 4), texts: []))
            }
            guard !out.isEmpty else { return out }
            let texts = try db.cachedStatement("""
                SELECT text_hash, model, model_version, tenant_id, run_id, chunk_end, source, category, record_id, title, text, created_at
                FROM seeder_texts WHERE text_hash IN (SELECT value FROM json_each(?1)) ORDER BY rowid
                """)
            defer { texts.reset() }
            try texts.bind(Self.jsonArray(out.map(\.key.textHash)), at: 1)
            while try texts.step() {
                // Same hash, another model or tenant: not one of these rows.
                guard let at = index[Self.key(texts, from: 0)] else { continue }
                out[at].texts.append(SeededTextRow(
                    runID: texts.string(at: 4) ?? "", chunkEnd: texts.int64(at: 5),
                    text: SeededText(source: texts.string(at: 6) ?? "", category: texts.string(at: 7) ?? "",
                                     recordID: texts.string(at: 8) ?? "", title: texts.string(at: 9) ?? "",
                                     text: texts.string(at: 10) ?? ""),
                    createdAt: texts.isNull(at: 11) ? nil : texts.string(at: 11)))
            }
            return out
        }
    }

    /// Inserts whole rows (keeping their timestamps and hit counts) in one transaction; present rows stay.
    @discardableResult
    public func insertRows(_ rows: [StoredRow]) throws -> Int {
        guard !rows.isEmpty else { return 0 }
        return try Self.translatingErrors(location) {
            try db.transaction {
                let embedding = try db.cachedStatement("""
                    INSERT INTO embeddings (text_hash, model, model_version, tenant_id, dimensions, vector, created_at, last_hit_at, hit_count)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, COALESCE(?7, CURRENT_TIMESTAMP), ?8, ?9) ON CONFLICT DO NOTHING
                    """)
                let text = try db.cachedStatement("""
                    INSERT INTO seeder_texts (text_hash, model, model_version, tenant_id, run_id, chunk_end, source, category,
                                              record_id, title, text, created_at)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, COALESCE(?12, CURRENT_TIMESTAMP))
                    """)
                var inserted = 0
                for row in rows {
                    embedding.reset()
                    try Self.bind(row.key, to: embedding)
                    try embedding.bind(Int64(row.dimensions), at: 5)
                    try row.vector.withUnsafeBytes { try embedding.bind(borrowedBlob: $0, at: 6) }
                    try Self.bind(row.createdAt, at: 7, to: embedding)
                    try Self.bind(row.lastHitAt, at: 8, to: embedding)
                    try embedding.bind(row.hitCount, at: 9)
                    try embedding.run()
                    // A row already here keeps its own texts: seeder_texts rows exist only beside an inserted row.
                    guard db.changes > 0 else { continue }
                    inserted += 1
                    for seeded in row.texts {
                        text.reset()
                        try Self.bind(row.key, to: text)
                        try text.bind(seeded.runID, at: 5)
                        try text.bind(seeded.chunkEnd, at: 6)
                        try text.bind(seeded.text.source, at: 7)
                        try text.bind(seeded.text.category, at: 8)
                        try text.bind(seeded.text.recordID, at: 9)
                        try text.bind(seeded.text.title, at: 10)
                        try text.bind(seeded.text.text, at: 11)
                        try Self.bind(seeded.createdAt, at: 12, to: text)
                        try text.run()
                    }
                }
                return inserted
            }
        }
    }

    /// Deletes these keys' rows from `embeddings` and `seeder_texts` in one transaction (`seeder_texts` in one scan,
    /// as in ``readRows(_:)``).
    @discardableResult
    public func deleteRows(_ keys: [RowKey]) throws -> Int {
        guard !keys.isEmpty else { return 0 }
        return try Self.translatingErrors(location) {
            try db.transaction {
                let embedding = try db.cachedStatement("""
                    DELETE FROM embeddings WHERE text_hash = ?1 AND model = ?2 AND model_version = ?3 AND tenant_id = ?4
                    """)
                var deleted = 0
                for key in keys {
                    embedding.reset()
                    try Self.bind(key, to: embedding)
                    try embedding.run()
                    deleted += db.changes
                }
                let texts = try db.cachedStatement("""
                    DELETE FROM seeder_texts WHERE text_hash IN (SELECT value FROM json_each(?1))
                      AND (text_hash, model, model_version, tenant_id) IN (
                        SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]')
                        FROM json_each(?2))
                    """)
                texts.reset()
                try texts.bind(Self.jsonArray(keys.map(\.textHash)), at: 1)
                let tuples = try JSONSerialization.data(withJSONObject: keys.map { [$0.textHash, $0.model, $0.modelVersion, $0.tenant] })
                try texts.bind(String(decoding: tuples, as: UTF8.self), at: 2)
                try texts.run()
                return deleted
            }
        }
    }

    /// A JSON array of strings, for `json_each`.
    private static func jsonArray(_ strings: [String]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: strings), as: UTF8.self)
    }

    static func key(_ statement: SQLiteStatement, from column: Int32) -> RowKey {
        RowKey(textHash: statement.string(at: column) ?? "", model: statement.string(at: column + 1) ?? "",
               modelVersion: statement.string(at: column + 2) ?? "", tenant: statement.string(at: column + 3) ?? "")
    }

    private static func bind(_ key: RowKey, to statement: SQLiteStatement) throws {
        try statement.bind(key.textHash, at: 1)
        try statement.bind(key.model, at: 2)
        try statement.bind(key.modelVersion, at: 3)
        try statement.bind(key.tenant, at: 4)
    }

    private static func bind(_ value: String?, at index: Int32, to statement: SQLiteStatement) throws {
        if let value { try statement.bind(value, at: index) } else { try statement.bindNull(at: index) }
    }
}
