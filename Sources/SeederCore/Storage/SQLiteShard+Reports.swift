import Foundation

/// What `seeder report` and `seeder hits replay` read and write in a SQLite shard.
extension SQLiteShard {
    /// Sums the seeded rows of `model` and `tenant` per source and category, streaming `seeder_texts` (each row's
    /// `embeddings` row found through its primary key).
    public func categoryTally(model: StoredModel, tenant: String) throws -> CategoryTally {
        try Self.translatingErrors(location) {
            let statement = try db.cachedStatement("""
                SELECT t.source, t.category, COALESCE(e.hit_count, 0), e.last_hit_at, length(CAST(t.text AS BLOB))
                FROM seeder_texts t JOIN embeddings e ON e.text_hash = t.text_hash AND e.model = t.model
                  AND e.model_version = t.model_version AND e.tenant_id = t.tenant_id
                WHERE t.model = ?1 AND t.model_version = ?2 AND t.tenant_id = ?3
                """)
            defer { statement.reset() }
            try statement.bind(model.model, at: 1)
            try statement.bind(model.version, at: 2)
            try statement.bind(tenant, at: 3)
            var tally = CategoryTally()
            while try statement.step() {
                tally.add(source: statement.string(at: 0) ?? "", category: statement.string(at: 1) ?? "", hits: statement.int64(at: 2),
                          lastHit: statement.isNull(at: 3) ? nil : statement.string(at: 3), textBytes: statement.int64(at: 4))
            }
            return tally
        }
    }

    /// The source and category seeder recorded for each of `hashes` it seeded (one scan of `seeder_texts`).
    public func origins(of hashes: [TextHash], model: StoredModel, tenant: String) throws -> [TextHash: SeededOrigin] {
        guard !hashes.isEmpty else { return [:] }
        return try Self.translatingErrors(location) {
            let statement = try db.cachedStatement("""
                SELECT text_hash, source, category FROM seeder_texts
                WHERE text_hash IN (SELECT value FROM json_each(?1)) AND model = ?2 AND model_version = ?3 AND tenant_id = ?4
                """)
            defer { statement.reset() }
            let keys = try JSONSerialization.data(withJSONObject: hashes.map(\.hex))
            try statement.bind(String(decoding: keys, as: UTF8.self), at: 1)
            try statement.bind(model.model, at: 2)
            try statement.bind(model.version, at: 3)
            try statement.bind(tenant, at: 4)
            var out: [TextHash: SeededOrigin] = [:]
            while try statement.step() {
                guard let hash = statement.string(at: 0).flatMap({ TextHash(hex: $0) }) else { continue }
                out[hash] = SeededOrigin(source: statement.string(at: 1) ?? "", category: statement.string(at: 2) ?? "")
            }
            return out
        }
    }

    /// Adds hits to rows, as the cache server does when it answers from them: `hit_count` grows by each count and
    /// `last_hit_at` moves to the hit's time when later. One transaction; returns the rows updated.
    @discardableResult
    public func addHits(_ hits: [HitCount], model: StoredModel, tenant: String) throws -> Int {
        guard !hits.isEmpty else { return 0 }
        return try Self.translatingErrors(location) {
            try db.transaction {
                let update = try db.cachedStatement("""
                    UPDATE embeddings SET hit_count = COALESCE(hit_count, 0) + ?5,
                      last_hit_at = CASE WHEN last_hit_at IS NULL OR last_hit_at < ?6 THEN ?6 ELSE last_hit_at END
                    WHERE text_hash = ?1 AND model = ?2 AND model_version = ?3 AND tenant_id = ?4
                    """)
                try update.bind(model.model, at: 2)
                try update.bind(model.version, at: 3)
                try update.bind(tenant, at: 4)
                var updated = 0
                for hit in hits {
                    update.rewind()
                    try update.bind(hit.hash.hex, at: 1)
                    try update.bind(hit.count, at: 5)
                    try update.bind(hit.lastHitAt, at: 6)
                    try update.run()
                    updated += db.changes
                }
                return updated
            }
        }
    }

