import Foundation
import SeederCore

/// The cache's side: a reader and a writer thread, each with its own connection to every shard (WAL, busy timeout
/// 10 s, as the cache server opens them), round-robin over the shards, timing every lookup and every write
/// transaction, busy waiting included.
final class CacheLoad: @unchecked Sendable {
    let generator: SweepDataGenerator
    let paths: [String]
    let walAutocheckpoint: Int
    private let lock = NSLock()
    private var stopping = false
    /// Keys the writer has used so far (fresh keys are numbered across runs, so no insert repeats one).
    private var freshKeys = 0

    init(generator: SweepDataGenerator, paths: [String], walAutocheckpoint: Int) {
        self.generator = generator
        self.paths = paths
        self.walAutocheckpoint = walAutocheckpoint
    }

    /// One run's figures.
    struct Figures {
        var reads = Latencies()
        var writes = Latencies()
        /// Of each write: the wait for the write lock (`BEGIN IMMEDIATE`) and the `COMMIT` (which may run an
        /// automatic WAL checkpoint), to tell where a slow write spent its time.
        var writeLockWaits = Latencies()
        var commits = Latencies()
        var inserts = 0, updates = 0, readHits = 0
        /// Rows the writer inserted, per shard.
        var inserted: [Int64]

        func json(seconds: Double) -> [String: Any] {
            ["seconds": round3(seconds), "reads": reads.json(seconds: seconds), "writes": writes.json(seconds: seconds),
             "write_lock_waits": writeLockWaits.json(seconds: seconds), "write_commits": commits.json(seconds: seconds),
             "read_hits": readHits, "inserts": inserts, "updates": updates]
        }
    }

    /// Latencies in nanoseconds, and errors (a statement that gave up: busy past the 10 s timeout).
    struct Latencies {
        var nanoseconds: [UInt64] = []
        var errors = 0

