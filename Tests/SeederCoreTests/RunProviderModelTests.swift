import Foundation
@testable import SeederCore
import XCTest

final class RunProviderModelTests: XCTestCase {
    func testAVersion1ShardGainsProviderModelAndASavedRunKeepsIt() throws {
        let dir = try temporaryDirectory(self)
        let path = "\(dir)/s.sqlite"
        do {  // a shard as the first version wrote it, with a run
            let db = try SQLiteConnection(path: path)
            try db.execute(ShardSchema.migrations[0])
            try db.execute("PRAGMA user_version = 1")
            try db.execute("""
                INSERT INTO seeder_runs (run_id, job, model_alias, model, model_version, dimensions, tenant_id, provider, source_kind,
                  input, normalizer_version, shard_names, state, checkpoint, counters, started_at, updated_at)
                VALUES ('old', 'j', 'minilm-l6', 'm', '1', 4, 'public', 'hash', 'wikipedia-abstracts', '/in', '1', '["0"]',
                  'done', '{"items":0,"bytes":0}', '{}', 1000, 1000)
                """)
        }
        let shard = try SQLiteShard(location: ShardLocation(name: "0", path: path), durability: .normal)
        XCTAssertEqual(try shard.runs(job: "j").map(\.providerModel), [nil])

        let model = StoredModel(model: "m", version: "1", dimensions: 4)
        var run = RunRecord(id: "r1", job: "k", modelAlias: "minilm-l6", stored: model, tenant: "public", provider: "tei",
                            sourceKind: "wikipedia-abstracts", input: "/in", normalizerVersion: "1", shardNames: ["0"],
                            state: .running, checkpoint: .start, counters: RunCounters(), error: nil,
                            startedAt: Date(timeIntervalSince1970: 1000), updatedAt: Date(timeIntervalSince1970: 1000),
                            finishedAt: nil, activeSeconds: 0, attempts: 1,
                            providerModel: #"{"model_id":"BAAI/bge-small-en-v1.5","model_sha":"abc"}"#)
        try shard.insertRun(run)
        run.providerModel = nil  // a save that knows nothing new keeps what was recorded
        run.state = .done
        try shard.saveProgress(of: run, failures: [])
        XCTAssertEqual(try shard.runs(job: "k").first?.providerModel, #"{"model_id":"BAAI/bge-small-en-v1.5","model_sha":"abc"}"#)
    }
}
