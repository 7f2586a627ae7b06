import Foundation
import XCTest
@testable import SeederCore

/// PostgresShard and PostgresRunStore against a throwaway server of each test's own.
final class PostgresShardTests: XCTestCase {
    private let model = StoredModel(model: "m", version: "1", dimensions: 4)

    private func batch(_ range: Range<Int>, dimensions: Int = 4) -> ShardBatch {
        var batch = ShardBatch(dimensions: dimensions)
        for i in range {
            batch.hashes.append(TextHash(normalized: "t\(i)"))
            batch.vectors += (0..<dimensions).map { Float(i) + Float($0) / 8 }
            batch.texts.append(SeededText(source: "s", category: "c\(i % 3)", recordID: "r\(i)", title: "title \(i)", text: "t\(i) é \"q\" \\"))
        }
        return batch
    }

    private func openShard(_ server: ThrowawayPostgres, schema: String? = nil, name: String = "0") throws -> PostgresShard {
        let dsn = server.dsn() + (schema.map { "?schema=\($0)" } ?? "")
        return try PostgresShard(location: ShardLocation(name: name, path: dsn), applicationName: "seeder-test-\(name)", giveUpAfter: .seconds(60))
    }

    private func psql(_ server: ThrowawayPostgres, _ sql: String) throws -> String {
        let result = try ThrowawayPostgres.run("/usr/bin/psql", [server.dsn(), "-v", "ON_ERROR_STOP=1", "-tAc", sql])
        XCTAssertEqual(result.status, 0, result.output)
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testSchemaIsTheCachesFixedTable() async throws {
        let server = try ThrowawayPostgres(self)
        let shard = try openShard(server)
        let columns = try psql(server, """
            SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable || ' ' || COALESCE(column_default, '-'), ', ' ORDER BY ordinal_position)
            FROM information_schema.columns WHERE table_name = 'embeddings'
            """)
        XCTAssertEqual(columns, "text_hash text NO -, model text NO -, model_version text NO -, dimensions integer NO -, vector bytea NO -, "
            + "tenant_id text NO -, created_at timestamp without time zone YES now(), last_hit_at timestamp without time zone YES -, hit_count integer YES 0")
        let key = try psql(server, """
            SELECT string_agg(k.column_name, ',' ORDER BY k.ordinal_position) FROM information_schema.table_constraints c
            JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name
            WHERE c.table_name = 'embeddings' AND c.constraint_type = 'PRIMARY KEY'
            """)
        XCTAssertEqual(key, "text_hash,model,model_version,tenant_id")
        let inspection = try await shard.inspect()
        XCTAssertEqual(inspection, ShardInspection(rows: 0, schemaVersion: 3, expectedSchemaVersion: 3, schemaProblems: []))
        // Opening again migrates nothing.
        _ = try self.openShard(server)
        XCTAssertEqual(try psql(server, "SELECT count(*) FROM seeder_schema"), "1")
        await shard.close()
    }

    func testProcessesOpeningOneNewShardAtOnceMigrateItOnce() async throws {
        let server = try ThrowawayPostgres(self)
        let location = ShardLocation(name: "0", path: server.dsn() + "?schema=fresh")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<4 {
                group.addTask {
                    let shard = try PostgresShard(location: location, applicationName: "opener \(i)")
                    await shard.close()
                }
            }
            try await group.waitForAll()
        }
        XCTAssertEqual(try psql(server, "SELECT string_agg(version::text, ',') FROM fresh.seeder_schema"), "3", "one row: the last migration's")
    }

    func testWriteLookupKeysWrittenAndIdempotence() async throws {
        let server = try ThrowawayPostgres(self)
        let shard = try openShard(server)
        let rows = batch(0..<25)
        let written = try await shard.write(rows, model: model, tenant: "public", runID: "r1", chunkEnd: 10, source: "s")
        XCTAssertEqual(written, 25)
        let again = try await shard.write(rows, model: model, tenant: "public", runID: "r2", chunkEnd: 20, source: "s")
        XCTAssertEqual(again, 0, "the same batch twice inserts nothing the second time")
        let probe = (20..<40).map { TextHash(normalized: "t\($0)") }
        let found = try await shard.lookup(probe, model: model, tenant: "public")
        XCTAssertEqual(found, Set((20..<25).map { TextHash(normalized: "t\($0)") }))
        let otherTenant = try await shard.lookup(probe, model: model, tenant: "other")
        XCTAssertTrue(otherTenant.isEmpty)
        let keys = try await shard.keysWritten(runID: "r1", after: 9)
        XCTAssertEqual(keys.count, 25)
        let none = try await shard.keysWritten(runID: "r1", after: 10)
        XCTAssertTrue(none.isEmpty)
        let r2 = try await shard.keysWritten(runID: "r2", after: 0)
        XCTAssertTrue(r2.isEmpty, "a row is credited to the run that inserted it")
        XCTAssertEqual(try psql(server, "SELECT count(*) FROM seeder_texts"), "25")
        XCTAssertEqual(try psql(server, "SELECT encode(vector, 'hex') FROM embeddings WHERE text_hash = '\(TextHash(normalized: "t1").hex)'"),
                       "0000803f0000903f0000a03f0000b03f", "float32 little-endian")
        XCTAssertEqual(try psql(server, "SELECT text FROM seeder_texts WHERE record_id = 'r3'"), "t3 é \"q\" \\")
        await shard.close()
    }

