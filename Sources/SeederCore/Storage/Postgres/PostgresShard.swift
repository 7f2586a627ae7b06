import Foundation

/// One shard of the cache in a PostgreSQL database, or in a schema of one (`?schema=s` in its DSN).
///
/// Two connections, each on a serial queue of its own (``PostgresSession``): a writer, and a reader for lookups and
/// scans, so that the lookups of the next chunk overlap the writes of the current one (the reader sees committed
/// rows only, which is all the pipeline asks). Either reconnects after a lost connection and redoes what it was
/// doing; every write is idempotent.
///
/// A chunk is written, in one transaction, by binary COPY straight into `embeddings` and `seeder_texts` (the
/// server's bulk path: rows go in many to a WAL record, as `psql \copy` does), inside a savepoint. A COPY stops at
/// the first key already present (or twice in the chunk) with a unique violation: then the savepoint is rolled back
/// and the chunk goes the careful way — binary COPY into a temporary staging table, then one `INSERT … SELECT … ON
/// CONFLICT DO NOTHING RETURNING` into `embeddings` whose returned keys pick the `seeder_texts` rows to insert. The
/// pipeline writes only keys its lookup did not find, so conflicts are rare (a chunk redone after a crash, two runs
/// at once); `seeder bench postgres` measures both ways (BENCHMARKS.md).
public final class PostgresShard: ShardStore {
    public let location: ShardLocation
    let writer: PostgresSession
    let reader: PostgresSession
    /// Whether `write` tries the direct COPY first (off: always staging; the benchmark measures both).
    let copiesDirectly: Bool

    /// Keys per lookup query (one text-array parameter).
    static let lookupBatch = 10_000
    /// Keys per `readRows`/`deleteRows` statement.
    static let keyBatch = 10_000

    /// Connects (the writers and the reader) and brings the schema up to date (unless `migrate` is false: `seeder
    /// shards check` reports a schema, it doesn't change it). Throws a ``StoreError`` naming the shard, with its
    /// password redacted, when the server can't be reached.
    public convenience init(location: ShardLocation, applicationName: String? = nil, giveUpAfter: Duration = .seconds(300),
                            migrate: Bool = true) throws {
        try self.init(location: location, applicationName: applicationName, giveUpAfter: giveUpAfter, migrate: migrate,
                      copiesDirectly: true)
    }

    init(location: ShardLocation, applicationName: String?, giveUpAfter: Duration, migrate: Bool = true, copiesDirectly: Bool) throws {
        self.location = location
        self.copiesDirectly = copiesDirectly
        let name = applicationName ?? PostgresSession.defaultApplicationName()
        // The staging table lives as long as its connection: created again after each reconnect.
        writer = try PostgresSession(location: location, applicationName: name, giveUpAfter: giveUpAfter, role: "write") { connection in
            try connection.execute(Self.stagingTableSQL)
        }
        if migrate { try writer.runBlocking { try PostgresSchema.migrate($0) } }
        reader = try PostgresSession(location: location, applicationName: name, giveUpAfter: giveUpAfter, role: "read")
    }

    static let stagingTableSQL = """
        CREATE TEMP TABLE IF NOT EXISTS seeder_stage (
          text_hash TEXT NOT NULL, vector BYTEA NOT NULL, category TEXT NOT NULL, record_id TEXT NOT NULL,
          title TEXT NOT NULL, text TEXT NOT NULL, source TEXT NOT NULL
        ) ON COMMIT DELETE ROWS
        """

    // MARK: Lookups

    public func lookup(_ hashes: [TextHash], model: StoredModel, tenant: String) async throws -> Set<TextHash> {
        guard !hashes.isEmpty else { return [] }
        let literals = stride(from: 0, to: hashes.count, by: Self.lookupBatch).map { start in
            PostgresArrayLiteral.make(hashes[start..<min(start + Self.lookupBatch, hashes.count)].lazy.map(\.hex))
        }
        return try await reader.run { connection in
            var found = Set<TextHash>()
            for literal in literals {
                let result = try connection.query("""
                    SELECT text_hash FROM embeddings
                    WHERE model = $1 AND model_version = $2 AND tenant_id = $3 AND text_hash = ANY($4::text[])
                    """, [model.model, model.version, tenant, literal])
                for row in 0..<result.rowCount {
                    if let hex = result.string(row, 0), let hash = TextHash(hex: hex) { found.insert(hash) }
                }
            }
            return found
        }
    }

