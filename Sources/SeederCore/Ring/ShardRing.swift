/// Why a list of shard names cannot form a ``ShardRing``.
public struct ShardRingError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// The list had no names.
        case empty
        /// The name appears more than once (compared as Swift strings, i.e. up to Unicode canonical equivalence).
        case duplicateName(String)
    }

    public let kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .empty: return "a shard ring needs at least one shard name"
        case .duplicateName(let name): return "shard name \"\(name)\" appears more than once"
        }
    }
}

/// Places cache keys on shards by rendezvous (highest-random-weight) hashing over shard *names*.
///
/// The cache server finds keys with the same algorithm, so it is fixed and written down in
/// `docs/ring.md`, with test vectors in `docs/ring-vectors.json` ("rendezvous-fmix64-v1"):
///
/// 1. `key64` = bytes 0...7 of the key's SHA-256 digest, big-endian (``TextHash/w0``).
/// 2. `seed(name)` = bytes 0...7, big-endian, of SHA-256 of the name's UTF-8 bytes (no normalization).
/// 3. `score(key, name)` = `fmix64(key64 ^ seed(name))`, with MurmurHash3's 64-bit finalizer
///    `fmix64(x)`: `x ^= x >> 33; x &*= 0xff51afd7ed558ccd; x ^= x >> 33; x &*= 0xc4ceb9fe1a85ec53; x ^= x >> 33`.
/// 4. The owner is the shard with the highest score (as an unsigned 64-bit integer); a tie goes to
///    the name whose UTF-8 bytes sort first. Because `fmix64` and `^ key64` are bijections, two
///    shards tie only if their seeds are equal, so ties practically never happen.
///
/// Ownership depends on names only, never on positions or paths: reordering the list, moving
/// files, adding a shard (moves ≈ 1/(N+1) of keys, all to the new shard) or removing any shard
/// (moves only its keys) leaves every other key where it was.
public struct ShardRing: Sendable, Equatable {
    /// The shard names, in the order the caller gave them; ``shard(for:)`` returns indices into this.
    public let shardNames: [String]
    /// `seed(name)` for each shard, parallel to `shardNames`: hashed once per ring, not per key.
    let seeds: [UInt64]
    /// Each shard's position in UTF-8 byte order of the names, parallel to `shardNames`; breaks ties.
    let tieRanks: [Int]

    /// Builds a ring over the given names. Throws ``ShardRingError`` for an empty list or a repeated name.
    public init(shardNames: [String]) throws {
        try self.init(shardNames: shardNames, seeds: shardNames.map(ShardRing.seed(forName:)))
    }

    /// Builds a ring with given seeds; lets tests force the (otherwise unreachable) tie case.
    init(shardNames: [String], seeds: [UInt64]) throws {
        guard !shardNames.isEmpty else { throw ShardRingError(.empty) }
        precondition(seeds.count == shardNames.count, "one seed per shard name")
        var seen = Set<String>(minimumCapacity: shardNames.count)
        for name in shardNames where !seen.insert(name).inserted {
            throw ShardRingError(.duplicateName(name))
        }
        // Byte order of UTF-8, not String's `<` (which is Unicode-aware), so that other languages agree.
        let byBytes = shardNames.indices.sorted {
            shardNames[$0].utf8.lexicographicallyPrecedes(shardNames[$1].utf8)
        }
        var ranks = [Int](repeating: 0, count: shardNames.count)
        for (rank, index) in byBytes.enumerated() { ranks[index] = rank }
        self.shardNames = shardNames
        self.seeds = seeds
        self.tieRanks = ranks
    }

    /// The number of shards.
    public var count: Int { shardNames.count }

    /// The index into ``shardNames`` of the shard that owns `hash`.
    public func shard(for hash: TextHash) -> Int {
        seeds.withUnsafeBufferPointer { seeds in
            tieRanks.withUnsafeBufferPointer { ranks in
                Self.owner(key64: hash.w0, seeds: seeds, ranks: ranks)
            }
        }
    }

    /// The owning shard index of each hash, in input order.
    public func owners(of hashes: [TextHash]) -> [Int] {
        seeds.withUnsafeBufferPointer { seeds in
            tieRanks.withUnsafeBufferPointer { ranks in
                hashes.map { Self.owner(key64: $0.w0, seeds: seeds, ranks: ranks) }
            }
        }
    }

    /// Groups a batch by owner: element `s` lists, in increasing order, the indices into `hashes` owned by shard `s`.
    public func partition(_ hashes: [TextHash]) -> [[Int]] {
        var groups = [[Int]](repeating: [], count: count)
        let expected = hashes.count / count + hashes.count / (4 * count) + 1
        for s in groups.indices { groups[s].reserveCapacity(expected) }
        seeds.withUnsafeBufferPointer { seeds in
            tieRanks.withUnsafeBufferPointer { ranks in
                for (i, hash) in hashes.enumerated() {
                    groups[Self.owner(key64: hash.w0, seeds: seeds, ranks: ranks)].append(i)
                }
            }
        }
        return groups
    }

    /// The ring's core: highest score wins, a tie goes to the lower byte-order rank. Allocates nothing.
    @inline(__always)
    static func owner(key64: UInt64, seeds: UnsafeBufferPointer<UInt64>, ranks: UnsafeBufferPointer<Int>) -> Int {
        var best = 0
        var bestScore = mix64(key64 ^ seeds[0])
        var i = 1
        while i < seeds.count {
            let score = mix64(key64 ^ seeds[i])
            if score > bestScore || (score == bestScore && ranks[i] < ranks[best]) {
                best = i
                bestScore = score
            }
            i += 1
        }
        return best
    }

    /// `seed(name)`: the first 8 bytes, big-endian, of SHA-256 of the name's UTF-8 bytes — which is
    /// exactly ``TextHash/w0`` of the name taken as text.
    static func seed(forName name: String) -> UInt64 {
        TextHash(normalized: name).w0
    }

    /// MurmurHash3's 64-bit finalizer (`fmix64`): a bijection with full avalanche, so XOR-ing the key
    /// with a per-shard seed before it gives per-shard scores that behave as independent.
    @inline(__always)
    static func mix64(_ x: UInt64) -> UInt64 {
        var x = x
        x ^= x >> 33
        x &*= 0xff51_afd7_ed55_8ccd
        x ^= x >> 33
        x &*= 0xc4ce_b9fe_1a85_ec53
        x ^= x >> 33
        return x
    }
}
