/// The HTTP embedding APIs seeder speaks; the raw value is the provider kind in job files.
public enum EmbeddingServerKind: String, Sendable, CaseIterable {
    /// OpenAI's `POST /v1/embeddings`, also spoken by vLLM, LM Studio, llama.cpp, Infinity and TEI.
    case openai
    /// Ollama's `POST /api/embed`.
    case ollama
    /// Hugging Face text-embeddings-inference's `POST /embed`.
    case tei

    /// The base URL a job gets when it names none.
    public var defaultBaseURL: String {
        switch self {
        case .openai: "https://api.openai.com"
        case .ollama: "http://localhost:11434"
        case .tei: "http://localhost:8080"
        }
    }

    /// What to do when nothing listens at `address`.
    public func nothingListensHint(address: String, model: String) -> String {
        switch self {
        case .ollama:
            "nothing listens on \(address) — start `ollama serve` and `ollama pull \(model)`, or pick another provider with --provider"
        case .tei:
            "nothing listens on \(address) — start TEI, e.g. `docker run -p 8080:80 ghcr.io/huggingface/text-embeddings-inference:cpu-1.8 --model-id \(model)`, or pick another provider with --provider"
        case .openai:
            "nothing listens on \(address) — check provider.base_url (and your network), or pick another provider with --provider"
        }
    }
}
