import Foundation
import XCTest
@testable import SeederCore

final class SQLiteShardTests: XCTestCase {
    func testSchemaIsTheCachesTableAndMigrationsAreIdempotent() throws {
        let dir = try temporaryDirectory(self)
        let location = ShardLocation(name: "0", path: "\(dir)/nested/s.sqlite")
        _ = try SQLiteShard(location: location, durability: .full)
        _ = try SQLiteShard(location: location, durability: .full)  // opening again migrates nothing
        let db = try SQLiteConnection(path: location.path)
        let columns = try db.cachedStatement("SELECT name, type, \"notnull\", pk FROM pragma_table_info('embeddings') ORDER BY cid")
        var got: [String] = []
        while try columns.step() { got.append("\(columns.string(at: 0) ?? "") \(columns.string(at: 1) ?? "") \(columns.int64(at: 2)) \(columns.int64(at: 3))") }
        XCTAssertEqual(got, ["text_hash TEXT 1 1", "model TEXT 1 2", "model_version TEXT 1 3", "dimensions INTEGER 1 0",
                             "vector BLOB 1 0", "tenant_id TEXT 1 4", "created_at TIMESTAMP 0 0", "last_hit_at TIMESTAMP 0 0",
                             "hit_count INTEGER 0 0"])
        let mode = try db.cachedStatement("PRAGMA journal_mode")
        XCTAssertTrue(try mode.step())
        XCTAssertEqual(mode.string(at: 0), "wal")
    }

    func testWritesAreIdempotentAndVectorsAreLittleEndianFloat32() throws {
        let dir = try temporaryDirectory(self)
        let shard = try SQLiteShard(location: ShardLocation(name: "0", path: "\(dir)/s.sqlite"), durability: .normal)
        let model = StoredModel(model: "m", version: "1", dimensions: 2)
        var batch = ShardBatch(dimensions: 2)
        batch.hashes = [TextHash(normalized: "a"), TextHash(normalized: "b")]
        batch.vectors = [1.0, -2.5, 0.25, 3.0]
        batch.texts = ["a", "b"].map { SeededText(source: "s", category: "c", recordID: $0, title: "t", text: $0) }
        XCTAssertEqual(try shard.write(batch, model: model, tenant: "public", runID: "r1", chunkEnd: 10, source: "s"), 2)
        XCTAssertEqual(try shard.write(batch, model: model, tenant: "public", runID: "r2", chunkEnd: 10, source: "s"), 0)
        let found = try shard.lookup([TextHash(normalized: "a"), TextHash(normalized: "zzz")], model: model, tenant: "public")
        XCTAssertEqual(found, [TextHash(normalized: "a")])
        XCTAssertEqual(try shard.keysWritten(runID: "r1", after: 9), [TextHash(normalized: "a"), TextHash(normalized: "b")])
        XCTAssertEqual(try shard.keysWritten(runID: "r1", after: 10), [], "only chunks ending after the checkpoint")
        XCTAssertEqual(try shard.keysWritten(runID: "r2", after: 0), [], "a row written once is credited to the run that inserted it")
        XCTAssertTrue(try shard.lookup([TextHash(normalized: "a")], model: model, tenant: "other").isEmpty)
        XCTAssertTrue(try shard.lookup([TextHash(normalized: "a")], model: StoredModel(model: "m", version: "2", dimensions: 2), tenant: "public").isEmpty)

        let db = try SQLiteConnection(path: "\(dir)/s.sqlite")
        let row = try db.cachedStatement("SELECT vector FROM embeddings WHERE text_hash = ?1")
        try row.bind(TextHash(normalized: "a").hex, at: 1)
        XCTAssertTrue(try row.step())
        XCTAssertEqual(row.blob(at: 0), [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0])  // 1.0, -2.5
    }

    func testLookupsLargerThanOneStatementAreSplit() throws {
        let dir = try temporaryDirectory(self)
        let shard = try SQLiteShard(location: ShardLocation(name: "0", path: "\(dir)/s.sqlite"), durability: .normal)
        let model = StoredModel(model: "m", version: "1", dimensions: 1)
        var batch = ShardBatch(dimensions: 1)
        for i in 0..<1_234 {
            batch.hashes.append(TextHash(normalized: "t\(i)"))
            batch.vectors.append(Float(i))
            batch.texts.append(SeededText(source: "s", category: "", recordID: "\(i)", title: "", text: "t\(i)"))
        }
        try shard.write(batch, model: model, tenant: "public", runID: "r", chunkEnd: 1, source: "s")
        let probe = (0..<2_000).map { TextHash(normalized: "t\($0)") }
        XCTAssertEqual(try shard.lookup(probe, model: model, tenant: "public").count, 1_234)
        XCTAssertEqual(try shard.digest().rows, 1_234)
    }

    func testRunsRoundTripWithCheckpointCountersAndFailures() throws {
        let dir = try temporaryDirectory(self)
        let shard = try SQLiteShard(location: ShardLocation(name: "0", path: "\(dir)/s.sqlite"), durability: .normal)
        let model = StoredModel(model: "m", version: "1", dimensions: 4)
        var run = RunRecord(id: "r1", job: "j", modelAlias: "minilm-l6", stored: model, tenant: "public", provider: "hash",
                            sourceKind: "wikipedia-abstracts", input: "/in", normalizerVersion: "1", shardNames: ["0", "1"],
                            state: .running, checkpoint: .start, counters: RunCounters(), error: nil,
                            startedAt: Date(timeIntervalSince1970: 1000), updatedAt: Date(timeIntervalSince1970: 1000),
                            finishedAt: nil, activeSeconds: 0, attempts: 1)
        try shard.insertRun(run)
        run.checkpoint = SourceCheckpoint(items: 42, bytes: 9)
        run.counters.itemsRead = 42
        run.counters.skipped = ["too_long": 1]
        run.state = .paused
        try shard.saveProgress(of: run, failures: [RecordFailure(ordinal: 7, recordID: "x", reason: .tooLong, detail: "2 MB")])
        XCTAssertEqual(try shard.resumableRun(job: "j", model: model, tenant: "public"), run)
        XCTAssertNil(try shard.resumableRun(job: "j", model: model, tenant: "other"))
        XCTAssertEqual(try shard.failures(runID: "r1"), [RecordFailure(ordinal: 7, recordID: "x", reason: .tooLong, detail: "2 MB")])
        run.state = .done
        try shard.saveProgress(of: run, failures: [])
        XCTAssertNil(try shard.resumableRun(job: "j", model: model, tenant: "public"))
        XCTAssertEqual(try shard.runs(job: "j").map(\.state), [.done])
    }
}
