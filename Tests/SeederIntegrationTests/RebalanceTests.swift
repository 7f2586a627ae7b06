import Foundation
import XCTest
@testable import SeederCore

/// `seeder shards rebalance` and `seeder shards check` over real shards: SQLite files here, PostgreSQL databases in
/// PostgresRebalanceTests; the scenario is the same for both (``RebalanceScenario``).
final class RebalanceTests: XCTestCase {
    func testFourToFiveSQLiteShardsOver200kKeysMovesAFifthAndCheckFindsEveryKeyOnItsOwner() async throws {
        let dir = try makeTemporaryDirectory(self)
        let locations = (0..<5).map { ShardLocation(name: String($0), path: "\(dir)/s\($0).sqlite") }
        try await RebalanceScenario(keys: 200_000, settings: sqliteSettings(Array(locations.prefix(4))), to: locations).run()
    }

    func testAnInterruptedRebalanceFinishesOnTheNextRunWithNothingLostOrDoubled() async throws {
        let dir = try makeTemporaryDirectory(self)
        let locations = (0..<3).map { ShardLocation(name: String($0), path: "\(dir)/s\($0).sqlite") }
        let old = sqliteSettings(Array(locations.prefix(2)))
        let stores = try StoreOpener.open(old).shards
        try await RebalanceScenario.seed(stores, keys: 3_000)
        let before = try await RebalanceScenario.contents(stores)
        let moving = try ShardRebalancer(settings: old, to: locations)
        let plan = try await moving.run(dryRun: true)
        // A crash between the copy and the delete: some rows of shard 0 are on the new shard as well.
        let newRing = try ShardRing(shardNames: ["0", "1", "2"])
        let keys = try await stores[0].scanKeys(after: nil, limit: 500).filter { newRing.shard(for: TextHash(hex: $0.textHash)!) == 2 }
        XCTAssertFalse(keys.isEmpty)
        let fresh = try StoreOpener.shard(locations[2], settings: old)
        let copied = try await fresh.insertRows(try await stores[0].readRows(keys))
        XCTAssertEqual(copied, keys.count)
        let finished = try await ShardRebalancer(settings: old, to: locations).run(dryRun: false)
        XCTAssertEqual(finished.totalMoved, plan.totalMoved, "the rows copied before the crash move again (a no-op copy, then the delete)")
        let after = try await RebalanceScenario.contents(try StoreOpener.open(sqliteSettings(locations)).shards)
        XCTAssertEqual(after, before, "every row once, unchanged")
    }

