/// The tables of a PostgreSQL shard: the cache's `embeddings` table exactly as ARCHITECTURE.md fixes it (created
/// when missing, never altered), and seeder's tables with the columns and meanings of ``ShardSchema``'s.
///
/// Migrations are numbered in `seeder_schema`; each runs once, in a transaction that first takes a transaction-level
/// advisory lock, so two processes starting at once migrate one after the other.
enum PostgresSchema {
    /// `pg_advisory_xact_lock` key of migrations: "seeder-schema" as bytes (any fixed value would do).
    static let migrationLockKey: Int64 = 0x7365_6564_6572_5343

    static let migrations: [String] = [
        // 1: the cache's table, seeder's bookkeeping, and a unique key on failures so that a redone save (after a
        // lost connection) inserts nothing twice.
        """
        CREATE TABLE IF NOT EXISTS embeddings (
          text_hash     TEXT NOT NULL,
          model         TEXT NOT NULL,
          model_version TEXT NOT NULL,
          dimensions    INTEGER NOT NULL,
          vector        BYTEA NOT NULL,
          tenant_id     TEXT NOT NULL,
          created_at    TIMESTAMP DEFAULT NOW(),
          last_hit_at   TIMESTAMP,
          hit_count     INTEGER DEFAULT 0,
          PRIMARY KEY (text_hash, model, model_version, tenant_id)
        );
        CREATE TABLE IF NOT EXISTS seeder_texts (
          text_hash     TEXT NOT NULL,
          model         TEXT NOT NULL,
          model_version TEXT NOT NULL,
          tenant_id     TEXT NOT NULL,
          run_id        TEXT NOT NULL,
          chunk_end     BIGINT NOT NULL,
          source        TEXT NOT NULL,
          category      TEXT NOT NULL,
          record_id     TEXT NOT NULL,
          title         TEXT NOT NULL,
          text          TEXT NOT NULL,
          created_at    TIMESTAMP DEFAULT NOW()
        );
        CREATE INDEX IF NOT EXISTS idx_seeder_texts_run ON seeder_texts (run_id, chunk_end);
        CREATE INDEX IF NOT EXISTS idx_seeder_texts_key ON seeder_texts (text_hash);
        CREATE TABLE IF NOT EXISTS seeder_runs (
          run_id                   TEXT PRIMARY KEY,
          job                      TEXT NOT NULL,
          model_alias              TEXT NOT NULL,
          model                    TEXT NOT NULL,
          model_version            TEXT NOT NULL,
          dimensions               INTEGER NOT NULL,
          tenant_id                TEXT NOT NULL,
          provider                 TEXT NOT NULL,
          source_kind              TEXT NOT NULL,
          input                    TEXT NOT NULL,
          normalizer_version       TEXT NOT NULL,
          shard_names              TEXT NOT NULL,
          state                    TEXT NOT NULL,
          checkpoint               TEXT NOT NULL,
          counters                 TEXT NOT NULL,
          error                    TEXT,
          started_at               DOUBLE PRECISION NOT NULL,
          updated_at               DOUBLE PRECISION NOT NULL,
          finished_at              DOUBLE PRECISION,
          active_seconds           DOUBLE PRECISION NOT NULL DEFAULT 0,
          attempts                 INTEGER NOT NULL DEFAULT 1,
          provider_model           TEXT,
          price_per_million_tokens DOUBLE PRECISION
        );
        CREATE INDEX IF NOT EXISTS idx_seeder_runs_job ON seeder_runs (job, model, model_version, tenant_id, state);
        CREATE TABLE IF NOT EXISTS seeder_failures (
          run_id     TEXT NOT NULL,
          ordinal    BIGINT NOT NULL,
          record_id  TEXT NOT NULL,
          reason     TEXT NOT NULL,
          detail     TEXT NOT NULL,
          created_at TIMESTAMP DEFAULT NOW()
        );
        CREATE UNIQUE INDEX IF NOT EXISTS idx_seeder_failures_run ON seeder_failures (run_id, ordinal, record_id, reason);
        """,
        // 2: the part of the job a run seeds (`--partition i/N`); '' for the whole job. Each part resumes on its own.
        "ALTER TABLE seeder_runs ADD COLUMN IF NOT EXISTS partition TEXT NOT NULL DEFAULT '';",
        // 3: model-version sweeps, their flags and re-embedding queue, and report history (ShardSchema's 5).
        """
        CREATE TABLE IF NOT EXISTS seeder_sweeps (
          sweep_id      TEXT PRIMARY KEY,
          model         TEXT NOT NULL,
          keep_version  TEXT NOT NULL,
          tenant_id     TEXT NOT NULL,
          action        TEXT NOT NULL,
          phase         INTEGER NOT NULL,
          cursor_key    TEXT,
          deleted       BIGINT NOT NULL DEFAULT 0,
          marked        BIGINT NOT NULL DEFAULT 0,
          queued        BIGINT NOT NULL DEFAULT 0,
          batches       BIGINT NOT NULL DEFAULT 0,
          started_at    DOUBLE PRECISION NOT NULL,
          updated_at    DOUBLE PRECISION NOT NULL,
          finished_at   DOUBLE PRECISION
        );
        CREATE TABLE IF NOT EXISTS seeder_stale (
          text_hash     TEXT NOT NULL,
          model         TEXT NOT NULL,
          model_version TEXT NOT NULL,
          tenant_id     TEXT NOT NULL,
          hit_count     BIGINT NOT NULL,
          last_hit_at   TIMESTAMP,
          marked_at     TIMESTAMP DEFAULT NOW(),
          PRIMARY KEY (text_hash, model, model_version, tenant_id)
        );
        CREATE TABLE IF NOT EXISTS seeder_reseed (
          text_hash     TEXT NOT NULL,
          model         TEXT NOT NULL,
          tenant_id     TEXT NOT NULL,
          stale_model   TEXT NOT NULL,
          stale_version TEXT NOT NULL,
          source        TEXT NOT NULL,
          category      TEXT NOT NULL,
          record_id     TEXT NOT NULL,
          title         TEXT NOT NULL,
          text          TEXT NOT NULL,
          hit_count     BIGINT NOT NULL,
          last_hit_at   TIMESTAMP,
          queued_at     TIMESTAMP DEFAULT NOW(),
          PRIMARY KEY (text_hash, model, tenant_id)
        );
        CREATE INDEX IF NOT EXISTS idx_seeder_reseed_hot ON seeder_reseed (model, tenant_id, hit_count DESC, text_hash);
        CREATE TABLE IF NOT EXISTS seeder_hit_history (
          job       TEXT NOT NULL,
          model     TEXT NOT NULL,
          tenant_id TEXT NOT NULL,
          day       TEXT NOT NULL,
          rows      BIGINT NOT NULL,
          rows_hit  BIGINT NOT NULL,
          hits      BIGINT NOT NULL,
          PRIMARY KEY (job, model, tenant_id, day)
        );
        """,
    ]

