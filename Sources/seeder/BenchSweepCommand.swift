import ArgumentParser
import Foundation
import SeederCore

extension BenchCommand {
    /// `seeder bench sweep`: what a model-version sweep costs the cache serving from the same SQLite shards, and
    /// whether a sweep killed with SIGKILL and started again ends where an uninterrupted one does.
    struct Sweep: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Model-version sweeps: cache reads/writes waiting during `seeder sweep` against a baseline, and kill -9 then rerun against an uninterrupted sweep.",
            discussion: """
                Generates --rows rows (SweepDataGenerator: 55% stale minilm rows, the rest current, another model, \
                another tenant or a look-alike model id) over --shards SQLite shards, then (1) runs a reader (primary-key \
                lookups) and a writer (INSERT / hit-count UPDATE transactions) on their own connections, first alone \
                for --baseline-seconds, then while `seeder sweep JOB --model minilm-l6` runs as a child process, timing \
                every operation; and checks the rows left are exactly the expected ones. (2) Generates the same rows \
                twice, sweeps one copy uninterrupted and the other killed with SIGKILL at --kill-at of its stale rows \
                then run again (both with --reseed), and compares the shards' digests, seeder_texts and seeder_reseed \
                rows. Prints one JSON object; exits nonzero when counts or states differ. See BENCHMARKS.md.
                """)
        @Option(help: "Rows to generate.") var rows = 1_000_000
        @Option(help: "SQLite shards.") var shards = 4
        @Option(help: "Work folder (emptied first).") var workDir = "/tmp/seeder-bench-sweep"
        @Option(help: "Rows per sweep batch (`seeder sweep --batch`).") var batch = 1_000
        @Option(name: .customLong("baseline-seconds"), help: "Seconds of load before the sweep starts (the baseline).") var baselineSeconds = 5.0
        @Option(name: .customLong("kill-at"), help: "Fraction of the stale rows deleted when the sweep is killed.") var killAt = 0.3
        @Option(help: "Seed of the generator.") var seed: UInt64 = 42
        @Option(name: .customLong("cache-wal-autocheckpoint"),
                help: "PRAGMA wal_autocheckpoint of the reader's and writer's connections (SQLite's default: 1000 pages; 0: off).")
        var cacheWALAutocheckpoint = 1_000

        func validate() throws {
            guard rows > 0, shards > 0, batch > 0, baselineSeconds > 0 else {
                throw ValidationError("--rows, --shards, --batch and --baseline-seconds must be positive")
            }
            guard killAt > 0, killAt < 1 else { throw ValidationError("--kill-at must be between 0 and 1") }
        }

        func run() throws {
            do {
                let bench = SweepBenchmark(rows: rows, shards: shards, workDir: workDir, batch: batch,
                                           baselineSeconds: baselineSeconds, killAt: killAt, seed: seed,
                                           cacheWALAutocheckpoint: cacheWALAutocheckpoint, seeder: try selfPath())
                let (report, passed) = try bench.run()
                let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                if !passed { throw ExitCode.failure }
            } catch let e as ExitCode { throw e } catch {
                FileHandle.standardError.write(Data("seeder: error: bench sweep: \(error)\n".utf8))
                throw ExitCode.failure
            }
        }
    }
}

/// The two parts of `seeder bench sweep`, each on freshly generated shards under `workDir`.
private struct SweepBenchmark {
    let rows: Int, shards: Int, workDir: String, batch: Int, baselineSeconds: Double, killAt: Double, seed: UInt64
    let cacheWALAutocheckpoint: Int
    /// The seeder executable: this one.
    let seeder: String

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// The report, and whether every count was exact and both kill -9 states equal.
    func run() throws -> ([String: Any], Bool) {
        try? FileManager.default.removeItem(atPath: workDir)
        let generator = try SweepDataGenerator(rows: rows, shards: shards, seed: seed)
        let (concurrent, countsExact) = try concurrentLoad(generator)
        let (kill, sameState) = try killAndRerun(generator)
        try? FileManager.default.removeItem(atPath: workDir)
        let report: [String: Any] = [
            "benchmark": "sweep", "rows": rows, "cache_wal_autocheckpoint": cacheWALAutocheckpoint, "shards": shards, "batch": batch, "seed": seed,
            "cores": ProcessInfo.processInfo.activeProcessorCount,
            "concurrent_load": concurrent, "kill_and_rerun": kill,
            "counts_exact": countsExact, "same_state": sameState,
        ]
        return (report, countsExact && sameState)
    }

