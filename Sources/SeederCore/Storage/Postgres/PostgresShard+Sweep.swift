import Foundation

/// Model-version sweeps on a PostgreSQL shard (see ``ModelSweeper``): one pass over `embeddings` in key order, in
/// batches of one short transaction that deletes (or flags) the batch's stale rows, their `seeder_texts` rows
/// (found through `idx_seeder_texts_key`) and saves the cursor. Row locks only: the cache keeps reading and writing.
extension PostgresShard {
    /// `$1` model, `$2` version kept, `$3` tenant.
    private static func stale(_ alias: String) -> String {
        "\(alias).tenant_id = $3 AND \(alias).model_version <> $2 AND (\(alias).model = $1 OR left(\(alias).model, length($1) + 1) = $1 || '|')"
    }

    public func staleCounts(_ scope: SweepScope) async throws -> [StaleCount] {
        try await reader.run { connection in
            let result = try connection.query("""
                SELECT model, model_version, count(*) FROM embeddings e
                WHERE e.tenant_id = $2 AND (e.model = $1 OR left(e.model, length($1) + 1) = $1 || '|')
                GROUP BY model, model_version ORDER BY model COLLATE "C", model_version COLLATE "C"
                """, [scope.model, scope.tenant])
            return (0..<result.rowCount).map { row in
                let version = result.string(row, 1) ?? ""
                return StaleCount(model: result.string(row, 0) ?? "", version: version, rows: result.int64(row, 2) ?? 0,
                                  stale: version != scope.keepVersion)
            }
        }
    }

    public func beginSweep(_ scope: SweepScope, action: SweepAction) async throws -> SweepProgress {
        let id = SQLiteShard.sweepID(scope, action)
        return try await writer.run { connection in
            try connection.transaction {
                let found = try connection.query("""
                    SELECT deleted, marked, queued, batches FROM seeder_sweeps WHERE sweep_id = $1 AND finished_at IS NULL FOR UPDATE
                    """, [id])
                if found.rowCount > 0 {
                    var progress = SweepProgress()
                    progress.deleted = found.int64(0, 0) ?? 0
                    progress.marked = found.int64(0, 1) ?? 0
                    progress.queued = found.int64(0, 2) ?? 0
                    progress.batches = found.int64(0, 3) ?? 0
                    progress.resumed = true
                    return progress
                }
                try connection.query("""
                    INSERT INTO seeder_sweeps (sweep_id, model, keep_version, tenant_id, action, phase, cursor_key, deleted, marked,
                                               queued, batches, started_at, updated_at, finished_at)
                    VALUES ($1, $2, $3, $4, $5, 1, NULL, 0, 0, 0, 0, $6::double precision, $6::double precision, NULL)
                    ON CONFLICT (sweep_id) DO UPDATE SET cursor_key = NULL, deleted = 0, marked = 0, queued = 0, batches = 0,
                      started_at = excluded.started_at, updated_at = excluded.updated_at, finished_at = NULL
                    """, [id, scope.model, scope.keepVersion, scope.tenant, action.name, String(Date().timeIntervalSince1970)])
                return SweepProgress()
            }
        }
    }

