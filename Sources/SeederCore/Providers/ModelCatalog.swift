/// The models seeder knows by alias. A job may also name any canonical id of these.
///
/// Versions: the catalog's `version` is the value written to `embeddings.model_version`. It changes only
/// when the vectors a model produces change (new weights), which is what an invalidation sweep keys on.
public enum ModelCatalog {
    /// Every known model, in the order `seeder models` lists them.
    public static let all: [ModelSpec] = [
        ModelSpec(alias: "minilm-l6", canonicalID: "sentence-transformers/all-MiniLM-L6-v2", version: "1",
                  dimensions: 384, minimumDimensions: nil, maxInputTokens: 256, documentPrefix: nil,
                  pooling: "mean", defaultProvider: "local",
                  summary: "small, fast English model; runs natively in seeder (the offline default)"),
        ModelSpec(alias: "nomic-v1.5", canonicalID: "nomic-ai/nomic-embed-text-v1.5", version: "1.5",
                  dimensions: 768, minimumDimensions: 64, maxInputTokens: 8192, documentPrefix: "search_document: ",
                  pooling: "mean", defaultProvider: "ollama",
                  summary: "long-context English model with Matryoshka dimensions 64–768; needs the search_document prefix"),
        ModelSpec(alias: "bge-small-en-v1.5", canonicalID: "BAAI/bge-small-en-v1.5", version: "1.5",
                  dimensions: 384, minimumDimensions: nil, maxInputTokens: 512, documentPrefix: nil,
                  pooling: "cls", defaultProvider: "tei",
                  summary: "small English retrieval model (documents take no prefix)"),
        ModelSpec(alias: "mpnet-base", canonicalID: "sentence-transformers/all-mpnet-base-v2", version: "1",
                  dimensions: 768, minimumDimensions: nil, maxInputTokens: 384, documentPrefix: nil,
                  pooling: "mean", defaultProvider: "tei",
                  summary: "sentence-transformers' best general-purpose English model"),
        ModelSpec(alias: "text-embedding-3-small", canonicalID: "openai/text-embedding-3-small", version: "1",
                  dimensions: 1536, minimumDimensions: 256, maxInputTokens: 8191, documentPrefix: nil,
                  pooling: "api", defaultProvider: "openai",
                  summary: "OpenAI's small API model; dimensions shortened by the API"),
    ]

    /// Finds a model by alias or canonical id (case-insensitive).
    public static func lookup(_ name: String) -> ModelSpec? {
        let key = name.lowercased()
        return all.first { $0.alias.lowercased() == key || $0.canonicalID.lowercased() == key }
    }

    /// Finds a model or throws a configuration error naming the known aliases and the closest one.
    public static func resolve(_ name: String, context: String) throws -> ModelSpec {
        if let spec = lookup(name) { return spec }
        let aliases = all.map(\.alias)
        var message = "unknown model '\(name)'"
        if let near = Spelling.closest(to: name, among: aliases) { message += " — did you mean '\(near)'?" }
        throw ConfigurationError(file: context, message: message,
                                 hint: "known models: \(aliases.joined(separator: ", ")) (seeder models lists them)")
    }
}
