import CLibPQ
import Foundation

/// `seeder bench postgres`: rows/s into PostgreSQL shards through ``PostgresShard/write(_:model:tenant:runID:chunkEnd:source:)``,
/// side by side, in one run and one database, with `psql \copy … (FORMAT binary)` of the same rows (the limit: the
/// server's own bulk load, nothing else) and with one autocommitted prepared INSERT per row (what a naive tool does).
///
/// Each load goes into fresh schemas (`bench_seeder_<k>`, `bench_seeder2_<k>`, `bench_copy_<k>`, `bench_naive_<k>`)
/// with the store's own tables (``PostgresSchema/migrate(_:)``), dropped at the end (and at the start, after an
/// interrupted run). A `CHECKPOINT` before each timed load keeps one load's dirty pages off the next one's clock.
/// Every load's row counts are checked afterwards: a load that stored nothing fails the benchmark.
public struct PostgresWriteBenchmark: Sendable {
    public var dsn: String
    public var rows: Int
    public var dimensions: Int
    public var shards: Int
    public var chunk: Int
    public var naiveRows: Int
    public var psql: String
    public var workDirectory: String

    public init(dsn: String, rows: Int, dimensions: Int, shards: Int, chunk: Int, naiveRows: Int, psql: String, workDirectory: String) {
        self.dsn = dsn
        self.rows = rows
        self.dimensions = dimensions
        self.shards = shards
        self.chunk = chunk
        self.naiveRows = naiveRows
        self.psql = psql
        self.workDirectory = workDirectory
    }

    /// Whether a DSN carries a password (in its user info or a `password=` parameter).
    public static func dsnHasPassword(_ dsn: String) -> Bool { PostgresConnection.password(in: dsn) != nil }

    static let model = StoredModel(model: "seeder-bench|not-a-real-model", version: "bench-1", dimensions: 0)
    static let tenant = "bench"
    static let columns = "text_hash, model, model_version, dimensions, vector, tenant_id"

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// The rows, generated once: keys, vectors (row-major), each row's shard; and per chunk, per shard, a batch.
    struct Rows {
        var hashes: [TextHash]
        var vectors: [Float]
        var owner: [Int]
        var chunks: [[ShardBatch]]
        var perShard: [Int]
    }

    func makeRows() throws -> Rows {
        let ring = try ShardRing(shardNames: (0..<shards).map(String.init))
        let hashes = (0..<rows).map { TextHash(normalized: "bench \($0)") }
        let vectors = HashEmbeddingProvider.vectors(for: hashes, dimensions: dimensions).values
        let owner = hashes.map { ring.shard(for: $0) }
        var perShard = [Int](repeating: 0, count: shards)
        var chunks: [[ShardBatch]] = []
        vectors.withUnsafeBufferPointer { all in
            for start in stride(from: 0, to: rows, by: chunk) {
                var batches = [ShardBatch](repeating: ShardBatch(dimensions: dimensions), count: shards)
                for i in start..<min(start + chunk, rows) {
                    let text = SeededText(source: "bench", category: "bench", recordID: String(i), title: "Bench \(i)", text: "bench \(i)")
                    batches[owner[i]].append(hash: hashes[i], vector: UnsafeBufferPointer(rebasing: all[(i * dimensions)..<((i + 1) * dimensions)]),
                                             text: text)
                    perShard[owner[i]] += 1
                }
                chunks.append(batches)
            }
        }
        return Rows(hashes: hashes, vectors: vectors, owner: owner, chunks: chunks, perShard: perShard)
    }

    /// The DSN with seeder's `schema=` parameter added.
    func dsn(schema: String) -> String {
        dsn + (dsn.contains("?") ? "&" : "?") + "schema=" + schema
    }

    var storedModel: StoredModel { StoredModel(model: Self.model.model, version: Self.model.version, dimensions: dimensions) }

