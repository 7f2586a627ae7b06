import Foundation
import XCTest
@testable import SeederCore

final class ShardRingTests: XCTestCase {
    // MARK: - Vectors shared with the cache server (docs/ring-vectors.json)

    private struct Vectors: Decodable {
        struct Mix: Decodable { let input: String; let output: String }
        struct Key: Decodable { let text_hash: String; let shard: Int }
        struct Case: Decodable { let shards: [String]; let seeds: [String]; let keys: [Key] }
        let algorithm: String
        let fmix64_examples: [Mix]
        let cases: [Case]
    }

    /// The package root, found from this file even when it is reached through a symlink.
    private static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent()  // SeederCoreTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()
    }

    private func loadVectors() throws -> Vectors {
        let url = Self.packageRoot.appendingPathComponent("docs/ring-vectors.json")
        return try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }

    func testVectorsMatch() throws {
        let vectors = try loadVectors()
        XCTAssertTrue(vectors.algorithm.hasPrefix("rendezvous-fmix64-v1"))
        for mix in vectors.fmix64_examples {
            let input = try XCTUnwrap(UInt64(mix.input, radix: 16))
            XCTAssertEqual(String(ShardRing.mix64(input), radix: 16).leftPadded(to: 16), mix.output, "fmix64(\(mix.input))")
        }
        let defaultSizes = Set(vectors.cases.filter { $0.shards == (0..<$0.shards.count).map(String.init) }.map(\.shards.count))
        XCTAssertTrue(defaultSizes.isSuperset(of: [1, 2, 3, 4, 8, 16]))
        XCTAssertTrue(vectors.cases.contains { $0.shards.contains("eu-1") })
        var checked = 0
        for c in vectors.cases {
            let ring = try ShardRing(shardNames: c.shards)
            XCTAssertEqual(ring.seeds.map { String($0, radix: 16).leftPadded(to: 16) }, c.seeds, "seeds of \(c.shards)")
            XCTAssertGreaterThanOrEqual(c.keys.count, 32)
            let hashes = try c.keys.map { try XCTUnwrap(TextHash(hex: $0.text_hash)) }
            for (i, key) in c.keys.enumerated() {
                // The keys are SHA-256 of "key-<i>", as the vectors file says.
                XCTAssertEqual(TextHash(normalized: "key-\(i)"), hashes[i])
                XCTAssertEqual(ring.shard(for: hashes[i]), key.shard, "\(key.text_hash) on \(c.shards)")
                checked += 1
            }
            XCTAssertEqual(ring.owners(of: hashes), c.keys.map(\.shard))
        }
        XCTAssertGreaterThanOrEqual(checked, 7 * 32)
    }

    // MARK: - Statistical properties (deterministic keys)


    /// Only `w0` takes part in placement, so the other words stay zero.
    private static func keys(_ n: Int, seed: UInt64) -> [TextHash] {
        var rng = SplitMix64(seed: seed)
        var out = [TextHash]()
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(TextHash(words: rng.next(), 0, 0, 0)) }
        return out
    }

    private static func defaultRing(_ n: Int) -> ShardRing {
        try! ShardRing(shardNames: (0..<n).map(String.init))
    }

    func testBalanceOverAMillionKeys() {
        let keys = Self.keys(1_000_000, seed: 1)
        var report: [String] = []
        for n in [2, 3, 4, 8, 16] {
            var counts = [Int](repeating: 0, count: n)
            for owner in Self.defaultRing(n).owners(of: keys) { counts[owner] += 1 }
            let fair = Double(keys.count) / Double(n)
            let worst = counts.map { abs(Double($0) / fair - 1) }.max()!
            report.append("N=\(n) max deviation \(String(format: "%.3f", worst * 100))%")
            XCTAssertLessThanOrEqual(worst, 0.05, "N=\(n) counts \(counts)")
        }
        print("ShardRing balance: " + report.joined(separator: ", "))
    }

    func testGrowingMovesOnlyToTheNewShard() {
        let keys = Self.keys(200_000, seed: 2)
        var before = Self.defaultRing(1).owners(of: keys)
        var report: [String] = []
        for n in 1...15 {
            let after = Self.defaultRing(n + 1).owners(of: keys)
            var moved = 0
            for i in keys.indices where after[i] != before[i] {
                moved += 1
                XCTAssertEqual(after[i], n, "a key moved from shard \(before[i]) to \(after[i]), not to the new shard")
            }
            let fraction = Double(moved) / Double(keys.count)
            let expected = 1 / Double(n + 1)
            report.append("\(n)→\(n + 1) \(String(format: "%.4f", fraction)) (ideal \(String(format: "%.4f", expected)))")
            XCTAssertEqual(fraction, expected, accuracy: expected * 0.10, "growing \(n)→\(n + 1)")
            before = after
        }
        print("ShardRing moves: " + report.joined(separator: ", "))
    }

    func testRemovingAMiddleShardMovesOnlyItsKeys() throws {
        let keys = Self.keys(200_000, seed: 3)
        let full = Self.defaultRing(8)
        let reduced = try ShardRing(shardNames: ["0", "1", "2", "4", "5", "6", "7"])
        let old = full.owners(of: keys).map { full.shardNames[$0] }
        let new = reduced.owners(of: keys).map { reduced.shardNames[$0] }
        var inherited = [String: Int]()
        for i in keys.indices {
            if old[i] == "3" {
                inherited[new[i], default: 0] += 1
            } else {
                XCTAssertEqual(new[i], old[i], "a key of shard \(old[i]) moved")
            }
        }
        // The removed shard's keys spread evenly over the others.
        let orphaned = old.filter { $0 == "3" }.count
        XCTAssertEqual(Double(orphaned) / Double(keys.count), 1.0 / 8, accuracy: 0.1 / 8)
        XCTAssertEqual(inherited.count, 7)
        for (name, count) in inherited {
            XCTAssertEqual(Double(count), Double(orphaned) / 7, accuracy: Double(orphaned) / 7 * 0.1, "shard \(name)")
        }
    }

    func testOwnershipFollowsNamesNotPositions() throws {
        let keys = Self.keys(10_000, seed: 4)
        let a = try ShardRing(shardNames: ["eu-1", "eu-2", "us-1", "us-2"])
        let b = try ShardRing(shardNames: ["us-2", "eu-1", "us-1", "eu-2"])
        XCTAssertEqual(a.owners(of: keys).map { a.shardNames[$0] }, b.owners(of: keys).map { b.shardNames[$0] })
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(a, try ShardRing(shardNames: ["eu-1", "eu-2", "us-1", "us-2"]))
    }

    func testAPIsAgree() {
        let keys = Self.keys(5_000, seed: 5)
        let ring = Self.defaultRing(5)
        let owners = ring.owners(of: keys)
        XCTAssertEqual(owners, keys.map(ring.shard(for:)))
        let groups = ring.partition(keys)
        XCTAssertEqual(groups.count, 5)
        XCTAssertEqual(groups.map(\.count).reduce(0, +), keys.count)
        for (s, group) in groups.enumerated() {
            XCTAssertEqual(group, group.sorted())
            for i in group { XCTAssertEqual(owners[i], s) }
        }
        XCTAssertEqual(ring.partition([]), [[], [], [], [], []])
        XCTAssertEqual(ring.owners(of: []), [])
        XCTAssertEqual(Self.defaultRing(1).shard(for: keys[0]), 0)
    }

    func testTieGoesToTheSmallerNameInByteOrder() throws {
        // Equal seeds make every score tie; real names never collide on 64 bits.
        let keys = Self.keys(100, seed: 6)
        let ring = try ShardRing(shardNames: ["b", "a", "c"], seeds: [7, 7, 7])
        XCTAssertEqual(Set(keys.map(ring.shard(for:))), [1])
        // Byte order, not String order: "e\u{301}" (decomposed é) starts with byte 0x65 < "f",
        // though as a Swift String it sorts after "f".
        let decomposed = "e\u{301}"
        XCTAssertTrue("f" < decomposed)
        let bytes = try ShardRing(shardNames: ["f", decomposed], seeds: [9, 9])
        XCTAssertEqual(Set(keys.map(bytes.shard(for:))), [1])
        // A tie only with the seeds that tie: a higher-scoring shard still wins.
        let mixed = try ShardRing(shardNames: ["b", "a", "z"], seeds: [7, 7, 8])
        for key in keys {
            let winner = mixed.shard(for: key)
            let z = ShardRing.mix64(key.w0 ^ 8), ab = ShardRing.mix64(key.w0 ^ 7)
            XCTAssertEqual(winner, z > ab ? 2 : 1)
        }
    }

    // MARK: - Errors

    func testRejectsEmptyAndDuplicateNames() {
        XCTAssertThrowsError(try ShardRing(shardNames: [])) { error in
            XCTAssertEqual(error as? ShardRingError, ShardRingError(.empty))
        }
        XCTAssertThrowsError(try ShardRing(shardNames: ["0", "1", "2", "1"])) { error in
            XCTAssertEqual(error as? ShardRingError, ShardRingError(.duplicateName("1")))
            XCTAssertTrue("\(error)".contains("\"1\""), "\(error)")
        }
        // Canonically equivalent spellings count as the same name.
        XCTAssertThrowsError(try ShardRing(shardNames: ["caf\u{e9}", "cafe\u{301}"])) { error in
            guard case .duplicateName = (error as? ShardRingError)?.kind else { return XCTFail("\(error)") }
        }
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
