import Foundation

/// Model-version sweeps on a SQLite shard (see ``ModelSweeper``).
///
/// Two passes, each in batches of one short transaction that also saves the pass's cursor in `seeder_sweeps`:
/// first `seeder_texts` in rowid order (rows seeder wrote: their texts are queued and deleted along with their
/// `embeddings` row, each found through its primary key), then `embeddings` in key order (rows the cache wrote
/// itself, which have no texts). `seeder_texts` has no index on the key on purpose (ShardSchema), so walking it is
/// what keeps every batch's cost bounded. Readers never wait in WAL mode; another writer waits at most one batch.
extension SQLiteShard {
    /// The stale predicate on a table's key columns: `?1` model, `?2` version kept, `?3` tenant.
    private static func stale(_ table: String) -> String {
        "\(table).tenant_id = ?3 AND \(table).model_version <> ?2 AND (\(table).model = ?1 OR substr(\(table).model, 1, length(?1) + 1) = ?1 || '|')"
    }

    /// Rows of the model in the tenant, by `model` value and version.
    public func staleCounts(_ scope: SweepScope) throws -> [StaleCount] {
        try Self.translatingErrors(location) {
            let statement = try db.cachedStatement("""
                SELECT model, model_version, count(*) FROM embeddings
                WHERE tenant_id = ?3 AND (model = ?1 OR substr(model, 1, length(?1) + 1) = ?1 || '|')
                GROUP BY model, model_version ORDER BY model, model_version
                """)
            defer { statement.reset() }
            try bind(scope, to: statement)
            var out: [StaleCount] = []
            while try statement.step() {
                let model = statement.string(at: 0) ?? "", version = statement.string(at: 1) ?? ""
                out.append(StaleCount(model: model, version: version, rows: statement.int64(at: 2), stale: version != scope.keepVersion))
            }
            return out
        }
    }

    /// Starts this sweep, or continues it when an earlier attempt stopped before finishing.
    public func beginSweep(_ scope: SweepScope, action: SweepAction) throws -> SweepProgress {
        try Self.translatingErrors(location) {
            try db.transaction {
                let id = Self.sweepID(scope, action)
                let select = try db.cachedStatement("SELECT deleted, marked, queued, batches, finished_at IS NOT NULL FROM seeder_sweeps WHERE sweep_id = ?1")
                defer { select.reset() }
                try select.bind(id, at: 1)
                if try select.step(), select.int64(at: 4) == 0 {
                    var progress = SweepProgress()
                    progress.deleted = select.int64(at: 0)
                    progress.marked = select.int64(at: 1)
                    progress.queued = select.int64(at: 2)
                    progress.batches = select.int64(at: 3)
                    progress.resumed = true
                    return progress
                }
                select.reset()
                let start = try db.cachedStatement("""
                    INSERT INTO seeder_sweeps (sweep_id, model, keep_version, tenant_id, action, phase, cursor_rowid, cursor_key,
                                               deleted, marked, queued, batches, started_at, updated_at, finished_at)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, NULL, 0, 0, 0, 0, ?7, ?7, NULL)
                    ON CONFLICT (sweep_id) DO UPDATE SET phase = excluded.phase, cursor_rowid = 0, cursor_key = NULL, deleted = 0,
                      marked = 0, queued = 0, batches = 0, started_at = excluded.started_at, updated_at = excluded.updated_at,
                      finished_at = NULL
                    """)
                defer { start.reset() }
                try start.bind(id, at: 1)
                try start.bind(scope.model, at: 2)
                try start.bind(scope.keepVersion, at: 3)
                try start.bind(scope.tenant, at: 4)
                try start.bind(action.name, at: 5)
                // Marking alone never needs seeder's texts: straight to the `embeddings` pass.
                try start.bind(Int64(action.deletes || action.queuesReseed ? 0 : 1), at: 6)
                try start.bind(Date().timeIntervalSince1970, at: 7)
                try start.run()
                return SweepProgress()
            }
        }
    }

