import Foundation

/// A deterministic stand-in for a model, for tests, dry runs and benchmarks: each text's vector is a unit
/// vector drawn from a generator seeded by its text hash, so the same text always gets the same vector,
/// at any dimension, with no model and no network.
///
/// Its vectors mean nothing, and its stored `model` value says so (``StoredModel/hashStandIn(for:dimensions:)``),
/// so a real cache can never serve them as a real model's.
public struct HashEmbeddingProvider: EmbeddingProvider {
    /// Written to `model_version`; bump when the derivation below changes.
    public static let version = "seeder-hash-1"

    public let kind = "hash"
    public let storedModel: StoredModel
    private let journal: ProviderJournal?

    /// - Parameter journal: when set, the text hash of every input is appended to this file before the
    ///   batch is answered. The kill-and-resume test uses it to count what was asked for twice.
    public init(spec: ModelSpec, dimensions: Int, journal: ProviderJournal? = nil) {
        self.storedModel = .hashStandIn(for: spec, dimensions: dimensions)
        self.journal = journal
    }

    public func embed(_ batch: [EmbeddingInput]) async throws -> EmbeddingMatrix {
        try journal?.record(batch.map(\.hash))
        return Self.vectors(for: batch.map(\.hash), dimensions: storedModel.dimensions)
    }

    /// The vectors for some hashes: SplitMix64 seeded by the hash's words, uniform in [-1, 1), L2-normalized.
    public static func vectors(for hashes: [TextHash], dimensions: Int) -> EmbeddingMatrix {
        var values = [Float](repeating: 0, count: hashes.count * dimensions)
        values.withUnsafeMutableBufferPointer { out in
            for (row, hash) in hashes.enumerated() {
                var rng = SplitMix64(seed: hash.w0 ^ (hash.w1 &* 0x9E37_79B9_7F4A_7C15) ^ (hash.w2 >> 7) ^ (hash.w3 << 11))
                let base = row * dimensions
                var norm: Float = 0
                for i in 0..<dimensions {
                    // 24 high bits → [-1, 1): exact in Float.
                    let v = Float(Int32(truncatingIfNeeded: rng.next() >> 40) - (1 << 23)) / Float(1 << 23)
                    out[base + i] = v
                    norm += v * v
                }
                let scale = norm > 0 ? 1 / norm.squareRoot() : 0
                for i in 0..<dimensions { out[base + i] *= scale }
            }
        }
        return EmbeddingMatrix(rows: hashes.count, dimensions: dimensions, values: values)
    }
}