    /// A chunk goes by COPY straight into the tables unless a key is already there or twice in it: then the careful
    /// way (staging, ON CONFLICT DO NOTHING), which must insert exactly the new rows and texts, with nothing of the
    /// failed COPY left behind — the same outcome either way, and the same digest as one chunk written directly.
    func testAChunkWithSomeKeysPresentOrRepeatedInsertsOnlyTheNewOnes() async throws {
        let server = try ThrowawayPostgres(self)
        let shard = try openShard(server), reference = try openShard(server, schema: "reference", name: "reference")
        let first = try await shard.write(batch(0..<10), model: model, tenant: "public", runID: "r1", chunkEnd: 10, source: "s")
        XCTAssertEqual(first, 10)
        let overlapping = try await shard.write(batch(5..<15), model: model, tenant: "public", runID: "r2", chunkEnd: 20, source: "s")
        XCTAssertEqual(overlapping, 5, "keys 5..<10 were there: only 10..<15 go in")
        var repeated = batch(15..<20)
        let again = batch(17..<18)
        repeated.hashes += again.hashes
        repeated.vectors += again.vectors
        repeated.texts += again.texts
        let withRepeat = try await shard.write(repeated, model: model, tenant: "public", runID: "r3", chunkEnd: 30, source: "s")
        XCTAssertEqual(withRepeat, 5, "a key twice in one chunk goes in once")
        XCTAssertEqual(try psql(server, "SELECT count(*) FROM embeddings"), "20")
        XCTAssertEqual(try psql(server, "SELECT count(*) FROM seeder_texts"), "20")
        XCTAssertEqual(try psql(server, "SELECT string_agg(run_id || ':' || count, ',' ORDER BY run_id) FROM (SELECT run_id, count(*) FROM seeder_texts GROUP BY run_id) c"),
                       "r1:10,r2:5,r3:5")
        let whole = try await reference.write(batch(0..<20), model: model, tenant: "public", runID: "r", chunkEnd: 1, source: "s")
        XCTAssertEqual(whole, 20)
        let digest = try await shard.digest(), referenceDigest = try await reference.digest()
        XCTAssertEqual(digest, referenceDigest)
        await shard.close()
        await reference.close()
    }

    func testLookupOfMoreKeysThanOneQueryTakes() async throws {
        let server = try ThrowawayPostgres(self)
        let shard = try openShard(server)
        _ = try await shard.write(batch(0..<12_345, dimensions: 1), model: StoredModel(model: "m", version: "1", dimensions: 1),
                                  tenant: "public", runID: "r", chunkEnd: 1, source: "s")
        let found = try await shard.lookup((0..<25_000).map { TextHash(normalized: "t\($0)") }, model: StoredModel(model: "m", version: "1", dimensions: 1), tenant: "public")
        XCTAssertEqual(found.count, 12_345)
        await shard.close()
    }