        func json(seconds: Double) -> [String: Any] {
            let sorted = nanoseconds.sorted()
            func ms(_ q: Double) -> Double {
                sorted.isEmpty ? 0 : round3(Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]) / 1e6)
            }
            return ["ops": sorted.count, "ops_per_second": Int(Double(sorted.count) / seconds), "errors": errors,
                    "p50_ms": ms(0.5), "p99_ms": ms(0.99), "p999_ms": ms(0.999), "max_ms": round3(Double(sorted.last ?? 0) / 1e6),
                    "over_100ms": sorted.reduce(0) { $0 + ($1 > 100_000_000 ? 1 : 0) },
                    "over_50ms": sorted.reduce(0) { $0 + ($1 > 50_000_000 ? 1 : 0) }]
        }
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    /// Runs the reader and the writer while `body` runs, then stops them and returns what they measured.
    func run(while body: () throws -> Void) throws -> Figures {
        lock.withLock { stopping = false }
        let reader = LoadThread { try self.read() }, writer = LoadThread { try self.write() }
        let bodyResult = Result { try body() }
        lock.withLock { stopping = true }
        let reads = try reader.join(), writes = try writer.join()
        try bodyResult.get()
        var out = Figures(inserted: writes.inserted)
        out.reads = reads.reads
        out.readHits = reads.readHits
        out.writes = writes.writes
        out.writeLockWaits = writes.writeLockWaits
        out.commits = writes.commits
        out.inserts = writes.inserts
        out.updates = writes.updates
        return out
    }

    private func connections() throws -> [SQLiteConnection] {
        try paths.map { path in
            let db = try SQLiteConnection(path: path)  // busy_timeout 10 s
            try db.execute("PRAGMA journal_mode = WAL")
            try db.execute("PRAGMA synchronous = NORMAL")
            try db.execute("PRAGMA wal_autocheckpoint = \(walAutocheckpoint)")
            return db
        }
    }

    /// A random generated row that lives on shard `k`.
    private func randomRow(on k: Int, _ rng: inout SplitMix64) -> SweepDataGenerator.Row {
        while true {
            let row = generator.row(Int(rng.next() % UInt64(generator.rows)))
            if row.shard == k { return row }
        }
    }

    private func read() throws -> Figures {
        let dbs = try connections()
        var figures = Figures(inserted: Array(repeating: 0, count: paths.count))
        var rng = SplitMix64(seed: 0x5EED_0001)
        var n = 0
        while !isStopping {
            let k = n % dbs.count
            n += 1
            let key = randomRow(on: k, &rng).key
            let started = DispatchTime.now().uptimeNanoseconds
            do {
                let statement = try dbs[k].cachedStatement("""
                    SELECT vector, hit_count FROM embeddings WHERE text_hash = ?1 AND model = ?2 AND model_version = ?3 AND tenant_id = ?4
                    """)
                try statement.bind(key.textHash, at: 1)
                try statement.bind(key.model, at: 2)
                try statement.bind(key.modelVersion, at: 3)
                try statement.bind(key.tenant, at: 4)
                if try statement.step() {
                    _ = statement.blob(at: 0)
                    figures.readHits += 1
                }
                statement.reset()
                figures.reads.nanoseconds.append(DispatchTime.now().uptimeNanoseconds - started)
            } catch {
                figures.reads.errors += 1
            }
        }
        return figures
    }

    private func write() throws -> Figures {
        let dbs = try connections()
        var figures = Figures(inserted: Array(repeating: 0, count: paths.count))
        var rng = SplitMix64(seed: 0x5EED_0002)
        let current = SweepDataGenerator.Kind.current.group
        var n = 0
        while !isStopping {
            let k = n % dbs.count
            let inserting = (n / dbs.count) % 2 == 0
            n += 1
            let db = dbs[k]
            let key: RowKey
            if inserting {
                var hash: TextHash
                repeat {
                    hash = generator.freshHash(lock.withLock { freshKeys += 1; return freshKeys })
                } while generator.ring.shard(for: hash) != k
                key = RowKey(textHash: hash.hex, model: current.model, modelVersion: current.version, tenant: current.tenant)
            } else {
                key = randomRow(on: k, &rng).key
            }
            let vector = SweepDataGenerator.vector(TextHash(hex: key.textHash)!)
            let started = DispatchTime.now().uptimeNanoseconds
            do {
                try db.execute("BEGIN IMMEDIATE")
                let locked = DispatchTime.now().uptimeNanoseconds
                figures.writeLockWaits.nanoseconds.append(locked - started)
                do {
                    let statement = try db.cachedStatement(inserting ? """
                        INSERT INTO embeddings (text_hash, model, model_version, tenant_id, dimensions, vector)
                        VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                        """ : """
                        UPDATE embeddings SET hit_count = hit_count + 1, last_hit_at = CURRENT_TIMESTAMP
                        WHERE text_hash = ?1 AND model = ?2 AND model_version = ?3 AND tenant_id = ?4
                        """)
                    try statement.bind(key.textHash, at: 1)
                    try statement.bind(key.model, at: 2)
                    try statement.bind(key.modelVersion, at: 3)
                    try statement.bind(key.tenant, at: 4)
                    if inserting {
                        try statement.bind(Int64(SweepDataGenerator.dimensions), at: 5)
                        try vector.withUnsafeBytes { try statement.bind(borrowedBlob: $0, at: 6) }
                    }
                    try statement.run()
                    let changed = db.changes
                    statement.reset()
                    let committing = DispatchTime.now().uptimeNanoseconds
                    try db.execute("COMMIT")
                    figures.commits.nanoseconds.append(DispatchTime.now().uptimeNanoseconds - committing)
                    if inserting { figures.inserts += 1; figures.inserted[k] += Int64(changed) } else { figures.updates += 1 }
                } catch {
                    try? db.execute("ROLLBACK")
                    throw error
                }
                figures.writes.nanoseconds.append(DispatchTime.now().uptimeNanoseconds - started)
            } catch {
                figures.writes.errors += 1
            }
        }
        return figures
    }
}

/// A thread running `body` once; ``join()`` waits for its result.
final class LoadThread: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<CacheLoad.Figures, Error>?  // written by the thread before it signals `done`

    init(_ body: @escaping @Sendable () throws -> CacheLoad.Figures) {
        Thread.detachNewThread {
            self.result = Result { try body() }
            self.done.signal()
        }
    }

    func join() throws -> CacheLoad.Figures {
        done.wait()
        return try result!.get()
    }
}
