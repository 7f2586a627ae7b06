/// One text to embed: the exact string sent to the model (task prefix applied) and the cache key
/// of its normalized form (without the prefix).
public struct EmbeddingInput: Sendable {
    public var text: String
    public var hash: TextHash
    public var estimatedTokens: Int

    public init(text: String, hash: TextHash, estimatedTokens: Int) {
        self.text = text
        self.hash = hash
        self.estimatedTokens = estimatedTokens
    }
}

/// Vectors for a batch, row-major in one flat array: row `i` is `values[i*dimensions ..< (i+1)*dimensions]`.
/// One allocation per batch, not per vector.
public struct EmbeddingMatrix: Sendable, Equatable {
    public var rows: Int
    public var dimensions: Int
    public var values: [Float]
    /// Tokens the provider reports it used, when it does.
    public var tokensUsed: Int?

    public init(rows: Int, dimensions: Int, values: [Float], tokensUsed: Int? = nil) {
        self.rows = rows
        self.dimensions = dimensions
        self.values = values
        self.tokensUsed = tokensUsed
    }
}

/// Turns texts into vectors. Every provider — HTTP APIs, local models, the `hash` stand-in — implements it.
///
/// `embed` receives one batch, already cut by the batcher to the provider's limits, and returns exactly one
/// vector per input, in order. Implementations validate what they return (count, dimensions, finite values).
public protocol EmbeddingProvider: Sendable {
    /// The provider's kind as written in job files (`hash`, `openai`, `ollama`, `tei`, `local`).
    var kind: String { get }
    /// The `model`/`model_version`/`dimensions` this provider's vectors are stored under.
    var storedModel: StoredModel { get }
    /// Embeds one batch.
    func embed(_ batch: [EmbeddingInput]) async throws -> EmbeddingMatrix
}
