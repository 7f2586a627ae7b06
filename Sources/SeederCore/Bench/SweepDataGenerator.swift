import Foundation

/// Writes shards full of rows for a model-version sweep (`seeder bench sweep`, the sweep's kill tests): rows of the
/// swept model at a stale and at the current version, and rows a sweep must never touch (another model, another
/// tenant, a model whose id merely starts with the swept one's), spread over SQLite shard files by the ring, in the
/// exact schema ``StoreOpener/shard(_:settings:inspecting:)`` creates.
///
/// Deterministic: row `i` (its key, kind, texts, hit count) is a function of the seed and `i` alone (``row(_:)``),
/// so the same seed writes the same files, and callers can pick existing keys without reading them back. Returns
/// the exact counts a sweep must end with (``Expectation``).
public struct SweepDataGenerator: Sendable {
    /// What a row is, as far as a sweep of ``model`` (keeping ``currentVersion``, tenant ``tenant``) is concerned.
    public enum Kind: Int, Sendable, CaseIterable {
        /// The swept model at the stale version, `model` = its canonical id: deleted.
        case staleCanonical
        /// The swept model at the stale version, `model` = `canonical|dim=256`: deleted.
        case staleSuffixed
        /// The swept model at the kept version: stays.
        case current
        /// Another model (bge-small) at the stale version's number: stays.
        case otherModel
        /// The swept model at the stale version in another tenant: stays.
        case otherTenant
        /// `…-MiniLM-L6-v2-large`, whose id starts with the swept one's: stays.
        case similarName

        /// The row's `model`, `model_version` and `tenant_id`.
        public var group: RowGroup {
            switch self {
            case .staleCanonical: return RowGroup(model: SweepDataGenerator.model, version: SweepDataGenerator.staleVersion, tenant: SweepDataGenerator.tenant)
            case .staleSuffixed: return RowGroup(model: SweepDataGenerator.model + "|dim=256", version: SweepDataGenerator.staleVersion, tenant: SweepDataGenerator.tenant)
            case .current: return RowGroup(model: SweepDataGenerator.model, version: SweepDataGenerator.currentVersion, tenant: SweepDataGenerator.tenant)
            case .otherModel: return RowGroup(model: "BAAI/bge-small-en-v1.5", version: SweepDataGenerator.staleVersion, tenant: SweepDataGenerator.tenant)
            case .otherTenant: return RowGroup(model: SweepDataGenerator.model, version: SweepDataGenerator.staleVersion, tenant: "acme")
            case .similarName: return RowGroup(model: SweepDataGenerator.model + "-large", version: SweepDataGenerator.staleVersion, tenant: SweepDataGenerator.tenant)
            }
        }

        /// Whether a sweep of the model (tenant `public`, keeping version "1") removes the row.
        public var isStale: Bool { self == .staleCanonical || self == .staleSuffixed }
    }

    /// The key columns other than `text_hash`: what rows are counted by.
    public struct RowGroup: Sendable, Hashable, Comparable, CustomStringConvertible {
        public var model: String
        public var version: String
        public var tenant: String

        public init(model: String, version: String, tenant: String) {
            self.model = model
            self.version = version
            self.tenant = tenant
        }

        public static func < (a: RowGroup, b: RowGroup) -> Bool {
            (a.model, a.version, a.tenant) < (b.model, b.version, b.tenant)
        }

        public var description: String { "\(model) v\(version) \(tenant)" }
    }

    /// The make-up of the rows, as fractions of all rows (normalized: they need not add up to 1).
    public struct Mix: Sendable, Equatable {
        /// Stale rows of the swept model, half with `model` = the canonical id, half `canonical|dim=256`.
        public var stale = 0.55
        public var current = 0.25
        public var otherModel = 0.10
        public var otherTenant = 0.05
        public var similarName = 0.05
        /// Rows that also get a `seeder_texts` row (the others were "written by the cache").
        public var withTexts = 0.80

        public init() {}
    }

    /// One generated row, without its vector and texts.
    public struct Row: Sendable, Equatable {
        public var index: Int
        public var hash: TextHash
        public var kind: Kind
        /// The owner on the ring: an index into the shard paths.
        public var shard: Int
        public var hasText: Bool
        public var hitCount: Int64

        public var key: RowKey {
            let group = kind.group
            return RowKey(textHash: hash.hex, model: group.model, modelVersion: group.version, tenant: group.tenant)
        }
    }

    /// The exact state a sweep of one shard must start from and end in.
    public struct ShardExpectation: Sendable, Equatable {
        /// The shard's name on the ring ("0", "1", …).
        public var name: String
        /// Rows in `embeddings` before the sweep.
        public var rows: Int64
        /// Rows the sweep deletes (its dry run's `stale_rows`).
        public var staleRows: Int64
        /// Stale rows that have a `seeder_texts` row: what `--reseed` queues.
        public var staleWithTexts: Int64
        /// Rows in `seeder_texts` before and after the sweep.
        public var texts: Int64
        public var textsAfterSweep: Int64
        /// Rows per model, version and tenant before the sweep (every group, stale ones included).
        public var rowsByGroup: [RowGroup: Int64]