    // MARK: Part 1: the cache's reads and writes during a sweep

    private func concurrentLoad(_ generator: SweepDataGenerator) throws -> ([String: Any], Bool) {
        let (job, paths, expected, generateSeconds) = try prepare(generator, folder: "load")
        let load = CacheLoad(generator: generator, paths: paths, walAutocheckpoint: cacheWALAutocheckpoint)
        let baseline = try load.run { Thread.sleep(forTimeInterval: baselineSeconds) }
        var sweepResult: SweepChild.Exit?
        let during = try load.run {
            sweepResult = try SweepChild.runToEnd([seeder, "sweep", job, "--model", "minilm-l6", "--json", "--batch", String(batch)],
                                                  stdoutPath: "\(workDir)/load/sweep.json")
        }
        guard let sweep = sweepResult, sweep.status == 0 else {
            throw Failure("seeder sweep exited \(sweepResult?.status ?? -1) under load (see \(workDir)/load)")
        }
        let output = try SweepOutput(path: "\(workDir)/load/sweep.json")

        // Exact counts: every stale row deleted and nothing else; the writer's rows are current-version rows.
        var mismatches: [String] = []
        for (k, shard) in expected.shards.enumerated() {
            let deleted = output.deleted[shard.name] ?? -1
            if deleted != shard.staleRows { mismatches.append("shard \(shard.name): deleted \(deleted), expected \(shard.staleRows)") }
            var want = shard.remainingByGroup
            want[SweepDataGenerator.Kind.current.group, default: 0] += baseline.inserted[k] + during.inserted[k]
            let have = try Self.rowsByGroup(paths[k])
            if have != want { mismatches.append("shard \(shard.name): rows by group \(Self.describe(have)), expected \(Self.describe(want))") }
            let texts = try Self.count("seeder_texts", paths[k])
            if texts != shard.textsAfterSweep { mismatches.append("shard \(shard.name): \(texts) seeder_texts rows, expected \(shard.textsAfterSweep)") }
        }
        let deleted = output.deleted.values.reduce(0, +)
        let figures: [String: Any] = [
            "generate_seconds": round3(generateSeconds),
            "baseline": baseline.json(seconds: baselineSeconds),
            "during_sweep": during.json(seconds: sweep.wallSeconds),
            "sweep": [
                "wall_seconds": round3(sweep.wallSeconds), "rows_deleted": deleted,
                "rows_per_second": Int(Double(deleted) / sweep.wallSeconds),
                "batches": output.batches.values.reduce(0, +), "longest_batch_ms": output.longestBatchMS.values.max() ?? 0,
            ] as [String: Any],
            "expected_stale_rows": expected.staleRows, "rows_inserted_by_writer": baseline.inserted.reduce(0, +) + during.inserted.reduce(0, +),
            "counts_exact": mismatches.isEmpty, "mismatches": mismatches,
        ]
        return (figures, mismatches.isEmpty)
    }

    // MARK: Part 2: kill -9 and rerun against an uninterrupted sweep