    /// Sweeps the next batch of at most `limit` rows (of `seeder_texts` in the first pass, of `embeddings` in the
    /// second) in one transaction, cursor included. Reads its cursor inside that transaction, so redoing a step is
    /// harmless.
    public func sweepStep(_ scope: SweepScope, action: SweepAction, limit: Int) throws -> SweepProgress {
        try Self.translatingErrors(location) {
            try db.transaction {
                let id = Self.sweepID(scope, action)
                let state = try db.cachedStatement("""
                    SELECT phase, cursor_rowid, cursor_key, deleted, marked, queued, batches, finished_at IS NOT NULL
                    FROM seeder_sweeps WHERE sweep_id = ?1
                    """)
                defer { state.reset() }
                try state.bind(id, at: 1)
                guard try state.step() else {
                    throw StoreError(shard: location, message: "the sweep \(id) was not started", hint: nil)
                }
                var progress = SweepProgress()
                progress.deleted = state.int64(at: 3)
                progress.marked = state.int64(at: 4)
                progress.queued = state.int64(at: 5)
                progress.batches = state.int64(at: 6)
                progress.finished = state.int64(at: 7) != 0
                let phase = state.int64(at: 0), rowCursor = state.int64(at: 1)
                let keyCursor = state.isNull(at: 2) ? nil : state.string(at: 2)
                state.reset()
                guard !progress.finished else { return progress }
                if phase == 0 {
                    try textsStep(scope, action: action, after: rowCursor, limit: limit, progress: &progress, id: id)
                } else {
                    try embeddingsStep(scope, action: action, after: keyCursor.flatMap(Self.decodeKey), limit: limit, progress: &progress, id: id)
                }
                return progress
            }
        }
    }

    /// First pass: the next `limit` rows of `seeder_texts` after rowid `cursor`.
    private func textsStep(_ scope: SweepScope, action: SweepAction, after cursor: Int64, limit: Int, progress: inout SweepProgress, id: String) throws {
        let window = try db.cachedStatement("""
            SELECT max(rowid) FROM (SELECT rowid FROM seeder_texts WHERE rowid > ?1 ORDER BY rowid LIMIT ?2)
            """)
        defer { window.reset() }
        try window.bind(cursor, at: 1)
        try window.bind(Int64(limit), at: 2)
        _ = try window.step()
        guard !window.isNull(at: 0) else {
            // Every text seen: on to the rows that have none.
            try saveSweep(id: id, phase: 1, rowCursor: 0, keyCursor: nil, progress: progress, finished: false)
            return
        }
        let end = window.int64(at: 0)
        window.reset()
        func run(_ sql: String) throws -> Int64 {
            let statement = try db.cachedStatement(sql)
            defer { statement.reset() }
            try bind(scope, to: statement)
            try statement.bind(cursor, at: 4)
            try statement.bind(end, at: 5)
            try statement.run()
            return Int64(db.changes)
        }
        let inWindow = "t.rowid > ?4 AND t.rowid <= ?5 AND \(Self.stale("t"))"
        if action.queuesReseed {
            progress.queued += try run("""
                INSERT INTO seeder_reseed (text_hash, model, tenant_id, stale_model, stale_version, source, category, record_id, title,
                                           text, hit_count, last_hit_at)
                SELECT t.text_hash, ?1, t.tenant_id, t.model, t.model_version, t.source, t.category, t.record_id, t.title, t.text,
                       COALESCE(e.hit_count, 0), e.last_hit_at
                FROM seeder_texts t JOIN embeddings e ON e.text_hash = t.text_hash AND e.model = t.model
                  AND e.model_version = t.model_version AND e.tenant_id = t.tenant_id
                WHERE \(inWindow)
                ON CONFLICT DO NOTHING
                """)
        }
        if action.deletes {
            progress.deleted += try run("""
                DELETE FROM embeddings WHERE (text_hash, model, model_version, tenant_id) IN (
                  SELECT t.text_hash, t.model, t.model_version, t.tenant_id FROM seeder_texts t WHERE \(inWindow))
                """)
            _ = try run("DELETE FROM seeder_texts AS t WHERE \(inWindow)")
        }
        progress.batches += 1
        try saveSweep(id: id, phase: 0, rowCursor: end, keyCursor: nil, progress: progress, finished: false)
    }