    public func run() async throws -> [String: Any] {
        let control = try PostgresConnection(dsn: dsn, applicationName: "seeder bench postgres")
        try control.execute("SET client_min_messages = warning")  // no NOTICE per dropped table on stderr
        let prefixes = ["bench_seeder_", "bench_seederb_", "bench_seeder2_", "bench_seeder2b_", "bench_staging_", "bench_copy_", "bench_naive_"]
        func dropAll() throws {
            for prefix in prefixes {
                for k in 0..<shards { try control.execute("DROP SCHEMA IF EXISTS \(prefix)\(k) CASCADE") }
            }
        }
        try dropAll()
        defer { try? dropAll() }

        var settings: [String: String] = [:]
        for name in ["server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_level", "shared_buffers", "max_wal_size",
                     "checkpoint_timeout"] {
            settings[name] = try control.execute("SHOW \(name)").string(0, 0) ?? ""
        }
        var checkpointWorks = true
        func checkpoint() {
            guard checkpointWorks else { return }
            do { try control.execute("CHECKPOINT") } catch { checkpointWorks = false }
        }

        let generated = ContinuousClock.now
        let data = try makeRows()
        let generateSeconds = Self.seconds(since: generated)

        // Loads, one after another, each checked. \copy first: it is the yardstick the others are divided by.
        checkpoint()
        let copy = try copyLoad(data, control: control)
        try verify(control, prefix: "bench_copy_", expected: data.perShard, texts: false)

        // seeder and its two-in-flight variant in A B B A order, each the mean of its two loads: the load right after
        // another pays for some of its predecessor's background work (checkpoint, autovacuum), and a fixed order
        // would hand that cost to one variant every time.
        func load(_ prefix: String, inFlight: Int) async throws -> Double {
            checkpoint()
            let seconds = try await seederLoad(data, prefix: prefix, inFlight: inFlight)
            try verify(control, prefix: prefix, expected: data.perShard, texts: true)
            return seconds
        }
        let seederA = try await load("bench_seeder_", inFlight: 1)
        let seeder2A = try await load("bench_seeder2_", inFlight: 2)
        let seeder2B = try await load("bench_seeder2b_", inFlight: 2)
        let seederB = try await load("bench_seederb_", inFlight: 1)
        let seeder = (seederA + seederB) / 2, seeder2 = (seeder2A + seeder2B) / 2

        checkpoint()
        let staging = try await seederLoad(data, prefix: "bench_staging_", inFlight: 1, copiesDirectly: false)
        try verify(control, prefix: "bench_staging_", expected: data.perShard, texts: true)

        checkpoint()
        let naiveCount = min(naiveRows, rows)
        let naive = try naiveLoad(data, rows: naiveCount)
        var naiveExpected = [Int](repeating: 0, count: shards)
        for i in 0..<naiveCount { naiveExpected[data.owner[i]] += 1 }
        try verify(control, prefix: "bench_naive_", expected: naiveExpected, texts: false)

        let copyRate = Double(rows) / copy.seconds
        func figures(_ rows: Int, _ seconds: Double, ratio: Bool = true) -> [String: Any] {
            var out: [String: Any] = ["rows": rows, "seconds": Self.round3(seconds), "rows_per_second": Int((Double(rows) / seconds).rounded())]
            if ratio { out["ratio_to_copy"] = Self.round3(Double(rows) / seconds / copyRate) }
            return out
        }
        var seederFigures = figures(rows, seeder)
        seederFigures["schemas"] = "bench_seeder_<k> and bench_seederb_<k> (mean of the two loads, A B B A with the next): what seeder run does — one PostgresShard (one writer connection) per shard, "
            + "the shards' writes of a chunk in parallel"
        seederFigures["loads_seconds"] = [Self.round3(seederA), Self.round3(seederB)]
        var seeder2Figures = figures(rows, seeder2)
        seeder2Figures["loads_seconds"] = [Self.round3(seeder2A), Self.round3(seeder2B)]
        seeder2Figures["schemas"] = "bench_seeder2_<k> and bench_seeder2b_<k> (mean of the two loads), two PostgresShards per shard taking alternate chunks: two transactions in "
            + "flight per shard (what seeder would do if it measured faster)"
        var stagingFigures = figures(rows, staging)
        stagingFigures["schemas"] = "bench_staging_<k>, as seeder (one in flight) but every chunk the careful way: COPY into a temp "
            + "staging table, INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING, seeder_texts from the returned keys (the way a "
            + "chunk goes when a key is already there; before issue 4's benchmark, the only way)"
        var copyFigures = figures(rows, copy.seconds, ratio: false)
        copyFigures["input_bytes"] = copy.bytes
        copyFigures["schemas"] = "bench_copy_<k>, one psql process per shard, started together"
        var naiveFigures = figures(naiveCount, naive)
        naiveFigures["schemas"] = "bench_naive_<k>, one connection, a prepared INSERT per row, autocommit"
        let seederRatio = Double(rows) / seeder / copyRate
        return [
            "benchmark": "postgres", "dsn": ShardLocation.redacting(dsn), "rows": rows, "dimensions": dimensions, "shards": shards,
            "chunk": chunk, "rows_per_shard": data.perShard, "cores": ProcessInfo.processInfo.activeProcessorCount,
            "server": settings, "checkpoint_before_each_load": checkpointWorks,
            "generate_seconds_untimed": Self.round3(generateSeconds),
            "copy": copyFigures, "seeder": seederFigures, "seeder_two_in_flight": seeder2Figures,
            "seeder_staging_path": stagingFigures, "naive": naiveFigures,
            "target": ["ratio_to_copy": ">= 0.70", "seeder_ratio": Self.round3(seederRatio), "met": seederRatio >= 0.70],
            "note": "seeder's rate includes writing a seeder_texts row (and its two indexes) for each embedding, which \\copy doesn't; "
                + "each figure is the wall time of the whole load, all shards in parallel, connections opened before the clock starts "
                + "(psql's own start and connect are inside its time)",
        ]
    }