    static var expectedVersion: Int { migrations.count }

    /// Brings the connection's schema (its `search_path`) up to date.
    static func migrate(_ connection: PostgresConnection) throws {
        try connection.transaction {
            try connection.execute("SELECT pg_advisory_xact_lock(\(migrationLockKey))")
            try connection.execute("CREATE TABLE IF NOT EXISTS seeder_schema (version INTEGER NOT NULL)")
            let current = try version(connection)
            guard current < migrations.count else { return }
            for (index, sql) in migrations.enumerated() where index >= current {
                try connection.execute(sql)
            }
            try connection.execute("DELETE FROM seeder_schema; INSERT INTO seeder_schema (version) VALUES (\(migrations.count))")
        }
    }

    /// The version migrations reached (0 when seeder never migrated this schema).
    static func version(_ connection: PostgresConnection) throws -> Int {
        let exists = try connection.query("SELECT to_regclass('seeder_schema') IS NOT NULL", [])
        guard exists.string(0, 0) == "t" else { return 0 }
        return Int(try connection.execute("SELECT COALESCE(max(version), 0) FROM seeder_schema").int64(0, 0) ?? 0)
    }

    /// The fixed `embeddings` columns and their `information_schema` types.
    static let embeddingsColumns: [(name: String, type: String)] = [
        ("text_hash", "text"), ("model", "text"), ("model_version", "text"), ("dimensions", "integer"), ("vector", "bytea"),
        ("tenant_id", "text"), ("created_at", "timestamp without time zone"), ("last_hit_at", "timestamp without time zone"),
        ("hit_count", "integer"),
    ]
    static let primaryKey = ["text_hash", "model", "model_version", "tenant_id"]
    static let textsColumns = ["text_hash", "model", "model_version", "tenant_id", "run_id", "chunk_end", "source", "category",
                               "record_id", "title", "text", "created_at"]

    /// What differs from the expected tables, read from `information_schema` and `pg_index`.
    static func problems(_ connection: PostgresConnection) throws -> [String] {
        var problems: [String] = []
        func columns(_ table: String) throws -> [String: String] {
            let result = try connection.query("""
                SELECT column_name, data_type FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = $1
                """, [table])
            var out: [String: String] = [:]
            for row in 0..<result.rowCount { out[result.string(row, 0) ?? ""] = result.string(row, 1) ?? "" }
            return out
        }
        let embeddings = try columns("embeddings")
        if embeddings.isEmpty {
            problems.append("missing table embeddings")
        } else {
            for (name, type) in embeddingsColumns {
                guard let actual = embeddings[name] else { problems.append("embeddings: missing column \(name)"); continue }
                if actual != type { problems.append("embeddings.\(name) is \(actual), expected \(type)") }
            }
            let key = try connection.query("""
                SELECT a.attname FROM pg_index i
                JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                WHERE i.indrelid = to_regclass('embeddings') AND i.indisprimary
                ORDER BY array_position(i.indkey::int2[], a.attnum)
                """, [])
            let actualKey = (0..<key.rowCount).map { key.string($0, 0) ?? "" }
            if actualKey != primaryKey {
                problems.append("embeddings has primary key (\(actualKey.joined(separator: ", "))), expected (\(primaryKey.joined(separator: ", ")))")
            }
        }
        let texts = try columns("seeder_texts")
        if texts.isEmpty {
            problems.append("missing table seeder_texts")
        } else {
            for name in textsColumns where texts[name] == nil { problems.append("seeder_texts: missing column \(name)") }
        }
        return problems
    }
}
