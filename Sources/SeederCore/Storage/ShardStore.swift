/// One shard of the cache's `embeddings` table, wherever it lives — a SQLite file (``ShardWorker``) or a
/// PostgreSQL database or schema (`PostgresShard`) — with seeder's `seeder_texts` beside it.
///
/// Implementations run their blocking C calls (sqlite3, libpq) on threads of their own, never on Swift's
/// cooperative pool, and use each connection from one thread at a time. Every write is idempotent
/// (`ON CONFLICT DO NOTHING`): a chunk redone after a crash or a lost connection changes nothing.
public protocol ShardStore: AnyObject, Sendable {
    /// The shard's name on the ring and where it is (a path, or a DSN whose password is never shown).
    var location: ShardLocation { get }

    /// Which of `hashes` are stored for this model, version and tenant. Sees committed rows only.
    func lookup(_ hashes: [TextHash], model: StoredModel, tenant: String) async throws -> Set<TextHash>

    /// The keys run `runID` wrote in chunks ending after `items`: after a crash, what reached this shard past the
    /// run's last checkpoint.
    func keysWritten(runID: String, after items: Int64) async throws -> Set<TextHash>

    /// Writes one chunk's rows for this shard in one transaction: `embeddings` rows not yet present, and for each
    /// row inserted its `seeder_texts` row. Returns the `embeddings` rows inserted. When this returns, the
    /// transaction has committed; when it throws, it may or may not have (redoing it is safe).
    func write(_ batch: ShardBatch, model: StoredModel, tenant: String, runID: String, chunkEnd: Int64, source: String) async throws -> Int

    /// Makes every commit so far survive power loss. SQLite at `synchronous = NORMAL` fsyncs its log here;
    /// a PostgreSQL commit is durable when it returns (unless the server runs without fsync).
    func makeDurable() async throws

    /// Tidies up after a run: SQLite copies its write-ahead log into the database file and truncates it.
    func finish() async throws

    /// Rows in `embeddings`, and an order-independent SHA-256 of every row's key columns and vector bytes: two
    /// shards with equal digests hold the same rows, byte for byte, whatever their kind.
    func digest() async throws -> ShardDigest

    // MARK: Maintenance (`seeder shards check`, `seeder shards rebalance`)

    /// What `seeder shards check` reports about the shard itself: its schema and its row count.
    func inspect() async throws -> ShardInspection

    /// Why this process could not write the shard, checked without writing (`seeder doctor`): a file or folder not
    /// writable, a read-only server or replica, a missing privilege. Nil when it can.
    func writeProblem() async throws -> String?

    /// Up to `limit` keys of `embeddings` after `cursor` (all models and tenants), in ``RowKey`` order (bytewise on
    /// each column in turn: PostgreSQL compares with `COLLATE "C"`), for a scan that can stop and resume anywhere.
    func scanKeys(after cursor: RowKey?, limit: Int) async throws -> [RowKey]

    /// The whole rows of `keys` that exist: every `embeddings` column (hit counts and timestamps included) and
    /// their `seeder_texts` rows, so a moved row arrives unchanged.
    func readRows(_ keys: [RowKey]) async throws -> [StoredRow]

    /// Inserts whole rows in one transaction, leaving rows already present as they are. Returns the `embeddings`
    /// rows inserted.
    func insertRows(_ rows: [StoredRow]) async throws -> Int

    /// Deletes these keys' `embeddings` and `seeder_texts` rows in one transaction. Returns the `embeddings` rows
    /// deleted.
    func deleteRows(_ keys: [RowKey]) async throws -> Int

    // MARK: Sweeps (`seeder sweep`) and reports (`seeder report`, `seeder hits replay`)

    /// Rows of the scope's model and tenant, by `model` value and version (a sweep's dry run).
    func staleCounts(_ scope: SweepScope) async throws -> [StaleCount]

    /// Starts a sweep of this shard, or continues the same sweep (scope and action) stopped before it finished.
    func beginSweep(_ scope: SweepScope, action: SweepAction) async throws -> SweepProgress

    /// Sweeps the next batch of at most `limit` rows in one transaction that also saves the cursor; returns the
    /// sweep's progress, `finished` once every row was seen.
    func sweepStep(_ scope: SweepScope, action: SweepAction, limit: Int) async throws -> SweepProgress

    /// The seeded rows of `model` and `tenant` (those with a `seeder_texts` row), summed per source and category.
    func categoryTally(model: StoredModel, tenant: String) async throws -> CategoryTally