    private func killAndRerun(_ generator: SweepDataGenerator) throws -> ([String: Any], Bool) {
        let (jobA, pathsA, expectedA, _) = try prepare(generator, folder: "uninterrupted")
        let (jobB, pathsB, expectedB, _) = try prepare(generator, folder: "killed")
        guard expectedA == expectedB else { throw Failure("the same seed generated different rows") }
        func arguments(_ job: String) -> [String] {
            [seeder, "sweep", job, "--model", "minilm-l6", "--reseed", "--json", "--batch", String(batch)]
        }
        let a = try SweepChild.runToEnd(arguments(jobA), stdoutPath: "\(workDir)/uninterrupted/sweep.json")
        guard a.status == 0 else { throw Failure("the uninterrupted sweep exited \(a.status)") }

        // Killed once the cursors say `killAt` of the stale rows are gone.
        let target = Int64(Double(expectedB.staleRows) * killAt)
        let child = try SweepChild.start(arguments(jobB), stdoutPath: "\(workDir)/killed/sweep-1.json")
        var exitedByItself: Int32?
        while true {
            if let status = child.exitStatus() { exitedByItself = status; break }
            if try Self.sweptSoFar(pathsB) >= target { break }
            usleep(20_000)
        }
        if exitedByItself == nil {
            kill(child.pid, SIGKILL)
            _ = child.wait()
        }
        let deletedAtKill = try Self.sweptSoFar(pathsB)
        let rerun = try SweepChild.runToEnd(arguments(jobB), stdoutPath: "\(workDir)/killed/sweep-2.json")
        guard rerun.status == 0 else { throw Failure("the sweep run again after kill -9 exited \(rerun.status)") }
        let output = try SweepOutput(path: "\(workDir)/killed/sweep-2.json")

        var same = true
        var perShard: [[String: Any]] = []
        for (k, shard) in expectedA.shards.enumerated() {
            let (rowsA, digestA) = try SQLiteShard(location: ShardLocation(name: shard.name, path: pathsA[k]), durability: .normal, readOnly: true).digest()
            let (rowsB, digestB) = try SQLiteShard(location: ShardLocation(name: shard.name, path: pathsB[k]), durability: .normal, readOnly: true).digest()
            let texts = (try Self.count("seeder_texts", pathsA[k]), try Self.count("seeder_texts", pathsB[k]))
            let reseed = (try Self.count("seeder_reseed", pathsA[k]), try Self.count("seeder_reseed", pathsB[k]))
            let exact = Int64(rowsA) == shard.rows - shard.staleRows && texts.0 == shard.textsAfterSweep && reseed.0 == shard.staleWithTexts
            let equal = digestA == digestB && rowsA == rowsB && texts.0 == texts.1 && reseed.0 == reseed.1
            same = same && equal && exact
            perShard.append(["shard": shard.name, "rows": [rowsA, rowsB], "digest_equal": digestA == digestB,
                             "seeder_texts": [texts.0, texts.1], "seeder_reseed": [reseed.0, reseed.1], "counts_exact": exact])
        }
        let figures: [String: Any] = [
            "expected_stale_rows": expectedB.staleRows, "deleted_when_killed": deletedAtKill,
            "killed_mid_sweep": exitedByItself == nil && deletedAtKill < expectedB.staleRows,
            "uninterrupted_seconds": round3(a.wallSeconds), "rerun_seconds": round3(rerun.wallSeconds),
            // Shards that had finished before the kill start a new sweep that finds nothing: not resumed.
            "resumed": output.resumed.values.contains(true), "resumed_shards": output.resumed.values.filter { $0 }.count,
            "same_state": same, "shards_compared": perShard,
        ]
        return (figures, same && exitedByItself == nil)
    }

    // MARK: Shared

    /// Generates the rows into `workDir/folder` and writes a job over those shards.
    private func prepare(_ generator: SweepDataGenerator, folder: String) throws
        -> (job: String, paths: [String], expected: SweepDataGenerator.Expectation, seconds: Double) {
        let dir = "\(workDir)/\(folder)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let paths = (0..<shards).map { "\(dir)/shard-\($0).sqlite" }
        let started = ContinuousClock.now
        let expected = try generator.write(paths: paths)
        let seconds = (ContinuousClock.now - started).seconds
        // The job is only read for its shards: the source is never opened.
        let job = "\(dir)/job.toml"
        try """
            description = "seeder bench sweep"
            [source]
            kind = "wikipedia-abstracts"
            input = "\(dir)/unused.xml"
            [model]
            name = "minilm-l6"
            [provider]
            kind = "hash"
            [store]
            shards = [\(paths.map { "\"\($0)\"" }.joined(separator: ", "))]
            durability = "normal"
            """.write(toFile: job, atomically: true, encoding: .utf8)
        return (job, paths, expected, seconds)
    }