    /// Records today's totals for a job's report (one point a day: a later report the same day replaces it).
    public func recordHistory(job: String, model: StoredModel, tenant: String, point: ExpansionReport.HistoryPoint) throws {
        try Self.translatingErrors(location) {
            let statement = try db.cachedStatement("""
                INSERT INTO seeder_hit_history (job, model, tenant_id, day, rows, rows_hit, hits) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                ON CONFLICT (job, model, tenant_id, day) DO UPDATE SET rows = excluded.rows, rows_hit = excluded.rows_hit, hits = excluded.hits
                """)
            defer { statement.reset() }
            try statement.bind(job, at: 1)
            try statement.bind(model.model + "@" + model.version, at: 2)
            try statement.bind(tenant, at: 3)
            try statement.bind(point.day, at: 4)
            try statement.bind(point.rows, at: 5)
            try statement.bind(point.rowsHit, at: 6)
            try statement.bind(point.hits, at: 7)
            try statement.run()
        }
    }

    /// A job's recorded totals, oldest first.
    public func history(job: String, model: StoredModel, tenant: String) throws -> [ExpansionReport.HistoryPoint] {
        try Self.translatingErrors(location) {
            let statement = try db.cachedStatement("""
                SELECT day, rows, rows_hit, hits FROM seeder_hit_history WHERE job = ?1 AND model = ?2 AND tenant_id = ?3 ORDER BY day
                """)
            defer { statement.reset() }
            try statement.bind(job, at: 1)
            try statement.bind(model.model + "@" + model.version, at: 2)
            try statement.bind(tenant, at: 3)
            var out: [ExpansionReport.HistoryPoint] = []
            while try statement.step() {
                out.append(ExpansionReport.HistoryPoint(day: statement.string(at: 0) ?? "", rows: statement.int64(at: 1),
                                                        rowsHit: statement.int64(at: 2), hits: statement.int64(at: 3)))
            }
            return out
        }
    }
}

/// The re-embedding queue a sweep fills (`seeder sweep --reseed`) and `seeder run --reseed` reads.
extension SQLiteShard {
    public func reseedQueue(model: String, tenant: String, after cursor: ReseedCursor?, limit: Int) throws -> [QueuedText] {
        try Self.translatingErrors(location) {
            let statement = try db.cachedStatement("""
                SELECT text_hash, source, category, record_id, title, text, hit_count FROM seeder_reseed
                WHERE model = ?1 AND tenant_id = ?2 AND (hit_count < ?3 OR (hit_count = ?3 AND text_hash > ?4))
                ORDER BY hit_count DESC, text_hash LIMIT ?5
                """)
            defer { statement.reset() }
            try statement.bind(model, at: 1)
            try statement.bind(tenant, at: 2)
            try statement.bind(cursor?.hitCount ?? Int64.max, at: 3)
            try statement.bind(cursor?.hash ?? "", at: 4)
            try statement.bind(Int64(limit), at: 5)
            var out: [QueuedText] = []
            while try statement.step() {
                guard let hash = statement.string(at: 0).flatMap({ TextHash(hex: $0) }) else { continue }
                out.append(QueuedText(hash: hash, origin: SeededOrigin(source: statement.string(at: 1) ?? "", category: statement.string(at: 2) ?? ""),
                                      recordID: statement.string(at: 3) ?? "", title: statement.string(at: 4) ?? "",
                                      text: statement.string(at: 5) ?? "", hitCount: statement.int64(at: 6)))
            }
            return out
        }
    }

    @discardableResult
    public func clearReseeded(model: String, tenant: String, stored: StoredModel) throws -> Int {
        try Self.translatingErrors(location) {
            let statement = try db.cachedStatement("""
                DELETE FROM seeder_reseed WHERE model = ?1 AND tenant_id = ?2 AND EXISTS (
                  SELECT 1 FROM embeddings e WHERE e.text_hash = seeder_reseed.text_hash AND e.model = ?3 AND e.model_version = ?4
                    AND e.tenant_id = ?2)
                """)
            defer { statement.reset() }
            try statement.bind(model, at: 1)
            try statement.bind(tenant, at: 2)
            try statement.bind(stored.model, at: 3)
            try statement.bind(stored.version, at: 4)
            try statement.run()
            return db.changes
        }
    }
}