    /// The source and category seeder recorded for those of `hashes` it seeded.
    func origins(of hashes: [TextHash], model: StoredModel, tenant: String) async throws -> [TextHash: SeededOrigin]

    /// Counts hits into rows as the cache server does (`hit_count`, `last_hit_at`); returns the rows updated.
    func addHits(_ hits: [HitCount], model: StoredModel, tenant: String) async throws -> Int

    /// Records a day's totals for a job's report, and reads them back (oldest first).
    func recordHistory(job: String, model: StoredModel, tenant: String, point: ExpansionReport.HistoryPoint) async throws
    func history(job: String, model: StoredModel, tenant: String) async throws -> [ExpansionReport.HistoryPoint]

    /// Up to `limit` texts a sweep queued for re-embedding with `model` (a canonical id) in `tenant`, hottest first
    /// (hit count descending, then key), after `cursor`.
    func reseedQueue(model: String, tenant: String, after cursor: ReseedCursor?, limit: Int) async throws -> [QueuedText]

    /// Removes from the queue the texts now stored with `stored` (the model's current version): returns how many.
    func clearReseeded(model: String, tenant: String, stored: StoredModel) async throws -> Int

    /// Closes the shard's connections. Call once, when nothing else is using it.
    func close() async
}

/// Rows and an order-independent digest of a shard (see ``ShardStore/digest()``).
public struct ShardDigest: Sendable, Equatable {
    public var rows: Int
    public var sha256: String

    public init(rows: Int, sha256: String) {
        self.rows = rows
        self.sha256 = sha256
    }
}

/// The state of a shard's tables, as `seeder shards check` reports it.
public struct ShardInspection: Sendable, Equatable {
    /// Rows in `embeddings`.
    public var rows: Int
    /// The schema version seeder's migrations brought the shard to, and the version this seeder expects.
    public var schemaVersion: Int
    public var expectedSchemaVersion: Int
    /// What is wrong with the tables (a missing column, a different primary key…), empty when nothing is.
    public var schemaProblems: [String]

    public init(rows: Int, schemaVersion: Int, expectedSchemaVersion: Int, schemaProblems: [String]) {
        self.rows = rows
        self.schemaVersion = schemaVersion
        self.expectedSchemaVersion = expectedSchemaVersion
        self.schemaProblems = schemaProblems
    }
}

/// The primary key of an `embeddings` row. Ordered column by column, each by its UTF-8 bytes.
public struct RowKey: Sendable, Hashable, Comparable {
    /// 64 lowercase hex digits.
    public var textHash: String
    public var model: String
    public var modelVersion: String
    public var tenant: String

    public init(textHash: String, model: String, modelVersion: String, tenant: String) {
        self.textHash = textHash
        self.model = model
        self.modelVersion = modelVersion
        self.tenant = tenant
    }

    public static func < (a: RowKey, b: RowKey) -> Bool {
        for (x, y) in [(a.textHash, b.textHash), (a.model, b.model), (a.modelVersion, b.modelVersion), (a.tenant, b.tenant)] where x != y {
            return x.utf8.lexicographicallyPrecedes(y.utf8)
        }
        return false
    }
}

/// A whole `embeddings` row and the `seeder_texts` rows of its key, as a rebalance moves them.
public struct StoredRow: Sendable, Equatable {
    public var key: RowKey
    public var dimensions: Int
    /// `dimensions` float32, little-endian, no header.
    public var vector: [UInt8]
    /// Timestamps as text, `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC, no zone), the form both stores read back.
    public var createdAt: String?
    public var lastHitAt: String?
    public var hitCount: Int64
    public var texts: [SeededTextRow]

    public init(key: RowKey, dimensions: Int, vector: [UInt8], createdAt: String?, lastHitAt: String?, hitCount: Int64,
                texts: [SeededTextRow]) {
        self.key = key
        self.dimensions = dimensions
        self.vector = vector
        self.createdAt = createdAt
        self.lastHitAt = lastHitAt
        self.hitCount = hitCount
        self.texts = texts
    }
}

/// A `seeder_texts` row, less the key it shares with its `embeddings` row.
public struct SeededTextRow: Sendable, Equatable {
    public var runID: String
    public var chunkEnd: Int64
    public var text: SeededText
    public var createdAt: String?

    public init(runID: String, chunkEnd: Int64, text: SeededText, createdAt: String?) {
        self.runID = runID
        self.chunkEnd = chunkEnd
        self.text = text
        self.createdAt = createdAt
    }
}