    public func keysWritten(runID: String, after items: Int64) async throws -> Set<TextHash> {
        try await reader.run { connection in
            let result = try connection.query("SELECT text_hash FROM seeder_texts WHERE run_id = $1 AND chunk_end > $2::bigint",
                                              [runID, String(items)])
            var keys = Set<TextHash>()
            for row in 0..<result.rowCount {
                if let hex = result.string(row, 0), let hash = TextHash(hex: hex) { keys.insert(hash) }
            }
            return keys
        }
    }

    // MARK: Writes

    /// Writes the chunk's rows for this shard in one transaction on the writer connection. Two transactions in
    /// flight per shard measured no faster on this 2-core machine (`seeder bench postgres`, BENCHMARKS.md).
    public func write(_ batch: ShardBatch, model: StoredModel, tenant: String, runID: String, chunkEnd: Int64, source: String) async throws -> Int {
        guard batch.count > 0 else { return 0 }
        let direct = copiesDirectly ? Self.directInput(batch, model: model, tenant: tenant, runID: runID, chunkEnd: chunkEnd, source: source) : nil
        let parameters = [model.model, model.version, String(batch.dimensions), tenant, runID, String(chunkEnd)]
        return try await writer.run { connection in
            try connection.transaction {
                if let direct {
                    try connection.execute("SAVEPOINT seeder_direct")
                    do {
                        let inserted = try connection.copyIn("COPY embeddings (\(Self.embeddingsCopyColumns)) FROM STDIN (FORMAT binary)",
                                                             data: direct.embeddings)
                        try connection.copyIn("COPY seeder_texts (\(Self.textsCopyColumns)) FROM STDIN (FORMAT binary)", data: direct.texts)
                        try connection.execute("RELEASE SAVEPOINT seeder_direct")
                        return inserted
                    } catch let error as PostgresError where error.sqlState == "23505" && !error.isConnectionLoss {
                        // A key already there, or twice in the chunk: nothing of the COPYs stays; the careful way.
                        try connection.execute("ROLLBACK TO SAVEPOINT seeder_direct")
                    }
                }
                try connection.copyIn("COPY seeder_stage (text_hash, vector, category, record_id, title, text, source) FROM STDIN (FORMAT binary)",
                                      data: Self.stagingInput(batch, source: source))
                return Int(try connection.query(Self.writeSQL, parameters).int64(0, 0) ?? 0)
            }
        }
    }

    static let embeddingsCopyColumns = "text_hash, model, model_version, dimensions, vector, tenant_id"
    static let textsCopyColumns = "text_hash, model, model_version, tenant_id, run_id, chunk_end, source, category, record_id, title, text"

    /// The chunk as binary COPY input for `embeddings` and for `seeder_texts` (the direct way).
    static func directInput(_ batch: ShardBatch, model: StoredModel, tenant: String, runID: String, chunkEnd: Int64,
                            source: String) -> (embeddings: [UInt8], texts: [UInt8]) {
        let rowBytes = batch.dimensions * MemoryLayout<Float>.size
        var embeddings = BinaryCopyEncoder(capacity: batch.count * (rowBytes + 160))
        var texts = BinaryCopyEncoder(capacity: batch.count * 300)
        batch.vectors.withUnsafeBytes { vectors in
            for i in 0..<batch.count {
                let hex = batch.hashes[i].hex
                embeddings.beginTuple(fields: 6)
                embeddings.text(hex)
                embeddings.text(model.model)
                embeddings.text(model.version)
                embeddings.int4(Int32(batch.dimensions))
                embeddings.bytea(UnsafeRawBufferPointer(rebasing: vectors[(i * rowBytes)..<((i + 1) * rowBytes)]))
                embeddings.text(tenant)
                let text = batch.texts[i]
                texts.beginTuple(fields: 11)
                texts.text(hex)
                texts.text(model.model)
                texts.text(model.version)
                texts.text(tenant)
                texts.text(runID)
                texts.int8(chunkEnd)
                texts.text(text.source.isEmpty ? source : text.source)
                texts.text(text.category)
                texts.text(text.recordID)
                texts.text(text.title)
                texts.text(text.text)
            }
        }
        return (embeddings.finish(), texts.finish())
    }

    /// The chunk as binary COPY input for `seeder_stage`; vectors as their float32 little-endian bytes.
    static func stagingInput(_ batch: ShardBatch, source: String) -> [UInt8] {
        let rowBytes = batch.dimensions * MemoryLayout<Float>.size
        var encoder = BinaryCopyEncoder(capacity: batch.count * (rowBytes + 200))
        batch.vectors.withUnsafeBytes { vectors in
            for i in 0..<batch.count {
                let text = batch.texts[i]
                encoder.beginTuple(fields: 7)
                encoder.text(batch.hashes[i].hex)
                encoder.bytea(UnsafeRawBufferPointer(rebasing: vectors[(i * rowBytes)..<((i + 1) * rowBytes)]))
                encoder.text(text.category)
                encoder.text(text.recordID)
                encoder.text(text.title)
                encoder.text(text.text)
                encoder.text(text.source.isEmpty ? source : text.source)
            }
        }
        return encoder.finish()
    }

