import Foundation
import SeederCore
import XCTest

/// `seeder sweep` on SQLite files and on PostgreSQL: the dry run's counts are exact, per shard, model value and
/// version; only the model's own stale rows of the tenant go (never the kept version, another tenant, another model,
/// nor a model whose id merely starts the same); `--mark` flags without deleting; `--reseed` queues the stale rows'
/// texts, and `seeder run --reseed` embeds them hottest first and empties the queue.
final class SweepTests: XCTestCase {
    static let canonical = "sentence-transformers/all-MiniLM-L6-v2"

    /// The rows a scenario writes: (model value, version, tenant, with a seeder_texts row), and whether a sweep of
    /// minilm-l6 keeping version 1 in tenant public removes it.
    static let groups: [(model: String, version: String, tenant: String, texts: Bool, stale: Bool)] = [
        (canonical, "0", "public", true, true),
        (canonical + "|dim=256", "0", "public", true, true),
        (canonical, "0", "public", false, true),        // written by the cache itself: no text
        (canonical, "1", "public", true, false),        // the current version
        (canonical, "0", "acme", true, false),          // another tenant
        (canonical + "-large", "0", "public", true, false),  // another model that starts the same
        ("BAAI/bge-small-en-v1.5", "0", "public", true, false),
    ]
    static let perGroup = 150

    /// Writes every group's rows on their owner shards; text i of a group has i % 7 hits.
    static func seed(_ stores: [ShardStore]) async throws -> [String: Int64] {
        let ring = try ShardRing(shardNames: stores.map(\.location.name))
        var stalePerShard: [String: Int64] = [:]
        for (g, group) in groups.enumerated() {
            var rows = [[StoredRow]](repeating: [], count: stores.count)
            for i in 0..<perGroup {
                // Groups 0 and 1 share their texts: the same text queued once for the model.
                let text = "sweep text \(g <= 1 ? 0 : g) number \(i)"
                let hash = TextHash(normalized: text)
                let key = RowKey(textHash: hash.hex, model: group.model, modelVersion: group.version, tenant: group.tenant)
                let owner = ring.shard(for: hash)
                let seeded = SeededText(source: "wikipedia", category: "cat\(i % 3)", recordID: "\(g)-\(i)", title: "t\(i)", text: text)
                rows[owner].append(StoredRow(key: key, dimensions: 2, vector: [0, 0, 128, 63, 0, 0, 0, 64], createdAt: nil,
                                             lastHitAt: i % 7 == 0 ? nil : "2026-11-0\(1 + i % 9) 10:00:00", hitCount: Int64(i % 7),
                                             texts: group.texts ? [SeededTextRow(runID: "seed", chunkEnd: 1, text: seeded, createdAt: nil)] : []))
                if group.stale { stalePerShard[stores[owner].location.name, default: 0] += 1 }
            }
            for (s, batch) in rows.enumerated() where !batch.isEmpty { _ = try await stores[s].insertRows(batch) }
        }
        return stalePerShard
    }

