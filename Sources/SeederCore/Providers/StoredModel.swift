/// The `model` and `model_version` values a run writes, and the vector shape behind them.
///
/// The cache's primary key has no column for dimensions or task prefix, so they travel in the `model`
/// value (docs/model-values.md): `<canonical id>[|task=<task>][|dim=<n>]`, parts in that order, `task`
/// present when a document prefix is applied, `dim` when the vectors are Matryoshka-truncated below the
/// model's native size. The `hash` provider writes `seeder-hash|not-a-real-model|of=<canonical id>|dim=<n>`,
/// which no cache lookup of a real model can ever match.
public struct StoredModel: Sendable, Equatable, Hashable {
    /// The `embeddings.model` value.
    public var model: String
    /// The `embeddings.model_version` value.
    public var version: String
    /// `embeddings.dimensions`.
    public var dimensions: Int

    public init(model: String, version: String, dimensions: Int) {
        self.model = model
        self.version = version
        self.dimensions = dimensions
    }

    /// The value for real model output: canonical id plus the task and truncation that apply.
    public static func real(_ spec: ModelSpec, dimensions: Int) -> StoredModel {
        var model = spec.canonicalID
        if let task = spec.documentTask { model += "|task=\(task)" }
        if dimensions != spec.dimensions { model += "|dim=\(dimensions)" }
        return StoredModel(model: model, version: spec.version, dimensions: dimensions)
    }

    /// The value for the `hash` provider's stand-in vectors.
    public static func hashStandIn(for spec: ModelSpec, dimensions: Int) -> StoredModel {
        StoredModel(model: "seeder-hash|not-a-real-model|of=\(spec.canonicalID)|dim=\(dimensions)",
                    version: HashEmbeddingProvider.version, dimensions: dimensions)
    }
}