    /// `$1` model, `$2` version, `$3` dimensions, `$4` tenant, `$5` run, `$6` chunk end (each text's source is staged). DISTINCT ON:
    /// a key twice in one chunk gets one `seeder_texts` row, as in SQLite.
    static let writeSQL = """
        WITH inserted AS (
          INSERT INTO embeddings (text_hash, model, model_version, dimensions, vector, tenant_id)
          SELECT text_hash, $1, $2, $3::integer, vector, $4 FROM seeder_stage
          ON CONFLICT DO NOTHING
          RETURNING text_hash
        ), texts AS (
          INSERT INTO seeder_texts (text_hash, model, model_version, tenant_id, run_id, chunk_end, source, category, record_id, title, text)
          SELECT DISTINCT ON (s.text_hash) s.text_hash, $1, $2, $4, $5, $6::bigint, s.source, s.category, s.record_id, s.title, s.text
          FROM seeder_stage s JOIN inserted i ON i.text_hash = s.text_hash
        )
        SELECT count(*) FROM inserted
        """

    /// A PostgreSQL commit is durable when it returns.
    public func makeDurable() async throws {}

    /// Nothing to tidy: no write-ahead log of seeder's to fold.
    public func finish() async throws {}

    // MARK: Digest and inspection

    /// The same rows, order and bytes as ``SQLiteShard/digest()``: `COLLATE "C"` sorts bytewise as SQLite does.
    public func digest() async throws -> ShardDigest {
        try await reader.run { connection in
            try connection.transaction {
                try connection.execute("""
                    DECLARE seeder_digest NO SCROLL CURSOR FOR
                    SELECT text_hash, model, model_version, tenant_id, dimensions::text, vector FROM embeddings
                    ORDER BY text_hash COLLATE "C", model COLLATE "C", model_version COLLATE "C", tenant_id COLLATE "C"
                    """)
                var hasher = StreamingSHA256()
                var rows = 0
                while true {
                    let page = try connection.query("FETCH 5000 FROM seeder_digest", [], binaryResult: true)
                    if page.rowCount == 0 { break }
                    for row in 0..<page.rowCount {
                        for column in 0...3 {
                            hasher.update(bytes: page.bytes(row, column))
                            hasher.update(byte: 0)
                        }
                        hasher.update(bytes: page.bytes(row, 4))
                        hasher.update(bytes: page.bytes(row, 5))
                        rows += 1
                    }
                }
                try connection.execute("CLOSE seeder_digest")
                return ShardDigest(rows: rows, sha256: hasher.finalizeHex())
            }
        }
    }

    public func inspect() async throws -> ShardInspection {
        try await reader.run { connection in
            let problems = try PostgresSchema.problems(connection)
            let rows = problems.contains("missing table embeddings")
                ? 0 : Int(try connection.execute("SELECT count(*) FROM embeddings").int64(0, 0) ?? 0)
            return ShardInspection(rows: rows, schemaVersion: try PostgresSchema.version(connection),
                                   expectedSchemaVersion: PostgresSchema.expectedVersion, schemaProblems: problems)
        }
    }

    public func writeProblem() async throws -> String? {
        try await reader.run { connection in
            let server = try connection.execute("SELECT pg_is_in_recovery()::text, current_setting('default_transaction_read_only'), current_user")
            if server.string(0, 0) == "true" { return "the server is a read-only standby (in recovery): point the shard at the primary" }
            if server.string(0, 1) == "on" { return "default_transaction_read_only is on for this session: the server or role is read-only" }
            let user = server.string(0, 2) ?? "?"
            let tables = try connection.execute("SELECT to_regclass('embeddings') IS NOT NULL, to_regclass('seeder_texts') IS NOT NULL")
            if tables.string(0, 0) == "t" && tables.string(0, 1) == "t" {
                let granted = try connection.execute("""
                    SELECT has_table_privilege('embeddings', 'INSERT, SELECT'), has_table_privilege('seeder_texts', 'INSERT, SELECT')
                    """)
                if granted.string(0, 0) != "t" { return "role \(user) may not INSERT into embeddings (GRANT INSERT, SELECT ON embeddings TO \(user))" }
                if granted.string(0, 1) != "t" { return "role \(user) may not INSERT into seeder_texts (GRANT INSERT, SELECT ON seeder_texts TO \(user))" }
                return nil
            }
            // Tables not there yet: seeder creates them on the first run, in the schema it uses.
            let create = try connection.execute("SELECT has_schema_privilege(current_schema(), 'CREATE'), current_schema()")
            if create.string(0, 0) != "t" {
                return "role \(user) may not create tables in schema \(create.string(0, 1) ?? "?") (GRANT CREATE ON SCHEMA … TO \(user))"
            }
            return nil
        }
    }

