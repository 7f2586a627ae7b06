import Foundation

/// How a model's vectors are shortened below its native size (Matryoshka), decided per catalog entry
/// (docs/model-values.md).
public enum MatryoshkaMethod: Sendable, Equatable {
    /// The server shortens them itself: OpenAI's `dimensions` request parameter (text-embedding-3 models).
    case serverParameter
    /// seeder asks for the full vector and shortens it: layer norm over all components (no learned weights),
    /// keep the first N, L2-normalize — the recipe of the nomic-embed-text-v1.5 model card.
    case layerNormSliceNormalize
}

extension ModelSpec {
    /// How this model is shortened below its native size, or nil when it can't be (``minimumDimensions`` is nil).
    public var matryoshkaMethod: MatryoshkaMethod? {
        guard minimumDimensions != nil else { return nil }
        // OpenAI's API models are shortened by the API (the vectors it returns are already renormalized);
        // open-weights Matryoshka models are served at full size by Ollama, TEI and OpenAI-compatible servers.
        return pooling == "api" ? .serverParameter : .layerNormSliceNormalize
    }
}

/// The client-side Matryoshka transform (nomic-embed-text-v1.5's model card):
/// `F.layer_norm(x, (d,))` → `x[:, :n]` → `F.normalize(x, p=2)`.
public enum MatryoshkaTruncation {
    /// PyTorch's `layer_norm` default epsilon.
    public static let epsilon = 1e-5

    /// One full vector shortened to its first `dimensions` components, after layer norm over all of them
    /// ((x − mean) / sqrt(var + ε), population variance), then scaled to unit length.
    public static func truncate<C: Collection>(_ full: C, to dimensions: Int) -> [Float] where C.Element == Float {
        let count = Double(full.count)
        guard count > 0, dimensions > 0 else { return [] }
        let mean = full.reduce(0.0) { $0 + Double($1) } / count
        let variance = full.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / count
        let scale = 1 / (variance + epsilon).squareRoot()
        let kept = full.prefix(dimensions).map { (Double($0) - mean) * scale }
        let norm = kept.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
        return kept.map { Float(norm > 0 ? $0 / norm : $0) }
    }

    /// Every row of `values` (rows of `fullDimensions`) shortened to `dimensions`, flat.
    public static func truncateRows(_ values: [Float], fullDimensions: Int, to dimensions: Int) -> [Float] {
        guard fullDimensions > 0 else { return [] }
        var out: [Float] = []
        out.reserveCapacity(values.count / fullDimensions * dimensions)
        var start = values.startIndex
        while start < values.endIndex {
            let end = min(start + fullDimensions, values.endIndex)
            out.append(contentsOf: truncate(values[start..<end], to: dimensions))
            start = end
        }
        return out
    }
}
