/// What seeder knows about an embedding model: one entry of the catalog.
public struct ModelSpec: Sendable, Equatable {
    /// The short name used in job files and on the command line (`nomic-v1.5`).
    public var alias: String
    /// The canonical id, as on Hugging Face (`nomic-ai/nomic-embed-text-v1.5`).
    public var canonicalID: String
    /// The version written to `embeddings.model_version`; bumping it makes old rows stale.
    public var version: String
    /// Native output dimensions.
    public var dimensions: Int
    /// Smallest Matryoshka truncation the model supports, or nil when it can't be truncated.
    public var minimumDimensions: Int?
    /// Maximum input length in tokens; longer inputs are truncated by the provider.
    public var maxInputTokens: Int
    /// The task prefix for documents, prepended to every text before embedding (`search_document: `).
    public var documentPrefix: String?
    /// Pooling, for local inference (`mean` or `cls`).
    public var pooling: String
    /// The provider used when the job names none.
    public var defaultProvider: String
    /// One line about the model.
    public var summary: String

    /// The task named by the prefix, for the stored `model` value (`search_document`).
    public var documentTask: String? {
        guard let prefix = documentPrefix else { return nil }
        let trimmed = prefix.trimmingCharacters(in: [" ", ":"])
        return trimmed.isEmpty ? nil : trimmed
    }
}