        /// Rows per group once the stale ones are gone.
        public var remainingByGroup: [RowGroup: Int64] {
            rowsByGroup.filter { group, _ in !Kind.allCases.contains { $0.isStale && $0.group == group } }
        }
    }

    /// What ``write(paths:)`` wrote: per shard, the counts a sweep must match exactly.
    public struct Expectation: Sendable, Equatable {
        public var shards: [ShardExpectation]
        public var staleRows: Int64 { shards.reduce(0) { $0 + $1.staleRows } }
        public var rows: Int64 { shards.reduce(0) { $0 + $1.rows } }
    }

    /// The swept model (minilm-l6's canonical id), its stale and current versions, and the swept tenant.
    public static let model = "sentence-transformers/all-MiniLM-L6-v2"
    public static let staleVersion = "0"
    public static let currentVersion = "1"
    public static let tenant = "public"
    public static let dimensions = 16

    public let rows: Int
    public let seed: UInt64
    public let mix: Mix
    /// Shard names, in job order ("0", "1", …: a job's default names), and the ring over them.
    public let shardNames: [String]
    public let ring: ShardRing
    /// The upper ends of each kind's slice of [0, sum of the fractions), in `Kind.allCases` order.
    private let edges: [Double]
    /// Rows per insert transaction.
    public var transactionRows = 20_000

    public init(rows: Int, shards: Int, seed: UInt64 = 42, mix: Mix = Mix()) throws {
        precondition(rows >= 0 && shards > 0)
        self.rows = rows
        self.seed = seed
        self.mix = mix
        shardNames = (0..<shards).map(String.init)
        ring = try ShardRing(shardNames: shardNames)
        let widths = [mix.stale / 2, mix.stale / 2, mix.current, mix.otherModel, mix.otherTenant, mix.similarName]
        edges = widths.indices.map { widths[...$0].reduce(0, +) }
    }

    private static let sources = ["wikipedia-abstracts", "wiktionary", "devdocs", "csv"]
    private static let categories = ["article", "noun", "verb", "api", "guide", "adverb"]

    /// Row `i`: a function of the seed and `i` only.
    public func row(_ i: Int) -> Row {
        var rng = SplitMix64(seed: seed ^ (UInt64(i) &* 0xD134_2543_DE82_EF95))
        let hash = TextHash(words: rng.next(), rng.next(), rng.next(), rng.next())
        let u = Self.unit(&rng) * edges.last!
        let kind = Kind.allCases[edges.firstIndex { u < $0 } ?? Kind.allCases.count - 1]
        let hasText = Self.unit(&rng) < mix.withTexts
        // Most rows were never hit; the others Zipf-ish (a few very hot).
        var hits: Int64 = 0
        if Self.unit(&rng) < 0.3 { hits = Int64(min(1_000_000, pow(1 / max(Self.unit(&rng), 1e-9), 1.2))) }
        return Row(index: i, hash: hash, kind: kind, shard: ring.shard(for: hash), hasText: hasText, hitCount: hits)
    }

    /// A key that is none of the generated rows' (`n`-th of its kind), for a writer inserting new rows.
    public func freshHash(_ n: Int) -> TextHash {
        var rng = SplitMix64(seed: ~seed ^ (UInt64(n) &* 0x9FB2_1C65_1E98_DF25))
        return TextHash(words: rng.next(), rng.next(), rng.next(), rng.next())
    }

