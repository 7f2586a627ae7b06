import Foundation

/// What `seeder report`, `seeder hits replay` and `seeder run --reseed` read and write in a PostgreSQL shard.
extension PostgresShard {
    public func categoryTally(model: StoredModel, tenant: String) async throws -> CategoryTally {
        try await reader.run { connection in
            try connection.transaction {
                try connection.query("""
                    DECLARE seeder_tally NO SCROLL CURSOR FOR
                    SELECT t.source, t.category, COALESCE(e.hit_count, 0)::text, e.last_hit_at::text, octet_length(t.text)::text
                    FROM seeder_texts t JOIN embeddings e ON e.text_hash = t.text_hash AND e.model = t.model
                      AND e.model_version = t.model_version AND e.tenant_id = t.tenant_id
                    WHERE t.model = $1 AND t.model_version = $2 AND t.tenant_id = $3
                    """, [model.model, model.version, tenant])
                var tally = CategoryTally()
                while true {
                    let page = try connection.execute("FETCH 10000 FROM seeder_tally")
                    if page.rowCount == 0 { break }
                    for row in 0..<page.rowCount {
                        tally.add(source: page.string(row, 0) ?? "", category: page.string(row, 1) ?? "", hits: page.int64(row, 2) ?? 0,
                                  lastHit: page.string(row, 3), textBytes: page.int64(row, 4) ?? 0)
                    }
                }
                try connection.execute("CLOSE seeder_tally")
                return tally
            }
        }
    }

    public func origins(of hashes: [TextHash], model: StoredModel, tenant: String) async throws -> [TextHash: SeededOrigin] {
        guard !hashes.isEmpty else { return [:] }
        let literal = PostgresArrayLiteral.make(hashes.lazy.map(\.hex))
        return try await reader.run { connection in
            let result = try connection.query("""
                SELECT text_hash, source, category FROM seeder_texts
                WHERE text_hash = ANY($1::text[]) AND model = $2 AND model_version = $3 AND tenant_id = $4
                """, [literal, model.model, model.version, tenant])
            var out: [TextHash: SeededOrigin] = [:]
            for row in 0..<result.rowCount {
                guard let hash = result.string(row, 0).flatMap({ TextHash(hex: $0) }) else { continue }
                out[hash] = SeededOrigin(source: result.string(row, 1) ?? "", category: result.string(row, 2) ?? "")
            }
            return out
        }
    }

    public func addHits(_ hits: [HitCount], model: StoredModel, tenant: String) async throws -> Int {
        guard !hits.isEmpty else { return 0 }
        let parameters: [String?] = [
            PostgresArrayLiteral.make(hits.lazy.map(\.hash.hex)), PostgresArrayLiteral.make(hits.lazy.map { String($0.count) }),
            PostgresArrayLiteral.make(hits.lazy.map(\.lastHitAt)), model.model, model.version, tenant,
        ]
        return try await writer.run { connection in
            try connection.query("""
                UPDATE embeddings e SET hit_count = COALESCE(e.hit_count, 0) + h.n,
                  last_hit_at = GREATEST(e.last_hit_at, h.at)
                FROM unnest($1::text[], $2::integer[], $3::timestamp[]) AS h(k, n, at)
                WHERE e.text_hash = h.k AND e.model = $4 AND e.model_version = $5 AND e.tenant_id = $6
                """, parameters).affectedRows
        }
    }

    public func recordHistory(job: String, model: StoredModel, tenant: String, point: ExpansionReport.HistoryPoint) async throws {
        try await writer.run { connection in
            _ = try connection.query("""
                INSERT INTO seeder_hit_history (job, model, tenant_id, day, rows, rows_hit, hits)
                VALUES ($1, $2, $3, $4, $5::bigint, $6::bigint, $7::bigint)
                ON CONFLICT (job, model, tenant_id, day) DO UPDATE SET rows = excluded.rows, rows_hit = excluded.rows_hit, hits = excluded.hits
                """, [job, model.model + "@" + model.version, tenant, point.day, String(point.rows), String(point.rowsHit), String(point.hits)])
        }
    }

    public func history(job: String, model: StoredModel, tenant: String) async throws -> [ExpansionReport.HistoryPoint] {
        try await reader.run { connection in
            let result = try connection.query("""
                SELECT day, rows::text, rows_hit::text, hits::text FROM seeder_hit_history
                WHERE job = $1 AND model = $2 AND tenant_id = $3 ORDER BY day
                """, [job, model.model + "@" + model.version, tenant])
            return (0..<result.rowCount).map { row in
                ExpansionReport.HistoryPoint(day: result.string(row, 0) ?? "", rows: result.int64(row, 1) ?? 0,
                                             rowsHit: result.int64(row, 2) ?? 0, hits: result.int64(row, 3) ?? 0)
            }
        }
    }
}

/// The re-embedding queue a sweep fills (`seeder sweep --reseed`) and `seeder run --reseed` reads.
extension PostgresShard {
    public func reseedQueue(model: String, tenant: String, after cursor: ReseedCursor?, limit: Int) async throws -> [QueuedText] {
        try await reader.run { connection in
            // COLLATE "C": the same key order as SQLite's and ``ReseedCursor``'s, so the merged queue is in one order.
            let result = try connection.query("""
                SELECT text_hash, source, category, record_id, title, text, hit_count::text FROM seeder_reseed
                WHERE model = $1 AND tenant_id = $2
                  AND (hit_count < $3::bigint OR (hit_count = $3::bigint AND text_hash COLLATE "C" > $4 COLLATE "C"))
                ORDER BY hit_count DESC, text_hash COLLATE "C" LIMIT $5::bigint
                """, [model, tenant, String(cursor?.hitCount ?? Int64.max), cursor?.hash ?? "", String(limit)])
            return (0..<result.rowCount).compactMap { row in
                guard let hash = result.string(row, 0).flatMap({ TextHash(hex: $0) }) else { return nil }
                return QueuedText(hash: hash, origin: SeededOrigin(source: result.string(row, 1) ?? "", category: result.string(row, 2) ?? ""),
                                  recordID: result.string(row, 3) ?? "", title: result.string(row, 4) ?? "", text: result.string(row, 5) ?? "",
                                  hitCount: result.int64(row, 6) ?? 0)
            }
        }
    }

    public func clearReseeded(model: String, tenant: String, stored: StoredModel) async throws -> Int {
        try await writer.run { connection in
            try connection.query("""
                DELETE FROM seeder_reseed q WHERE q.model = $1 AND q.tenant_id = $2 AND EXISTS (
                  SELECT 1 FROM embeddings e WHERE e.text_hash = q.text_hash AND e.model = $3 AND e.model_version = $4 AND e.tenant_id = $2)
                """, [model, tenant, stored.model, stored.version]).affectedRows
        }
    }
}