    func testTheCommandsDryRunCountsThenMovesAndCheckSaysWhatIsWrong() async throws {
        let dir = try makeTemporaryDirectory(self)
        let job = "\(dir)/job.toml"
        try writeJob(at: job, input: Repo.abstractsSample, shards: ["\(dir)/a.sqlite", "\(dir)/b.sqlite"])
        let seeder = try SeederBinary.locate()
        XCTAssertEqual(try seeder.run(["run", job, "--quiet"]).status, 0)
        let healthy = try seeder.run(["shards", "check", job])
        XCTAssertEqual(healthy.status, 0, healthy.stdout + healthy.stderr)
        XCTAssertTrue(healthy.stdout.contains("total\t177 rows"), healthy.stdout)

        let to = "\(dir)/a.sqlite,\(dir)/b.sqlite,\(dir)/c.sqlite"
        let dry = try seeder.run(["shards", "rebalance", job, "--to", to, "--dry-run"])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        let planned = try XCTUnwrap(Self.count(after: "would move ", in: dry.stdout), dry.stdout)
        XCTAssertGreaterThan(planned, 177 / 3 - 25)
        XCTAssertLessThan(planned, 177 / 3 + 25)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/c.sqlite"), "a dry run creates nothing")

        let moved = try seeder.run(["shards", "rebalance", job, "--to", to])
        XCTAssertEqual(moved.status, 0, moved.stderr)
        XCTAssertEqual(Self.count(after: "moved ", in: moved.stdout), planned)
        XCTAssertTrue(moved.stdout.contains("now set store.shards"), moved.stdout)

        // The job file still names the two old shards: what stayed on them is theirs, the moved rows are elsewhere.
        let old = try seeder.run(["shards", "check", job])
        XCTAssertEqual(old.status, 0, old.stdout)
        XCTAssertTrue(old.stdout.contains("total\t\(177 - planned) rows"), old.stdout)
        // The same files in another order are another ring (names go by position): keys on the wrong shard, exit 65.
        let shuffled = try seeder.run(["shards", "check", job, "--shards", "\(dir)/c.sqlite,\(dir)/a.sqlite,\(dir)/b.sqlite"])
        XCTAssertEqual(shuffled.status, SeederExitCode.dataError.rawValue, shuffled.stdout)
        XCTAssertTrue(shuffled.stdout.contains("PROBLEM") && shuffled.stdout.contains("misplaced: "), shuffled.stdout)
        let current = try seeder.run(["shards", "check", job, "--shards", to, "--json"])
        XCTAssertEqual(current.status, 0, current.stdout + current.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(current.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(report?["total_rows"] as? Int, 177)
        let missing = try seeder.run(["shards", "check", job, "--shards", "\(dir)/a.sqlite,\(dir)/nope.sqlite"])
        XCTAssertEqual(missing.status, SeederExitCode.storeUnavailable.rawValue, missing.stdout)
        XCTAssertTrue(missing.stdout.contains("no such file"), missing.stdout)
    }

    private static func count(after prefix: String, in text: String) -> Int? {
        guard let range = text.range(of: prefix) else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }
}

func sqliteSettings(_ shards: [ShardLocation]) -> JobConfig.StoreSettings {
    JobConfig.StoreSettings(kind: "sqlite", shards: shards, tenant: "public", durability: .normal)
}

/// Seeds `keys` rows over a ring of shards (two models, two tenants, some hits), rebalances to a new list, and
/// checks what the issue asks: about 1/N of the keys move, all to the new shard; the dry run counted exactly them;
/// `check` finds every key on its owner; every row is still there once, hit counts and timestamps included.
struct RebalanceScenario {
    let keys: Int
    let settings: JobConfig.StoreSettings
    let to: [ShardLocation]

    func run() async throws {
        let stores = try StoreOpener.open(settings).shards
        try await Self.seed(stores, keys: keys)
        let before = try await Self.contents(stores)
        XCTAssertEqual(before.count, keys)

        let plan = try await ShardRebalancer(settings: settings, to: to).run(dryRun: true)
        let done = try await ShardRebalancer(settings: settings, to: to).run(dryRun: false)
        XCTAssertEqual(done.moves, plan.moves, "the dry run counts exactly what moves")
        XCTAssertEqual(done.totalScanned, keys)
        let added = Set(to.map(\.name)).subtracting(settings.shards.map(\.name))
        XCTAssertTrue(done.moves.keys.allSatisfy { added.contains($0.to) }, "rendezvous hashing moves keys only to the new shards: \(done.moves)")
        let share = Double(done.totalMoved) / Double(keys), expected = Double(added.count) / Double(to.count)
        XCTAssertEqual(share, expected, accuracy: 0.01, "about 1/\(to.count) of the keys move")

        var after = settings
        after.shards = to
        let checks = try await ShardChecker.check(after)
        XCTAssertTrue(checks.allSatisfy(\.isHealthy), "\(checks)")
        XCTAssertEqual(checks.reduce(0) { $0 + ($1.inspection?.rows ?? 0) }, keys, "the totals are unchanged")
        let stale = try await ShardChecker.check(settings)
        XCTAssertEqual(stale.reduce(0) { $0 + ($1.inspection?.rows ?? 0) } + done.totalMoved, keys)
        XCTAssertEqual(stale.reduce(0) { $0 + $1.misplaced }, 0, "what stays on the old shards is theirs")

        let moved = try await Self.contents(try StoreOpener.open(after).shards)
        XCTAssertEqual(moved, before, "every row once, with its vector, hit count and timestamps")
    }

    /// Writes `keys` rows, each on its owner in the ring of `stores`: hash vectors, a quarter of them under another
    /// model or tenant, every seventh with hits.
    static func seed(_ stores: [ShardStore], keys: Int) async throws {
        let ring = try ShardRing(shardNames: stores.map(\.location.name))
        let models = [StoredModel(model: "m", version: "1", dimensions: 4), StoredModel(model: "m", version: "2", dimensions: 4)]
        var batches: [[Int: ShardBatch]] = Array(repeating: [:], count: 4)
        for i in 0..<keys {
            let hash = TextHash(normalized: "text \(i)")
            let group = i % 4  // model × tenant
            let vector = HashEmbeddingProvider.vectors(for: [hash], dimensions: 4).values
            vector.withUnsafeBufferPointer {
                batches[group][ring.shard(for: hash), default: ShardBatch(dimensions: 4)]
                    .append(hash: hash, vector: $0, text: SeededText(source: "s", category: "c\(i % 5)", recordID: "\(i)", title: "", text: "text \(i)"))
            }
        }
        for (group, byShard) in batches.enumerated() {
            for (shard, batch) in byShard {
                _ = try await stores[shard].write(batch, model: models[group % 2], tenant: group < 2 ? "public" : "acme", runID: "seed",
                                                  chunkEnd: Int64(keys), source: "s")
            }
        }
        // Hits, as the cache server records them: read back and rewritten through the same interface.
        for store in stores {
            var cursor: RowKey?
            while true {
                let page = try await store.scanKeys(after: cursor, limit: 5_000)
                guard let last = page.last else { break }
                cursor = last
                let hit = page.filter { Int($0.textHash.prefix(4), radix: 16)! % 7 == 0 }
                var rows = try await store.readRows(hit)
                for i in rows.indices {
                    rows[i].hitCount = Int64(i % 9 + 1)
                    rows[i].lastHitAt = "2026-11-0\(i % 9 + 1) 12:00:00"
                }
                _ = try await store.deleteRows(hit)
                _ = try await store.insertRows(rows)
            }
        }
    }

    /// Every row of `stores`, by key (a key twice would collide and fail the count).
    static func contents(_ stores: [ShardStore]) async throws -> [RowKey: StoredRow] {
        var all: [RowKey: StoredRow] = [:]
        var count = 0
        for store in stores {
            var cursor: RowKey?
            while true {
                let page = try await store.scanKeys(after: cursor, limit: 5_000)
                guard let last = page.last else { break }
                cursor = last
                for row in try await store.readRows(page) {
                    all[row.key] = row
                    count += 1
                }
            }
        }
        XCTAssertEqual(count, all.count, "no key on two shards")
        return all
    }
}

/// The same scenario in PostgreSQL: five schemas of one throwaway server, and a move from SQLite files into it.
final class PostgresRebalanceTests: XCTestCase {
    func testFourToFivePostgreSQLShardsOver200kKeysMovesAFifthAndCheckFindsEveryKeyOnItsOwner() async throws {
        let server = try ThrowawayPostgres(self)
        let locations = (0..<5).map { ShardLocation(name: String($0), path: server.dsn() + "?schema=r\($0)") }
        var settings = sqliteSettings(Array(locations.prefix(4)))
        settings.kind = "postgres"
        try await RebalanceScenario(keys: 200_000, settings: settings, to: locations).run()
    }

    func testAJobMovesFromSQLiteFilesToPostgreSQLWithEveryRowIntact() async throws {
        let server = try ThrowawayPostgres(self)
        let dir = try makeTemporaryDirectory(self)
        let files = (0..<2).map { ShardLocation(name: String($0), path: "\(dir)/s\($0).sqlite") }
        let databases = (0..<3).map { ShardLocation(name: String($0), path: server.dsn() + "?schema=m\($0)") }
        let stores = try StoreOpener.open(sqliteSettings(files)).shards
        try await RebalanceScenario.seed(stores, keys: 5_000)
        let before = try await RebalanceScenario.contents(stores)
        let report = try await ShardRebalancer(settings: sqliteSettings(files), to: databases).run(dryRun: false)
        XCTAssertEqual(report.totalMoved, 5_000, "every row leaves the files")
        var target = sqliteSettings(databases)
        target.kind = "postgres"
        let after = try await RebalanceScenario.contents(try StoreOpener.open(target).shards)
        XCTAssertEqual(after, before, "vectors, hit counts, timestamps and texts arrive unchanged")
        let checks = try await ShardChecker.check(target)
        XCTAssertTrue(checks.allSatisfy(\.isHealthy), "\(checks)")
    }
}
