/// The tables of a SQLite shard: the cache's `embeddings` table exactly as the cache server reads it
/// (ARCHITECTURE.md; vector = `dimensions` float32, little-endian), and seeder's own tables beside it.
///
/// Schema changes are migrations numbered by `PRAGMA user_version`; each runs once, in a transaction.
///
/// `seeder_texts` has no key of its own on purpose: text hashes are uniformly random, and every random-key index
/// costs about one dirty page per inserted row once it outgrows a transaction (docs/schema.md). A row is written
/// only when its `embeddings` row was inserted, so the cache's primary key already makes it unique; its one index,
/// `(run_id, chunk_end)`, grows by appending.
enum ShardSchema {
    static let migrations: [String] = [
        // 1: the cache's table, its lookup index (seeds/000 §2.3), and seeder's bookkeeping.
        """
        CREATE TABLE IF NOT EXISTS embeddings (
          text_hash     TEXT NOT NULL,
          model         TEXT NOT NULL,
          model_version TEXT NOT NULL,
          dimensions    INTEGER NOT NULL,
          vector        BLOB NOT NULL,
          tenant_id     TEXT NOT NULL,
          created_at    TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
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
          chunk_end     INTEGER NOT NULL,
          source        TEXT NOT NULL,
          category      TEXT NOT NULL,
          record_id     TEXT NOT NULL,
          title         TEXT NOT NULL,
          text          TEXT NOT NULL,
          created_at    TIMESTAMP DEFAULT CURRENT_TIMESTAMP
        );
        CREATE INDEX IF NOT EXISTS idx_seeder_texts_run ON seeder_texts (run_id, chunk_end);
        CREATE TABLE IF NOT EXISTS seeder_runs (
          run_id             TEXT PRIMARY KEY,
          job                TEXT NOT NULL,
          model_alias        TEXT NOT NULL,
          model              TEXT NOT NULL,
          model_version      TEXT NOT NULL,
          dimensions         INTEGER NOT NULL,
          tenant_id          TEXT NOT NULL,
          provider           TEXT NOT NULL,
          source_kind        TEXT NOT NULL,
          input              TEXT NOT NULL,
          normalizer_version TEXT NOT NULL,
          shard_names        TEXT NOT NULL,
          state              TEXT NOT NULL,
          checkpoint         TEXT NOT NULL,
          counters           TEXT NOT NULL,
          error              TEXT,
          started_at         REAL NOT NULL,
          updated_at         REAL NOT NULL,
          finished_at        REAL,
          active_seconds     REAL NOT NULL DEFAULT 0,
          attempts           INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX IF NOT EXISTS idx_seeder_runs_job ON seeder_runs (job, model, model_version, tenant_id, state);
        CREATE TABLE IF NOT EXISTS seeder_failures (
          run_id     TEXT NOT NULL,
          ordinal    INTEGER NOT NULL,
          record_id  TEXT NOT NULL,
          reason     TEXT NOT NULL,
          detail     TEXT NOT NULL,
          created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
        );
        CREATE INDEX IF NOT EXISTS idx_seeder_failures_run ON seeder_failures (run_id, ordinal);
        """,
        // 2: the model the provider's server says it serves (TEI /info: model_id, model_sha), as JSON.
        "ALTER TABLE seeder_runs ADD COLUMN provider_model TEXT;",
        // 3: the price per million tokens the run was given, so `seeder status` prices its tokens as the run did.
        "ALTER TABLE seeder_runs ADD COLUMN price_per_million_tokens REAL;",
        // 4: the part of the job a run seeds (`--partition i/N`); '' for the whole job. Each part resumes on its own.
        "ALTER TABLE seeder_runs ADD COLUMN partition TEXT NOT NULL DEFAULT '';",
        // 5: model-version sweeps (`seeder sweep`): each sweep's cursor and counts, the rows it flagged (`--mark`),
        // the texts it queued for re-embedding (`--reseed`, read hottest first), and the hit totals each
        // `seeder report` records (one point a day, for "hits over time").
        """
        CREATE TABLE IF NOT EXISTS seeder_sweeps (
          sweep_id      TEXT PRIMARY KEY,
          model         TEXT NOT NULL,
          keep_version  TEXT NOT NULL,
          tenant_id     TEXT NOT NULL,
          action        TEXT NOT NULL,
          phase         INTEGER NOT NULL,
          cursor_rowid  INTEGER NOT NULL DEFAULT 0,
          cursor_key    TEXT,
          deleted       INTEGER NOT NULL DEFAULT 0,
          marked        INTEGER NOT NULL DEFAULT 0,
          queued        INTEGER NOT NULL DEFAULT 0,
          batches       INTEGER NOT NULL DEFAULT 0,
          started_at    REAL NOT NULL,
          updated_at    REAL NOT NULL,
          finished_at   REAL
        );
        CREATE TABLE IF NOT EXISTS seeder_stale (
          text_hash     TEXT NOT NULL,
          model         TEXT NOT NULL,
          model_version TEXT NOT NULL,
          tenant_id     TEXT NOT NULL,
          hit_count     INTEGER NOT NULL,
          last_hit_at   TIMESTAMP,
          marked_at     TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
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
          hit_count     INTEGER NOT NULL,
          last_hit_at   TIMESTAMP,
          queued_at     TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
          PRIMARY KEY (text_hash, model, tenant_id)
        );
        CREATE INDEX IF NOT EXISTS idx_seeder_reseed_hot ON seeder_reseed (model, tenant_id, hit_count DESC, text_hash);
        CREATE TABLE IF NOT EXISTS seeder_hit_history (
          job       TEXT NOT NULL,
          model     TEXT NOT NULL,
          tenant_id TEXT NOT NULL,
          day       TEXT NOT NULL,
          rows      INTEGER NOT NULL,
          rows_hit  INTEGER NOT NULL,
          hits      INTEGER NOT NULL,
          PRIMARY KEY (job, model, tenant_id, day)
        );
        """,
    ]

    static func migrate(_ db: SQLiteConnection) throws {
        let statement = try db.cachedStatement("PRAGMA user_version")
        try statement.step()
        let current = Int(statement.int64(at: 0))
        statement.reset()
        guard current < migrations.count else { return }
        try db.transaction {
            for (index, sql) in migrations.enumerated() where index >= current {
                try db.execute(sql)
            }
            try db.execute("PRAGMA user_version = \(migrations.count)")
        }
    }
}