    public func sweepStep(_ scope: SweepScope, action: SweepAction, limit: Int) async throws -> SweepProgress {
        let id = SQLiteShard.sweepID(scope, action)
        let location = self.location
        return try await writer.run { connection in
            try connection.transaction {
                let state = try connection.query("""
                    SELECT cursor_key, deleted, marked, queued, batches, finished_at IS NOT NULL FROM seeder_sweeps
                    WHERE sweep_id = $1 FOR UPDATE
                    """, [id])
                guard state.rowCount == 1 else {
                    throw StoreError(shard: location, message: "the sweep \(id) was not started", hint: nil)
                }
                var progress = SweepProgress()
                progress.deleted = state.int64(0, 1) ?? 0
                progress.marked = state.int64(0, 2) ?? 0
                progress.queued = state.int64(0, 3) ?? 0
                progress.batches = state.int64(0, 4) ?? 0
                progress.finished = state.string(0, 5) == "t"
                guard !progress.finished else { return progress }
                let start = state.string(0, 0).flatMap(SQLiteShard.decodeKey) ?? RowKey(textHash: "", model: "", modelVersion: "", tenant: "")
                // The window: the next `limit` keys after the cursor, in the primary key's own order (its index).
                let window = try connection.query("""
                    SELECT text_hash, model, model_version, tenant_id FROM (
                      SELECT text_hash, model, model_version, tenant_id FROM embeddings
                      WHERE (text_hash, model, model_version, tenant_id) > ($1, $2, $3, $4)
                      ORDER BY text_hash, model, model_version, tenant_id LIMIT $5::bigint) w
                    ORDER BY text_hash DESC, model DESC, model_version DESC, tenant_id DESC LIMIT 1
                    """, [start.textHash, start.model, start.modelVersion, start.tenant, String(limit)])
                let finished = window.rowCount == 0
                let end = finished ? start : PostgresShard.key(window, 0, from: 0)
                if !finished {
                    let parameters: [String?] = [scope.model, scope.keepVersion, scope.tenant, start.textHash, start.model, start.modelVersion,
                                                 start.tenant, end.textHash, end.model, end.modelVersion, end.tenant]
                    let inWindow = """
                        (e.text_hash, e.model, e.model_version, e.tenant_id) > ($4, $5, $6, $7)
                        AND (e.text_hash, e.model, e.model_version, e.tenant_id) <= ($8, $9, $10, $11) AND \(Self.stale("e"))
                        """
                    if action.queuesReseed {
                        progress.queued += Int64(try connection.query("""
                            INSERT INTO seeder_reseed (text_hash, model, tenant_id, stale_model, stale_version, source, category, record_id,
                                                       title, text, hit_count, last_hit_at)
                            SELECT t.text_hash, $1, t.tenant_id, t.model, t.model_version, t.source, t.category, t.record_id, t.title,
                                   t.text, COALESCE(e.hit_count, 0), e.last_hit_at
                            FROM embeddings e JOIN seeder_texts t ON t.text_hash = e.text_hash AND t.model = e.model
                              AND t.model_version = e.model_version AND t.tenant_id = e.tenant_id
                            WHERE \(inWindow)
                            ON CONFLICT DO NOTHING
                            """, parameters).affectedRows)
                    }
                    if action.deletes {
                        try connection.query("""
                            DELETE FROM seeder_texts t USING embeddings e
                            WHERE t.text_hash = e.text_hash AND t.model = e.model AND t.model_version = e.model_version
                              AND t.tenant_id = e.tenant_id AND \(inWindow)
                            """, parameters)
                        progress.deleted += Int64(try connection.query("DELETE FROM embeddings e WHERE \(inWindow)", parameters).affectedRows)
                    } else {
                        progress.marked += Int64(try connection.query("""
                            INSERT INTO seeder_stale (text_hash, model, model_version, tenant_id, hit_count, last_hit_at)
                            SELECT e.text_hash, e.model, e.model_version, e.tenant_id, COALESCE(e.hit_count, 0), e.last_hit_at
                            FROM embeddings e WHERE \(inWindow)
                            ON CONFLICT DO NOTHING
                            """, parameters).affectedRows)
                    }
                    progress.batches += 1
                }
                progress.finished = finished
                try connection.query("""
                    UPDATE seeder_sweeps SET cursor_key = $2, deleted = $3::bigint, marked = $4::bigint, queued = $5::bigint,
                      batches = $6::bigint, updated_at = $7::double precision,
                      finished_at = CASE WHEN $8::boolean THEN $7::double precision END
                    WHERE sweep_id = $1
                    """, [id, SQLiteShard.encodeKey(end), String(progress.deleted), String(progress.marked), String(progress.queued),
                          String(progress.batches), String(Date().timeIntervalSince1970), finished ? "true" : "false"])
                return progress
            }
        }
    }
}