    // MARK: seeder

    /// Every chunk through `PostgresShard.write`, the shards of a chunk in parallel; with `inFlight` 2, two shard
    /// instances per shard take alternate chunks and the next chunk starts when the one before the previous ends.
    func seederLoad(_ data: Rows, prefix: String, inFlight: Int, copiesDirectly: Bool = true) async throws -> Double {
        var instances: [[PostgresShard]] = []
        for lane in 0..<inFlight {
            instances.append(try (0..<shards).map { k in
                try PostgresShard(location: ShardLocation(name: String(k), path: dsn(schema: "\(prefix)\(k)")),
                                  applicationName: "seeder bench \(prefix)\(k)#\(lane)", giveUpAfter: .seconds(60), copiesDirectly: copiesDirectly)
            })
        }
        let model = storedModel
        let chunk = self.chunk, rows = self.rows
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            for (c, batches) in data.chunks.enumerated() {
                if running == inFlight {
                    _ = try await group.next()
                    running -= 1
                }
                let lane = instances[c % inFlight]
                let chunkEnd = Int64(min((c + 1) * chunk, rows))
                group.addTask {
                    try await withThrowingTaskGroup(of: Int.self) { shardsGroup in
                        for (k, batch) in batches.enumerated() where batch.count > 0 {
                            shardsGroup.addTask {
                                try await lane[k].write(batch, model: model, tenant: Self.tenant, runID: "bench", chunkEnd: chunkEnd, source: "bench")
                            }
                        }
                        var inserted = 0
                        for try await n in shardsGroup { inserted += n }
                        guard inserted == batches.reduce(0, { $0 + $1.count }) else {
                            throw Failure("chunk \(c): seeder inserted \(inserted) rows of \(batches.reduce(0, { $0 + $1.count }))")
                        }
                    }
                }
                running += 1
            }
            try await group.waitForAll()
        }
        let seconds = Self.seconds(since: start)
        for lane in instances { for shard in lane { await shard.close() } }
        return seconds
    }

    // MARK: \copy

    /// One binary COPY file per shard (not timed), the store's tables in `bench_copy_<k>`, then one `psql \copy` per
    /// shard, all started together; the time is from the first start to the last exit.
    func copyLoad(_ data: Rows, control: PostgresConnection) throws -> (seconds: Double, bytes: Int) {
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: workDirectory) }
        let rowBytes = dimensions * MemoryLayout<Float>.size
        var encoders = (0..<shards).map { k in BinaryCopyEncoder(capacity: data.perShard[k] * (rowBytes + 200)) }
        let model = storedModel
        data.vectors.withUnsafeBytes { raw in
            for i in 0..<rows {
                let k = data.owner[i]
                encoders[k].beginTuple(fields: 6)
                encoders[k].text(data.hashes[i].hex)
                encoders[k].text(model.model)
                encoders[k].text(model.version)
                encoders[k].int4(Int32(dimensions))
                encoders[k].bytea(UnsafeRawBufferPointer(rebasing: raw[(i * rowBytes)..<((i + 1) * rowBytes)]))
                encoders[k].text(Self.tenant)
            }
        }
        var files: [String] = []
        var bytes = 0
        for k in 0..<shards {
            let path = "\(workDirectory)/shard-\(k).copy"
            let content = encoders[k].finish()
            bytes += content.count
            guard FileManager.default.createFile(atPath: path, contents: Data(content)) else { throw Failure("cannot write \(path)") }
            files.append(path)
            let setup = try PostgresConnection(dsn: dsn(schema: "bench_copy_\(k)"), applicationName: "seeder bench copy setup")
            try PostgresSchema.migrate(setup)
        }
        encoders = []
        // psql gets the DSN as its first argument (no password in it: PGPASSWORD or .pgpass), reads the file itself.
        let commands = (0..<shards).map { k in
            [psql, dsn, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
             "\\copy bench_copy_\(k).embeddings (\(Self.columns)) FROM '\(files[k])' (FORMAT binary)"]
        }
        let start = ContinuousClock.now
        let results = try Self.runTogether(commands, logDirectory: workDirectory)
        let seconds = Self.seconds(since: start)
        for (k, result) in results.enumerated() where result.status != 0 {
            throw Failure("psql \\copy into bench_copy_\(k) exited \(result.status): \(ShardLocation.redacting(result.output))")
        }
        return (seconds, bytes)
    }

    /// Starts every command at once (posix_spawn), then waits for all; each one's exit status and output.
    static func runTogether(_ commands: [[String]], logDirectory: String) throws -> [(status: Int32, output: String)] {
        var pids: [pid_t] = []
        var logs: [String] = []
        for (n, arguments) in commands.enumerated() {
            let log = "\(logDirectory)/child-\(n).log"
            logs.append(log)
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
            let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            defer { for arg in argv { free(arg) } }
            var pid: pid_t = 0
            let rc = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
            guard rc == 0 else { throw Failure("cannot start \(arguments[0]): \(String(cString: strerror(rc)))") }
            pids.append(pid)
        }
        return pids.enumerated().map { n, pid in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let exit: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            let output = FileManager.default.contents(atPath: logs[n]).map { String(decoding: $0, as: UTF8.self) } ?? ""
            return (exit, output)
        }
    }

    // MARK: naive

    /// One connection; an INSERT prepared once per shard table, then executed once per row in autocommit (each row
    /// its own transaction and commit), the vector as a binary parameter.
    func naiveLoad(_ data: Rows, rows count: Int) throws -> Double {
        for k in 0..<shards {
            try PostgresSchema.migrate(try PostgresConnection(dsn: dsn(schema: "bench_naive_\(k)"), applicationName: "seeder bench naive setup"))
        }
        let connection = try PostgresConnection(dsn: dsn, applicationName: "seeder bench naive")
        for k in 0..<shards {
            let sql = "INSERT INTO bench_naive_\(k).embeddings (\(Self.columns)) VALUES ($1, $2, $3, $4::integer, $5, $6) ON CONFLICT DO NOTHING"
            guard let result = PQprepare(connection.handle, "insert_\(k)", sql, 6, nil) else { throw Failure("PQprepare: no result") }
            let ok = PQresultStatus(result) == PGRES_COMMAND_OK
            let message = String(cString: PQresultErrorMessage(result))
            PQclear(result)
            guard ok else { throw Failure("PQprepare insert_\(k): \(message)") }
        }
        let model = storedModel
        let rowBytes = dimensions * MemoryLayout<Float>.size
        let fixedValues: [String] = [model.model, model.version, String(dimensions), Self.tenant]
        let fixed = fixedValues.map { (value: String) -> UnsafeMutablePointer<CChar> in strdup(value)! }
        defer { for p in fixed { free(p) } }
        let names = (0..<shards).map { (k: Int) -> UnsafeMutablePointer<CChar> in strdup("insert_\(k)")! }
        defer { for p in names { free(p) } }
        var lengths: [Int32] = [0, 0, 0, 0, Int32(rowBytes), 0]
        var formats: [Int32] = [0, 0, 0, 0, 1, 0]
        let start = ContinuousClock.now
        try data.vectors.withUnsafeBytes { raw in
            for i in 0..<count {
                let hex = strdup(data.hashes[i].hex)!
                defer { free(hex) }
                let vector = raw.baseAddress!.advanced(by: i * rowBytes).assumingMemoryBound(to: CChar.self)
                var values: [UnsafePointer<CChar>?] = [UnsafePointer(hex), UnsafePointer(fixed[0]), UnsafePointer(fixed[1]),
                                                       UnsafePointer(fixed[2]), vector, UnsafePointer(fixed[3])]
                guard let result = PQexecPrepared(connection.handle, names[data.owner[i]], 6, &values, &lengths, &formats, 0) else {
                    throw Failure("PQexecPrepared: no result")
                }
                let ok = PQresultStatus(result) == PGRES_COMMAND_OK
                let message = ok ? "" : String(cString: PQresultErrorMessage(result))
                PQclear(result)
                guard ok else { throw Failure("naive INSERT of row \(i): \(message)") }
            }
        }
        return Self.seconds(since: start)
    }

    // MARK: checks

    /// Each shard's `embeddings` (and for seeder `seeder_texts`) holds exactly its rows, with the right model and tenant.
    func verify(_ control: PostgresConnection, prefix: String, expected: [Int], texts: Bool) throws {
        guard expected.reduce(0, +) > 0 else { throw Failure("\(prefix)*: nothing to load (--rows and --naive-rows must be positive)") }
        for k in 0..<shards {
            let stored = Int(try control.query("""
                SELECT count(*) FROM \(prefix)\(k).embeddings WHERE model = $1 AND model_version = $2 AND tenant_id = $3
                  AND dimensions = $4::integer AND octet_length(vector) = $5::integer
                """, [Self.model.model, Self.model.version, Self.tenant, String(dimensions), String(dimensions * 4)]).int64(0, 0) ?? -1)
            let total = Int(try control.execute("SELECT count(*) FROM \(prefix)\(k).embeddings").int64(0, 0) ?? -1)
            guard stored == expected[k], total == expected[k] else {
                throw Failure("\(prefix)\(k).embeddings holds \(total) rows (\(stored) as written), expected \(expected[k])")
            }
            if texts {
                let textRows = Int(try control.execute("SELECT count(*) FROM \(prefix)\(k).seeder_texts").int64(0, 0) ?? -1)
                guard textRows == expected[k] else {
                    throw Failure("\(prefix)\(k).seeder_texts holds \(textRows) rows, expected \(expected[k])")
                }
            }
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let (s, atto) = (ContinuousClock.now - start).components
        return Double(s) + Double(atto) / 1e18
    }

    static func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}