    // MARK: Maintenance

    private static let orderByKey = #"text_hash COLLATE "C", model COLLATE "C", model_version COLLATE "C", tenant_id COLLATE "C""#

    public func scanKeys(after cursor: RowKey?, limit: Int) async throws -> [RowKey] {
        try await reader.run { connection in
            let result: PostgresResult
            if let cursor {
                result = try connection.query("""
                    SELECT text_hash, model, model_version, tenant_id FROM embeddings
                    WHERE (\(Self.orderByKey)) > ($1 COLLATE "C", $2 COLLATE "C", $3 COLLATE "C", $4 COLLATE "C")
                    ORDER BY \(Self.orderByKey) LIMIT $5::bigint
                    """, [cursor.textHash, cursor.model, cursor.modelVersion, cursor.tenant, String(limit)])
            } else {
                result = try connection.query("SELECT text_hash, model, model_version, tenant_id FROM embeddings ORDER BY \(Self.orderByKey) LIMIT $1::bigint",
                                              [String(limit)])
            }
            return (0..<result.rowCount).map { Self.key(result, $0, from: 0) }
        }
    }

    static func key(_ result: PostgresResult, _ row: Int, from column: Int) -> RowKey {
        RowKey(textHash: result.string(row, column) ?? "", model: result.string(row, column + 1) ?? "",
               modelVersion: result.string(row, column + 2) ?? "", tenant: result.string(row, column + 3) ?? "")
    }

    /// `$1`…`$4`: the keys' columns as text arrays.
    private static func keyArrays(_ keys: ArraySlice<RowKey>) -> [String?] {
        [PostgresArrayLiteral.make(keys.lazy.map(\.textHash)), PostgresArrayLiteral.make(keys.lazy.map(\.model)),
         PostgresArrayLiteral.make(keys.lazy.map(\.modelVersion)), PostgresArrayLiteral.make(keys.lazy.map(\.tenant))]
    }

    private static let keysCTE = "WITH k AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS k(h, m, v, t))"
    private static func joinsKeys(_ alias: String) -> String {
        "\(alias).text_hash = k.h AND \(alias).model = k.m AND \(alias).model_version = k.v AND \(alias).tenant_id = k.t"
    }

    public func readRows(_ keys: [RowKey]) async throws -> [StoredRow] {
        guard !keys.isEmpty else { return [] }
        let batches = stride(from: 0, to: keys.count, by: Self.keyBatch).map { Self.keyArrays(keys[$0..<min($0 + Self.keyBatch, keys.count)]) }
        return try await reader.run { connection in
            var rows: [StoredRow] = []
            for parameters in batches {
                try connection.transaction {
                    // Binary results for the vector's raw bytes; every other column cast to text.
                    let found = try connection.query("""
                        \(Self.keysCTE)
                        SELECT e.text_hash, e.model, e.model_version, e.tenant_id, e.dimensions::text, e.vector,
                               e.created_at::text, e.last_hit_at::text, e.hit_count::text
                        FROM embeddings e JOIN k ON \(Self.joinsKeys("e"))
                        """, parameters, binaryResult: true)
                    let texts = try connection.query("""
                        \(Self.keysCTE)
                        SELECT s.text_hash, s.model, s.model_version, s.tenant_id, s.run_id, s.chunk_end::text, s.source, s.category,
                               s.record_id, s.title, s.text, s.created_at::text
                        FROM seeder_texts s JOIN k ON \(Self.joinsKeys("s"))
                        """, parameters)
                    var textsByKey: [RowKey: [SeededTextRow]] = [:]
                    for row in 0..<texts.rowCount {
                        textsByKey[Self.key(texts, row, from: 0), default: []].append(SeededTextRow(
                            runID: texts.string(row, 4) ?? "", chunkEnd: texts.int64(row, 5) ?? 0,
                            text: SeededText(source: texts.string(row, 6) ?? "", category: texts.string(row, 7) ?? "",
                                             recordID: texts.string(row, 8) ?? "", title: texts.string(row, 9) ?? "",
                                             text: texts.string(row, 10) ?? ""),
                            createdAt: texts.string(row, 11)))
                    }
                    for row in 0..<found.rowCount {
                        let key = Self.key(found, row, from: 0)
                        rows.append(StoredRow(key: key, dimensions: Int(found.int64(row, 4) ?? 0), vector: found.bytes(row, 5),
                                              createdAt: found.string(row, 6), lastHitAt: found.string(row, 7),
                                              hitCount: found.int64(row, 8) ?? 0, texts: textsByKey[key] ?? []))
                    }
                }
            }
            return rows
        }
    }

