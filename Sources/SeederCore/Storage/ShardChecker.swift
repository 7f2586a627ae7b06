import Foundation

/// What `seeder shards check` found in one shard.
public struct ShardCheck: Sendable, Equatable {
    public var name: String
    /// The path or DSN, password redacted.
    public var displayPath: String
    /// Why the shard could not be read (unreachable, missing file…), nil when it could.
    public var unreachable: String?
    public var inspection: ShardInspection?
    /// Keys whose owner on the ring is another shard, and a few of them with their owner, for the message.
    public var misplaced: Int
    public var misplacedExamples: [String]

    /// Whether the shard is reachable, its schema as expected, and every key on it its own.
    public var isHealthy: Bool {
        unreachable == nil && (inspection?.schemaProblems.isEmpty ?? false) && misplaced == 0
    }
}

/// Checks a job's shards: reachable, the cache's table as the cache server expects it, rows per shard, and every
/// key on the shard the ring gives it.
public enum ShardChecker {
    /// Keys read per scan step.
    static let scanBatch = 10_000

    /// Checks every shard of `settings`. A missing SQLite file is reported, not created.
    public static func check(_ settings: JobConfig.StoreSettings) async throws -> [ShardCheck] {
        let ring = try ShardRing(shardNames: settings.shards.map(\.name))
        var results: [ShardCheck] = []
        for (index, location) in settings.shards.enumerated() {
            var result = ShardCheck(name: location.name, displayPath: location.displayPath, unreachable: nil, inspection: nil,
                                    misplaced: 0, misplacedExamples: [])
            if !location.isPostgres && !FileManager.default.fileExists(atPath: location.path) {
                result.unreachable = "no such file"
                results.append(result)
                continue
            }
            let store: ShardStore
            do {
                store = try await StoreOpener.offPool { try StoreOpener.shard(location, settings: settings, inspecting: true) }
            } catch {
                result.unreachable = String(describing: error)
                results.append(result)
                continue
            }
            do {
                result.inspection = try await store.inspect()
                var cursor: RowKey?
                while true {
                    let keys = try await store.scanKeys(after: cursor, limit: scanBatch)
                    guard let last = keys.last else { break }
                    for key in keys {
                        guard let hash = TextHash(hex: key.textHash) else {
                            result.misplaced += 1
                            if result.misplacedExamples.count < 5 { result.misplacedExamples.append("\(key.textHash) is not a SHA-256 in hex") }
                            continue
                        }
                        let owner = ring.shard(for: hash)
                        if owner != index {
                            result.misplaced += 1
                            if result.misplacedExamples.count < 5 {
                                result.misplacedExamples.append("\(key.textHash) belongs on shard \(ring.shardNames[owner])")
                            }
                        }
                    }
                    cursor = last
                }
            } catch {
                result.unreachable = String(describing: error)
            }
            await store.close()
            results.append(result)
        }
        return results
    }
}