    func testDigestEqualsSQLiteShardsForTheSameRows() async throws {
        let server = try ThrowawayPostgres(self)
        let shard = try openShard(server)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("seeder-pgtest-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let sqlite = try SQLiteShard(location: ShardLocation(name: "0", path: dir + "/s.sqlite"), durability: .normal)
        let other = StoredModel(model: "m-2", version: "v", dimensions: 4)
        for (rows, model, tenant) in [(batch(0..<300), model, "public"), (batch(100..<200), other, "public"), (batch(0..<50), model, "Tenant-B")] {
            _ = try await shard.write(rows, model: model, tenant: tenant, runID: "r", chunkEnd: 1, source: "s")
            try sqlite.write(rows, model: model, tenant: tenant, runID: "r", chunkEnd: 1, source: "s")
        }
        let expected = try sqlite.digest()
        let digest = try await shard.digest()
        XCTAssertEqual(digest, ShardDigest(rows: expected.rows, sha256: expected.sha256))
        XCTAssertEqual(digest.rows, 450)
        await shard.close()
    }

    func testTwoSchemasOfOneDatabaseAreSeparateShards() async throws {
        let server = try ThrowawayPostgres(self)
        let a = try openShard(server, schema: "a", name: "a"), b = try openShard(server, schema: "b", name: "b")
        let wroteA = try await a.write(batch(0..<10), model: model, tenant: "public", runID: "r", chunkEnd: 1, source: "s")
        let wroteB = try await b.write(batch(5..<8), model: model, tenant: "public", runID: "r", chunkEnd: 1, source: "s")
        XCTAssertEqual([wroteA, wroteB], [10, 3], "rows in schema a are not in schema b")
        let digestA = try await a.digest(), digestB = try await b.digest()
        XCTAssertEqual([digestA.rows, digestB.rows], [10, 3])
        XCTAssertEqual(try psql(server, "SELECT count(*) FROM a.embeddings") + "," + psql(server, "SELECT count(*) FROM b.embeddings"), "10,3")
        XCTAssertEqual(try psql(server, "SELECT to_regclass('public.embeddings') IS NULL"), "t")
        await a.close()
        await b.close()
    }

    private func runRecord(_ id: String) -> RunRecord {
        RunRecord(id: id, job: "j", modelAlias: "minilm-l6", stored: model, tenant: "public", provider: "hash",
                  sourceKind: "wikipedia-abstracts", input: "/in", normalizerVersion: "1", shardNames: ["0", "1"],
                  state: .running, checkpoint: .start, counters: RunCounters(), error: nil,
                  startedAt: Date(timeIntervalSince1970: 1000.25), updatedAt: Date(timeIntervalSince1970: 1000.5),
                  finishedAt: nil, activeSeconds: 0, attempts: 1)
    }

    func testRunStoreRoundTrip() async throws {
        let server = try ThrowawayPostgres(self)
        let store = try PostgresRunStore(location: ShardLocation(name: "control", path: server.dsn()), applicationName: "seeder-test")
        var run = runRecord("r1")
        try await store.insertRun(run)
        try await store.insertRun(run)  // idempotent
        run.checkpoint = SourceCheckpoint(items: 42, bytes: 9)
        run.counters.itemsRead = 42
        run.counters.skipped = ["too_long": 1]
        run.state = .paused
        run.providerModel = "{\"model_id\":\"x\"}"
        run.pricePerMillionTokens = 0.02
        let failures = [RecordFailure(ordinal: 7, recordID: "x", reason: .tooLong, detail: "2 MB"),
                        RecordFailure(ordinal: 3, recordID: "y,\"z\"", reason: .empty, detail: "")]
        try await store.saveProgress(of: run, failures: failures)
        try await store.saveProgress(of: run, failures: failures)  // a save redone: nothing twice
        let resumable = try await store.resumableRun(job: "j", model: model, tenant: "public")
        XCTAssertEqual(resumable, run)
        let otherTenant = try await store.resumableRun(job: "j", model: model, tenant: "other")
        XCTAssertNil(otherTenant)
        let saved = try await store.failures(runID: "r1")
        XCTAssertEqual(saved, failures.sorted { $0.ordinal < $1.ordinal })
        run.state = .done
        run.finishedAt = Date(timeIntervalSince1970: 2000.125)
        try await store.saveProgress(of: run, failures: [])
        let none = try await store.resumableRun(job: "j", model: model, tenant: "public")
        XCTAssertNil(none)
        let all = try await store.runs(job: "j")
        XCTAssertEqual(all, [run])
        let noJob = try await store.runs(job: nil)
        XCTAssertEqual(noJob.count, 1)
    }

    func testRunLockNamesItsHolderAndIsFreedByUnlock() async throws {
        let server = try ThrowawayPostgres(self)
        let location = ShardLocation(name: "control", path: server.dsn())
        let first = try PostgresRunStore(location: location, applicationName: "seeder first-holder")
        let second = try PostgresRunStore(location: location, applicationName: "seeder second")
        try await first.lockRun(job: "j", model: model, tenant: "public")
        try await first.lockRun(job: "j", model: model, tenant: "public")  // already ours
        do {
            try await second.lockRun(job: "j", model: model, tenant: "public")
            XCTFail("the second store took a lock the first holds")
        } catch let error as RunLockHeld {
            XCTAssertTrue(error.holder.contains("seeder first-holder"), error.holder)
        }
        try await second.lockRun(job: "j", model: model, tenant: "other")  // another tenant: another lock
        try await first.unlockRun()
        try await second.lockRun(job: "j", model: model, tenant: "public")
    }

    func testRunLockLostOverARestartToAnotherProcessStopsTheRun() async throws {
        let server = try ThrowawayPostgres(self)
        let location = ShardLocation(name: "control", path: server.dsn())
        let first = try PostgresRunStore(location: location, applicationName: "seeder first", giveUpAfter: .seconds(60))
        try await first.insertRun(runRecord("r1"))
        try await first.lockRun(job: "j", model: model, tenant: "public")
        try server.restart()
        // Retaken on reconnecting: the run goes on.
        try await first.saveProgress(of: runRecord("r1"), failures: [])
        try server.restart()
        let thief = try PostgresRunStore(location: location, applicationName: "seeder thief")
        try await thief.lockRun(job: "j", model: model, tenant: "public")
        do {
            try await first.saveProgress(of: runRecord("r1"), failures: [])
            XCTFail("a run went on without its lock")
        } catch let error as RunLockHeld {
            XCTAssertTrue(error.holder.contains("seeder thief"), error.holder)
        }
    }

    func testWritesSurviveARestartBetweenThem() async throws {
        let server = try ThrowawayPostgres(self)
        let shard = try openShard(server)
        let first = try await shard.write(batch(0..<100), model: model, tenant: "public", runID: "r", chunkEnd: 1, source: "s")
        try server.restart()
        let second = try await shard.write(batch(100..<200), model: model, tenant: "public", runID: "r", chunkEnd: 2, source: "s")
        let lookups = try await shard.lookup((0..<200).map { TextHash(normalized: "t\($0)") }, model: model, tenant: "public")
        XCTAssertEqual([first, second, lookups.count], [100, 100, 200])
        XCTAssertEqual(try psql(server, "SELECT count(*), count(DISTINCT text_hash) FROM embeddings"), "200|200")
        XCTAssertEqual(try psql(server, "SELECT count(*) FROM seeder_texts"), "200")
        await shard.close()
    }

    func testAWriteLoopSurvivesRestartsWhileItRuns() async throws {
        let server = try ThrowawayPostgres(self)
        let shard = try openShard(server)
        let model = self.model
        let progress = ChunkCounter()
        let loop = Task {
            var inserted = 0
            for chunk in 0..<40 {
                var rows = ShardBatch(dimensions: 4)
                for i in (chunk * 500)..<((chunk + 1) * 500) {
                    rows.hashes.append(TextHash(normalized: "t\(i)"))
                    rows.vectors += [Float(i), 0, 0, 1]
                    rows.texts.append(SeededText(source: "s", category: "", recordID: "\(i)", title: "", text: "t\(i)"))
                }
                inserted += try await shard.write(rows, model: model, tenant: "public", runID: "r", chunkEnd: Int64(chunk + 1), source: "s")
                progress.increment()
                // Spread the chunks over the restarts.
                try await Task.sleep(for: .milliseconds(40))
            }
            return inserted
        }
        for _ in 0..<2 {
            try await Task.sleep(for: .milliseconds(400))
            try server.restart()
        }
        XCTAssertLessThan(progress.value, 40, "the restarts happened while the loop was writing")
        let inserted = try await loop.value
        // A chunk whose COMMIT got no answer was redone and may have counted 0 the second time.
        XCTAssertLessThanOrEqual(inserted, 20_000)
        XCTAssertEqual(try psql(server, "SELECT count(*), count(DISTINCT text_hash) FROM embeddings"), "20000|20000")
        XCTAssertEqual(try psql(server, "SELECT count(*), count(DISTINCT text_hash) FROM seeder_texts"), "20000|20000")
        await shard.close()
    }

    func testInspectReportsATableThatIsNotTheCaches() async throws {
        let server = try ThrowawayPostgres(self)
        _ = try psql(server, "CREATE SCHEMA odd; CREATE TABLE odd.embeddings (text_hash TEXT PRIMARY KEY, model TEXT, model_version TEXT, dimensions BIGINT, vector TEXT, tenant_id TEXT)")
        let shard = try openShard(server, schema: "odd")
        let inspection = try await shard.inspect()
        XCTAssertEqual(inspection.schemaVersion, 3)
        XCTAssertEqual(Set(inspection.schemaProblems), [
            "embeddings.dimensions is bigint, expected integer", "embeddings.vector is text, expected bytea",
            "embeddings: missing column created_at", "embeddings: missing column last_hit_at", "embeddings: missing column hit_count",
            "embeddings has primary key (text_hash), expected (text_hash, model, model_version, tenant_id)",
        ])
        XCTAssertEqual(try psql(server, "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'odd' AND table_name = 'embeddings'"), "6",
                       "an existing embeddings table is never altered")
        await shard.close()
    }

    func testAnUnreachableServerIsAStoreErrorWithoutThePassword() throws {
        let port = try ThrowawayPostgres.freePort()
        let location = ShardLocation(name: "7", path: "postgres://seeder:Sup3rSecret@127.0.0.1:\(port)/postgres?schema=x")
        XCTAssertThrowsError(try PostgresShard(location: location)) { error in
            guard let error = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertFalse("\(error)".contains("Sup3rSecret"), "\(error)")
            XCTAssertTrue("\(error)".contains("shard 7"), "\(error)")
            XCTAssertTrue("\(error)".contains("***"), "\(error)")
        }
        XCTAssertThrowsError(try PostgresRunStore(location: location)) { error in
            XCTAssertFalse("\(error)".contains("Sup3rSecret"), "\(error)")
        }
    }

    func testGivingUpOnAServerThatStaysDownIsAStoreError() async throws {
        let server = try ThrowawayPostgres(self)
        let shard = try PostgresShard(location: ShardLocation(name: "0", path: server.dsn()), giveUpAfter: .seconds(2))
        _ = try server.run("pg_ctl", ["-D", server.dataDirectory, "-m", "fast", "-w", "stop"])
        do {
            _ = try await shard.write(batch(0..<3), model: model, tenant: "public", runID: "r", chunkEnd: 1, source: "s")
            XCTFail("wrote to a stopped server")
        } catch let error as StoreError {
            XCTAssertTrue(error.message.contains("unreachable for"), error.description)
        }
    }

    func testRowsMoveBetweenShardsWithTheirHitCountsAndTimestamps() async throws {
        let server = try ThrowawayPostgres(self)
        let source = try openShard(server, schema: "src", name: "src"), target = try openShard(server, schema: "dst", name: "dst")
        _ = try await source.write(batch(0..<30), model: model, tenant: "public", runID: "r", chunkEnd: 5, source: "s")
        _ = try psql(server, "UPDATE src.embeddings SET hit_count = 7, last_hit_at = '2026-01-02 03:04:05.25', created_at = '2025-12-31 23:59:59' WHERE text_hash < '8'")
        var keys: [RowKey] = []
        var cursor: RowKey?
        while true {
            let page = try await source.scanKeys(after: cursor, limit: 7)
            if page.isEmpty { break }
            keys += page
            cursor = page.last
        }
        XCTAssertEqual(keys.count, 30)
        XCTAssertEqual(keys, keys.sorted(), "scanned in RowKey order")
        let rows = try await source.readRows(keys)
        XCTAssertEqual(rows.count, 30)
        XCTAssertTrue(rows.allSatisfy { $0.texts.count == 1 && $0.vector.count == 16 })
        let inserted = try await target.insertRows(rows)
        XCTAssertEqual(inserted, 30)
        let insertedAgain = try await target.insertRows(rows)
        XCTAssertEqual(insertedAgain, 0)
        let moved = try await target.readRows(keys)
        XCTAssertEqual(moved.sorted { $0.key < $1.key }, rows.sorted { $0.key < $1.key }, "rows arrive unchanged")
        XCTAssertTrue(moved.contains { $0.hitCount == 7 && $0.lastHitAt == "2026-01-02 03:04:05.25" && $0.createdAt == "2025-12-31 23:59:59" })
        let sourceDigest = try await source.digest(), targetDigest = try await target.digest()
        XCTAssertEqual(sourceDigest, targetDigest)
        let deleted = try await source.deleteRows(Array(keys.prefix(10)))
        XCTAssertEqual(deleted, 10)
        XCTAssertEqual(try psql(server, "SELECT count(*) FROM src.embeddings") + "," + psql(server, "SELECT count(*) FROM src.seeder_texts"), "20,20")
        await source.close()
        await target.close()
    }
}

/// Chunks a write loop has finished, read from the test's own task.
private final class ChunkCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