    /// Stale rows deleted so far over every shard, from the sweeps' cursors (read-only: the sweep may be running).
    static func sweptSoFar(_ paths: [String]) throws -> Int64 {
        try paths.reduce(0) { total, path in
            let db = try SQLiteConnection(path: path, readOnly: true)
            let statement = try db.cachedStatement("SELECT coalesce(sum(deleted), 0) FROM seeder_sweeps")
            _ = try statement.step()
            return total + statement.int64(at: 0)
        }
    }

    static func count(_ table: String, _ path: String) throws -> Int64 {
        let db = try SQLiteConnection(path: path, readOnly: true)
        let statement = try db.cachedStatement("SELECT count(*) FROM \(table)")
        _ = try statement.step()
        return statement.int64(at: 0)
    }

    static func rowsByGroup(_ path: String) throws -> [SweepDataGenerator.RowGroup: Int64] {
        let db = try SQLiteConnection(path: path, readOnly: true)
        let statement = try db.cachedStatement("SELECT model, model_version, tenant_id, count(*) FROM embeddings GROUP BY 1, 2, 3")
        var out: [SweepDataGenerator.RowGroup: Int64] = [:]
        while try statement.step() {
            out[SweepDataGenerator.RowGroup(model: statement.string(at: 0) ?? "", version: statement.string(at: 1) ?? "",
                                            tenant: statement.string(at: 2) ?? "")] = statement.int64(at: 3)
        }
        return out
    }

    static func describe(_ groups: [SweepDataGenerator.RowGroup: Int64]) -> String {
        groups.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }
}

/// What `seeder sweep --json` printed, per shard.
private struct SweepOutput {
    var deleted: [String: Int64] = [:]
    var batches: [String: Int64] = [:]
    var longestBatchMS: [String: Double] = [:]
    var resumed: [String: Bool] = [:]

    init(path: String) throws {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        for shard in object?["shards"] as? [[String: Any]] ?? [] {
            guard let name = shard["shard"] as? String else { continue }
            deleted[name] = (shard["deleted"] as? NSNumber)?.int64Value
            batches[name] = (shard["batches"] as? NSNumber)?.int64Value
            longestBatchMS[name] = (shard["longest_batch_ms"] as? NSNumber)?.doubleValue
            resumed[name] = (shard["resumed"] as? NSNumber)?.boolValue
        }
    }
}

/// A `seeder sweep` child process (posix_spawn), which can be polled and killed: ``ChildProcess`` only runs to the end.
private struct SweepChild {
    let pid: pid_t
    let started: ContinuousClock.Instant

    struct Exit {
        var status: Int32
        var wallSeconds: Double
    }

    static func start(_ arguments: [String], stdoutPath: String) throws -> SweepChild {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let env = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let started = ContinuousClock.now
        let rc = posix_spawn(&pid, arguments[0], &fileActions, nil, &argv, &envp)
        guard rc == 0 else { throw SweepBenchmark.Failure("cannot start \(arguments[0]): \(String(cString: strerror(rc)))") }
        return SweepChild(pid: pid, started: started)
    }

    /// Starts the command and waits for it; the caller's thread blocks.
    static func runToEnd(_ arguments: [String], stdoutPath: String) throws -> Exit {
        let child = try start(arguments, stdoutPath: stdoutPath)
        return Exit(status: child.wait(), wallSeconds: (ContinuousClock.now - child.started).seconds)
    }

    /// The exit status (128 + signal when killed) once the child has ended, nil while it runs.
    func exitStatus() -> Int32? {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        return Self.decode(status)
    }

    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return Self.decode(status)
    }

    static func decode(_ status: Int32) -> Int32 { (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f) }
}

/// The cache's side: a reader and a writer thread, each with its own connection to every shard (WAL, busy timeout
/// 10 s, as the cache server opens them), round-robin over the shards, timing every lookup and every write
/// transaction, busy waiting included.
private final class CacheLoad: @unchecked Sendable {
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
private final class LoadThread: @unchecked Sendable {
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