    /// A small vector for row `i` (16 float32, little-endian).
    public static func vector(_ hash: TextHash) -> [UInt8] {
        var rng = SplitMix64(seed: hash.w1)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(dimensions * 4)
        for _ in 0..<dimensions {
            let bits = Float(Self.unit(&rng) * 2 - 1).bitPattern.littleEndian
            withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// Writes every row into `paths` (one file per shard name, created or emptied first), each shard on its own
    /// thread, in transactions of ``transactionRows`` rows; leaves each file with an empty write-ahead log.
    public func write(paths: [String]) throws -> Expectation {
        precondition(paths.count == shardNames.count, "one path per shard")
        let results = ResultBox(count: paths.count)
        DispatchQueue.concurrentPerform(iterations: paths.count) { k in
            results.set(k, Result { try writeShard(k, path: paths[k]) })
        }
        return Expectation(shards: try results.values.map { try $0!.get() })
    }

    private func writeShard(_ k: Int, path: String) throws -> ShardExpectation {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let location = ShardLocation(name: shardNames[k], path: path)
        let shard = try SQLiteShard(location: location, durability: .normal)
        let db = shard.db
        // Nothing here needs to survive a crash: a half-written file is written again.
        try db.execute("PRAGMA synchronous = OFF")
        var expected = ShardExpectation(name: shardNames[k], rows: 0, staleRows: 0, staleWithTexts: 0, texts: 0,
                                        textsAfterSweep: 0, rowsByGroup: [:])
        let embedding = try db.cachedStatement("""
            INSERT INTO embeddings (text_hash, model, model_version, tenant_id, dimensions, vector, created_at, last_hit_at, hit_count)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            """)
        let text = try db.cachedStatement("""
            INSERT INTO seeder_texts (text_hash, model, model_version, tenant_id, run_id, chunk_end, source, category,
                                      record_id, title, text, created_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
            """)
        let runID = "sweep-data-\(seed)"
        var inTransaction = 0
        try db.execute("BEGIN")
        for i in 0..<rows {
            let row = row(i)
            guard row.shard == k else { continue }
            let group = row.kind.group, hex = row.hash.hex
            let created = "2026-10-\(String(format: "%02d", 1 + i % 28)) 12:00:00"
            embedding.reset()
            try embedding.bind(hex, at: 1)
            try embedding.bind(group.model, at: 2)
            try embedding.bind(group.version, at: 3)
            try embedding.bind(group.tenant, at: 4)
            try embedding.bind(Int64(Self.dimensions), at: 5)
            try Self.vector(row.hash).withUnsafeBytes { try embedding.bind(borrowedBlob: $0, at: 6) }
            try embedding.bind(created, at: 7)
            if row.hitCount > 0 {
                try embedding.bind("2026-11-\(String(format: "%02d", 1 + Int(row.hitCount % 20))) 08:30:00", at: 8)
            } else {
                try embedding.bindNull(at: 8)
            }
            try embedding.bind(row.hitCount, at: 9)
            try embedding.run()
            expected.rows += 1
            expected.rowsByGroup[group, default: 0] += 1
            if row.kind.isStale { expected.staleRows += 1 }
            if row.hasText {
                text.reset()
                try text.bind(hex, at: 1)
                try text.bind(group.model, at: 2)
                try text.bind(group.version, at: 3)
                try text.bind(group.tenant, at: 4)
                try text.bind(runID, at: 5)
                try text.bind(Int64(i + 1), at: 6)
                try text.bind(Self.sources[i % Self.sources.count], at: 7)
                try text.bind(Self.categories[(i / 7) % Self.categories.count], at: 8)
                try text.bind(String(i), at: 9)
                try text.bind("Title \(i)", at: 10)
                try text.bind("The text of generated row \(i), seeded for a sweep benchmark.", at: 11)
                try text.bind(created, at: 12)
                try text.run()
                expected.texts += 1
                if row.kind.isStale { expected.staleWithTexts += 1 } else { expected.textsAfterSweep += 1 }
            }
            inTransaction += 1
            if inTransaction >= transactionRows {
                try db.execute("COMMIT; BEGIN")
                inTransaction = 0
            }
        }
        try db.execute("COMMIT")
        try db.execute("PRAGMA synchronous = NORMAL")
        try shard.checkpointWAL()
        return expected
    }

    /// A uniform double in [0, 1).
    static func unit(_ rng: inout SplitMix64) -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
}

/// Per-shard results of the concurrent writes, each slot set once.
/// What a sweep left in shard files, read through read-only connections (a sweep may still be running): what
/// `seeder bench sweep` and the sweep's kill test compare.
extension SweepDataGenerator {
    /// Stale rows deleted so far over every shard, from the sweeps' cursors.
    public static func deletedSoFar(_ paths: [String]) throws -> Int64 {
        try paths.reduce(0) { total, path in
            let db = try SQLiteConnection(path: path, readOnly: true)
            let statement = try db.cachedStatement("SELECT coalesce(sum(deleted), 0) FROM seeder_sweeps")
            _ = try statement.step()
            return total + statement.int64(at: 0)
        }
    }

    /// Rows of one of seeder's tables in a shard file.
    public static func count(_ table: String, in path: String) throws -> Int64 {
        let db = try SQLiteConnection(path: path, readOnly: true)
        let statement = try db.cachedStatement("SELECT count(*) FROM \(table)")
        _ = try statement.step()
        return statement.int64(at: 0)
    }

    /// `embeddings` rows of a shard file per model, version and tenant.
    public static func rowsByGroup(in path: String) throws -> [RowGroup: Int64] {
        let db = try SQLiteConnection(path: path, readOnly: true)
        let statement = try db.cachedStatement("SELECT model, model_version, tenant_id, count(*) FROM embeddings GROUP BY 1, 2, 3")
        var out: [RowGroup: Int64] = [:]
        while try statement.step() {
            out[RowGroup(model: statement.string(at: 0) ?? "", version: statement.string(at: 1) ?? "",
                         tenant: statement.string(at: 2) ?? "")] = statement.int64(at: 3)
        }
        return out
    }
}

private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<SweepDataGenerator.ShardExpectation, Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Result<SweepDataGenerator.ShardExpectation, Error>) { lock.withLock { slots[index] = value } }

    var values: [Result<SweepDataGenerator.ShardExpectation, Error>?] { lock.withLock { slots } }
}
