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
///
/// A provider may fail single inputs while embedding the rest (a server that refuses one text as too long even
/// alone): those inputs are listed in `failed` and have no row, so `rows == batch.count - failed.count` and row
/// `r` belongs to the `r`-th input not in `failed` (``inputIndices``). A consumer that ignores `failed` sees a
/// row count that doesn't match its batch and stops, rather than storing a vector under the wrong text.
public struct EmbeddingMatrix: Sendable, Equatable {
    public var rows: Int
    public var dimensions: Int
    public var values: [Float]
    /// Tokens the provider reports it used, when it does.
    public var tokensUsed: Int?
    /// Inputs that could not be embedded: index in the batch → the reason (the server's message).
    public var failed: [Int: String]
    /// Requests the provider sent again to get this batch through (after a 429, a 5xx, a lost connection…).
    public var retries: Int

    public init(rows: Int, dimensions: Int, values: [Float], tokensUsed: Int? = nil, failed: [Int: String] = [:], retries: Int = 0) {
        self.retries = retries
        self.rows = rows
        self.dimensions = dimensions
        self.values = values
        self.tokensUsed = tokensUsed
        self.failed = failed
    }

    /// For each row, the index of its input in the batch of `batchSize` inputs.
    public func inputIndices(batchSize: Int) -> [Int] {
        failed.isEmpty ? Array(0..<batchSize) : (0..<batchSize).filter { failed[$0] == nil }
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
    /// The largest request the provider accepts (OpenAI: 2,048 inputs and 300,000 tokens; TEI: its
    /// `max_client_batch_size` and `max_batch_tokens`). The batcher uses the smaller of these and the job's.
    var batchLimits: BatchLimits { get }
    /// How many batches the pipeline may have in `embed` at once (an HTTP provider's request concurrency).
    var maxConcurrentBatches: Int { get }
    /// Embeds one batch. May be called concurrently, up to `maxConcurrentBatches` times.
    func embed(_ batch: [EmbeddingInput]) async throws -> EmbeddingMatrix
    /// What the server says it serves (TEI: `{"model_id":…,"model_sha":…}`), recorded with the run; nil when unknown.
    var providerModel: String? { get }
    /// Releases what the provider holds (an HTTP provider's connection pool); call once, after the last `embed`.
    func shutdown() async throws
}

extension EmbeddingProvider {
    public var providerModel: String? { nil }
    public func shutdown() async throws {}
}

/// Per-request limits of a provider; nil means no limit of its own.
public struct BatchLimits: Sendable, Equatable {
    public var maxItems: Int?
    public var maxTokens: Int?
    /// The longest input the server takes, in tokens (TEI's `max_input_length`), when it is known to be shorter
    /// than the model's: it cuts longer ones there (or refuses them), so token estimates are capped at it.
    public var maxInputTokens: Int?

    public init(maxItems: Int? = nil, maxTokens: Int? = nil, maxInputTokens: Int? = nil) {
        self.maxItems = maxItems
        self.maxTokens = maxTokens
        self.maxInputTokens = maxInputTokens
    }

    public static let none = BatchLimits()
}

extension EmbeddingProvider {
    public var batchLimits: BatchLimits { .none }
    public var maxConcurrentBatches: Int { 1 }
}