    public func insertRows(_ rows: [StoredRow]) async throws -> Int {
        guard !rows.isEmpty else { return 0 }
        let texts = rows.flatMap { row in row.texts.map { (row.key, $0) } }
        let parameters: [String?] = [
            PostgresArrayLiteral.make(rows.lazy.map(\.key.textHash)), PostgresArrayLiteral.make(rows.lazy.map(\.key.model)),
            PostgresArrayLiteral.make(rows.lazy.map(\.key.modelVersion)), PostgresArrayLiteral.make(rows.lazy.map(\.key.tenant)),
            PostgresArrayLiteral.make(rows.lazy.map { String($0.dimensions) }),
            PostgresArrayLiteral.make(rows.lazy.map { PostgresArrayLiteral.hexBytea($0.vector) }),
            PostgresArrayLiteral.make(rows.lazy.map(\.createdAt)), PostgresArrayLiteral.make(rows.lazy.map(\.lastHitAt)),
            PostgresArrayLiteral.make(rows.lazy.map { String($0.hitCount) }),
            PostgresArrayLiteral.make(texts.lazy.map { $0.0.textHash }), PostgresArrayLiteral.make(texts.lazy.map { $0.0.model }),
            PostgresArrayLiteral.make(texts.lazy.map { $0.0.modelVersion }), PostgresArrayLiteral.make(texts.lazy.map { $0.0.tenant }),
            PostgresArrayLiteral.make(texts.lazy.map { $0.1.runID }), PostgresArrayLiteral.make(texts.lazy.map { String($0.1.chunkEnd) }),
            PostgresArrayLiteral.make(texts.lazy.map { $0.1.text.source }), PostgresArrayLiteral.make(texts.lazy.map { $0.1.text.category }),
            PostgresArrayLiteral.make(texts.lazy.map { $0.1.text.recordID }), PostgresArrayLiteral.make(texts.lazy.map { $0.1.text.title }),
            PostgresArrayLiteral.make(texts.lazy.map { $0.1.text.text }), PostgresArrayLiteral.make(texts.lazy.map { $0.1.createdAt }),
        ]
        // One statement is one transaction: the texts go in only for the rows this insert added.
        return try await writer.run { connection in
            Int(try connection.query("""
                WITH inserted AS (
                  INSERT INTO embeddings (text_hash, model, model_version, tenant_id, dimensions, vector, created_at, last_hit_at, hit_count)
                  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::bytea[], $7::timestamp[],
                                       $8::timestamp[], $9::integer[])
                  ON CONFLICT DO NOTHING
                  RETURNING text_hash, model, model_version, tenant_id
                ), texts AS (
                  INSERT INTO seeder_texts (text_hash, model, model_version, tenant_id, run_id, chunk_end, source, category, record_id,
                                            title, text, created_at)
                  SELECT t.* FROM unnest($10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::bigint[], $16::text[],
                                         $17::text[], $18::text[], $19::text[], $20::text[], $21::timestamp[])
                    AS t(text_hash, model, model_version, tenant_id, run_id, chunk_end, source, category, record_id, title, text, created_at)
                  JOIN inserted i ON i.text_hash = t.text_hash AND i.model = t.model AND i.model_version = t.model_version
                                 AND i.tenant_id = t.tenant_id
                )
                SELECT count(*) FROM inserted
                """, parameters).int64(0, 0) ?? 0)
        }
    }

    public func deleteRows(_ keys: [RowKey]) async throws -> Int {
        guard !keys.isEmpty else { return 0 }
        let batches = stride(from: 0, to: keys.count, by: Self.keyBatch).map { Self.keyArrays(keys[$0..<min($0 + Self.keyBatch, keys.count)]) }
        return try await writer.run { connection in
            try connection.transaction {
                var deleted = 0
                for parameters in batches {
                    deleted += try connection.query("""
                        \(Self.keysCTE), texts AS (DELETE FROM seeder_texts s USING k WHERE \(Self.joinsKeys("s")))
                        DELETE FROM embeddings e USING k WHERE \(Self.joinsKeys("e"))
                        """, parameters).affectedRows
                }
                return deleted
            }
        }
    }

    public func close() async {
        await writer.close()
        await reader.close()
    }
}