    /// Second pass: the next `limit` rows of `embeddings` after key `cursor`.
    private func embeddingsStep(_ scope: SweepScope, action: SweepAction, after cursor: RowKey?, limit: Int, progress: inout SweepProgress, id: String) throws {
        let start = cursor ?? RowKey(textHash: "", model: "", modelVersion: "", tenant: "")
        let window = try db.cachedStatement("""
            SELECT text_hash, model, model_version, tenant_id FROM embeddings
            WHERE (text_hash, model, model_version, tenant_id) > (?1, ?2, ?3, ?4)
            ORDER BY text_hash, model, model_version, tenant_id LIMIT 1 OFFSET ?5
            """)
        defer { window.reset() }
        try bindKey(start, to: window, from: 1)
        try window.bind(Int64(limit - 1), at: 5)
        // The window ends at its `limit`-th row after the cursor, or at the last row when fewer are left.
        let end: RowKey
        if try window.step() {
            end = Self.key(window, from: 0)
        } else {
            let last = try db.cachedStatement("""
                SELECT text_hash, model, model_version, tenant_id FROM embeddings
                ORDER BY text_hash DESC, model DESC, model_version DESC, tenant_id DESC LIMIT 1
                """)
            defer { last.reset() }
            guard try last.step(), start < Self.key(last, from: 0) else {
                try saveSweep(id: id, phase: 1, rowCursor: 0, keyCursor: cursor, progress: progress, finished: true)
                return
            }
            end = Self.key(last, from: 0)
        }
        window.reset()
        func run(_ sql: String) throws -> Int64 {
            let statement = try db.cachedStatement(sql)
            defer { statement.reset() }
            try bind(scope, to: statement)
            try bindKey(start, to: statement, from: 4)
            try bindKey(end, to: statement, from: 8)
            try statement.run()
            return Int64(db.changes)
        }
        let inWindow = """
            (e.text_hash, e.model, e.model_version, e.tenant_id) > (?4, ?5, ?6, ?7)
            AND (e.text_hash, e.model, e.model_version, e.tenant_id) <= (?8, ?9, ?10, ?11) AND \(Self.stale("e"))
            """
        if action.deletes {
            progress.deleted += try run("DELETE FROM embeddings AS e WHERE \(inWindow)")
        } else {
            progress.marked += try run("""
                INSERT INTO seeder_stale (text_hash, model, model_version, tenant_id, hit_count, last_hit_at)
                SELECT e.text_hash, e.model, e.model_version, e.tenant_id, COALESCE(e.hit_count, 0), e.last_hit_at
                FROM embeddings e WHERE \(inWindow)
                ON CONFLICT DO NOTHING
                """)
        }
        progress.batches += 1
        try saveSweep(id: id, phase: 1, rowCursor: 0, keyCursor: end, progress: progress, finished: false)
    }

    private func saveSweep(id: String, phase: Int64, rowCursor: Int64, keyCursor: RowKey?, progress: SweepProgress, finished: Bool) throws {
        let save = try db.cachedStatement("""
            UPDATE seeder_sweeps SET phase = ?2, cursor_rowid = ?3, cursor_key = ?4, deleted = ?5, marked = ?6, queued = ?7,
              batches = ?8, updated_at = ?9, finished_at = CASE WHEN ?10 THEN ?9 END
            WHERE sweep_id = ?1
            """)
        defer { save.reset() }
        try save.bind(id, at: 1)
        try save.bind(phase, at: 2)
        try save.bind(rowCursor, at: 3)
        if let keyCursor { try save.bind(Self.encodeKey(keyCursor), at: 4) } else { try save.bindNull(at: 4) }
        try save.bind(progress.deleted, at: 5)
        try save.bind(progress.marked, at: 6)
        try save.bind(progress.queued, at: 7)
        try save.bind(progress.batches, at: 8)
        try save.bind(Date().timeIntervalSince1970, at: 9)
        try save.bind(Int64(finished ? 1 : 0), at: 10)
        try save.run()
    }

    /// A sweep's identity: the same sweep started again continues where it stopped.
    static func sweepID(_ scope: SweepScope, _ action: SweepAction) -> String {
        "model=\(scope.model);keep=\(scope.keepVersion);tenant=\(scope.tenant);action=\(action.name)"
    }

    static func encodeKey(_ key: RowKey) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: [key.textHash, key.model, key.modelVersion, key.tenant])) ?? Data(), as: UTF8.self)
    }

    static func decodeKey(_ text: String) -> RowKey? {
        guard let parts = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String], parts.count == 4 else { return nil }
        return RowKey(textHash: parts[0], model: parts[1], modelVersion: parts[2], tenant: parts[3])
    }

    private func bind(_ scope: SweepScope, to statement: SQLiteStatement) throws {
        try statement.bind(scope.model, at: 1)
        try statement.bind(scope.keepVersion, at: 2)
        try statement.bind(scope.tenant, at: 3)
    }

    private func bindKey(_ key: RowKey, to statement: SQLiteStatement, from index: Int32) throws {
        try statement.bind(key.textHash, at: index)
        try statement.bind(key.model, at: index + 1)
        try statement.bind(key.modelVersion, at: index + 2)
        try statement.bind(key.tenant, at: index + 3)
    }
}
