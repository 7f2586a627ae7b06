/// How a fake embedding server starts: which protocols it speaks, its vectors, its limits and its first faults.
public struct FakeServerConfiguration: Sendable {
    /// The wire protocols the fake speaks, each on its real paths.
    public enum API: String, Sendable, CaseIterable {
        /// `POST /v1/embeddings`.
        case openAI = "openai"
        /// `POST /api/embed`.
        case ollama
        /// `POST /embed`, `GET /info`, `GET /health`.
        case tei
    }

    /// Protocols served; all by default, each on its own paths.
    public var apis: Set<API> = Set(API.allCases)
    /// Address to bind; loopback only, as tests need.
    public var host = "127.0.0.1"
    /// Port to bind; 0 lets the system choose (read it back from ``FakeEmbeddingServer/port``).
    public var port = 0
    /// Components per vector unless a request asks for fewer (OpenAI `dimensions`).
    public var dimensions = 8
    /// The model TEI reports in `/info` and the others echo when a request names none.
    public var modelName = "fake-embedding"
    /// The `model_sha` TEI reports in `/info`; nil reports null.
    public var modelSHA: String? = nil
    /// Seed of the generator behind jitter, probabilities and the choice of 5xx status.
    public var seed: UInt64 = 0
    /// TEI's `max_input_length`: tokens allowed in one input (422 above it unless `truncate`).
    public var teiMaxInputLength = 512
    /// TEI's `max_concurrent_requests`: requests in flight beyond it get 429 "Model is overloaded".
    public var teiMaxConcurrentRequests = 512
    /// Ollama's context length when a request sets no `options.num_ctx`: longer inputs are truncated to it, or
    /// refused with 400 when the request says `"truncate": false`.
    public var ollamaContextLength = 8192
    /// Faults in force from the start.
    public var faults = Faults()

    /// The defaults: every protocol, 8 dimensions, no faults.
    public init() {}
}