    /// Rows per (model, version, tenant) over every shard.
    static func census(_ stores: [ShardStore], scope: SweepScope) async throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        for store in stores {
            for tenant in ["public", "acme"] {
                for model in [canonical, canonical + "-large", "BAAI/bge-small-en-v1.5"] {
                    for count in try await store.staleCounts(SweepScope(model: model, keepVersion: scope.keepVersion, tenant: tenant)) {
                        out["\(count.model)@\(count.version)/\(tenant)", default: 0] += count.rows
                    }
                }
            }
        }
        return out
    }

    func writeJob(_ path: String, shards: [String]) throws {
        try """
            [source]
            kind = "lines"
            input = "/dev/null"
            [model]
            name = "minilm-l6"
            [provider]
            kind = "hash"
            [store]
            shards = [\(shards.map { "\"\($0)\"" }.joined(separator: ", "))]
            durability = "normal"
            [batch]
            chunk_records = 1
            """.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func runScenario(shards: [String], settings: JobConfig.StoreSettings, dir: String) async throws {
        let seeder = try SeederBinary.locate()
        let stores = try StoreOpener.open(settings).shards
        let stalePerShard = try await Self.seed(stores)
        let scope = SweepScope(model: Self.canonical, keepVersion: "1", tenant: "public")
        let before = try await Self.census(stores, scope: scope)
        let job = "\(dir)/job.toml"
        try writeJob(job, shards: shards)

        // The dry run: exact counts per shard, nothing changed.
        let dry = try seeder.run(["sweep", job, "--model", "minilm-l6", "--dry-run", "--json"])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        let plan = try JSONSerialization.jsonObject(with: Data(dry.stdout.utf8)) as! [String: Any]
        let planned = Dictionary(uniqueKeysWithValues: (plan["shards"] as! [[String: Any]]).map { ($0["shard"] as! String, ($0["stale_rows"] as! NSNumber).int64Value) })
        XCTAssertEqual(planned, stalePerShard)
        let afterDryRun = try await Self.census(stores, scope: scope)
        XCTAssertEqual(afterDryRun, before)
        let text = try seeder.run(["sweep", job, "--model", "minilm-l6", "--dry-run"])
        XCTAssertTrue(text.stdout.contains("\(Self.canonical)|dim=256\tversion 0\t"), text.stdout)
        XCTAssertTrue(text.stdout.contains("total\t\(stalePerShard.values.reduce(0, +)) stale rows would be deleted"), text.stdout)

        // --mark flags them and deletes nothing.
        let mark = try seeder.run(["sweep", job, "--model", "minilm-l6", "--mark", "--batch", "37", "--json"])
        XCTAssertEqual(mark.status, 0, mark.stderr)
        let marked = (try JSONSerialization.jsonObject(with: Data(mark.stdout.utf8)) as! [String: Any])["shards"] as! [[String: Any]]
        XCTAssertEqual(marked.reduce(Int64(0)) { $0 + ($1["marked"] as! NSNumber).int64Value }, stalePerShard.values.reduce(0, +))
        let afterMark = try await Self.census(stores, scope: scope)
        XCTAssertEqual(afterMark, before)

        // Delete, queueing the texts: only the stale rows go.
        let sweep = try seeder.run(["sweep", job, "--model", "minilm-l6", "--reseed", "--batch", "37", "--json"])
        XCTAssertEqual(sweep.status, 0, sweep.stderr)
        let swept = (try JSONSerialization.jsonObject(with: Data(sweep.stdout.utf8)) as! [String: Any])["shards"] as! [[String: Any]]
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: swept.map { ($0["shard"] as! String, ($0["deleted"] as! NSNumber).int64Value) }), stalePerShard)
        // One queued text per distinct stale text with a seeder_texts row (groups 0 and 1 share theirs).
        XCTAssertEqual(swept.reduce(Int64(0)) { $0 + ($1["queued"] as! NSNumber).int64Value }, Int64(Self.perGroup))
        var after = before
        for (g, group) in Self.groups.enumerated() where group.stale && g != 2 { after["\(group.model)@\(group.version)/\(group.tenant)"] = nil }
        after["\(Self.canonical)@0/public"] = nil
        let afterSweep = try await Self.census(stores, scope: scope)
        XCTAssertEqual(afterSweep, after)
        XCTAssertEqual(after["\(Self.canonical)@1/public"], Int64(Self.perGroup))
        XCTAssertEqual(after["\(Self.canonical)@0/acme"], Int64(Self.perGroup))
        XCTAssertEqual(after["\(Self.canonical)-large@0/public"], Int64(Self.perGroup))
        // Run again: a finished sweep finds nothing more.
        let again = try seeder.run(["sweep", job, "--model", "minilm-l6", "--json"])
        XCTAssertTrue(again.stdout.contains("\"stale_rows\" : 0"), again.stdout)

        // The queue, hottest first: re-embedded one text a checkpoint, so chunk_end is each text's place.
        let reseed = try seeder.run(["run", job, "--reseed", "minilm-l6", "--progress", "off"])
        XCTAssertEqual(reseed.status, 0, reseed.stderr)
        XCTAssertTrue(reseed.stdout.contains("stored       \(Self.perGroup) rows"), reseed.stdout)
        var order: [(Int64, Int64, String)] = []
        for store in stores {
            let keys = try await store.scanKeys(after: nil, limit: 100_000)
            for row in try await store.readRows(keys) where row.key.model.hasPrefix("seeder-hash") {
                XCTAssertEqual(row.texts.first?.text.source, "wikipedia", "a re-embedded text keeps its source")
                let i = Int64(row.texts.first!.text.title.dropFirst())!
                order.append((row.texts.first!.chunkEnd, i % 7, row.key.textHash))
            }
        }
        XCTAssertEqual(order.count, Self.perGroup)
        let sorted = order.sorted { $0.0 < $1.0 }
        XCTAssertEqual(sorted.map(\.1), sorted.map(\.1).sorted(by: >), "hottest first")
        for store in stores {
            let left = try await store.reseedQueue(model: Self.canonical, tenant: "public", after: nil, limit: 10)
            XCTAssertEqual(left, [], "a finished reseed empties the queue")
        }
        for store in stores { await store.close() }
    }

    func testSweepOnSQLiteShards() async throws {
        let dir = try makeTemporaryDirectory(self)
        let locations = (0..<4).map { ShardLocation(name: "\($0)", path: "\(dir)/s\($0).sqlite") }
        try await runScenario(shards: locations.map(\.path), settings: sqliteSettings(locations), dir: dir)
    }

    func testSweepOnPostgresShards() async throws {
        let server = try ThrowawayPostgres(self)
        let dir = try makeTemporaryDirectory(self)
        let locations = (0..<4).map { ShardLocation(name: "\($0)", path: server.dsn() + "?schema=sweep\($0)") }
        var settings = sqliteSettings(locations)
        settings.kind = "postgres"
        try await runScenario(shards: locations.map(\.path), settings: settings, dir: dir)
    }
}
