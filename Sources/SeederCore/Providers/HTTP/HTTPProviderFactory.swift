import Foundation

/// Builds an ``HTTPEmbeddingProvider`` from a job's `[provider]` table: the server, the model's name on it, the API
/// key from an environment variable or a file (never from the command line), and the limits.
enum HTTPProviderFactory {
    static func make(kind: EmbeddingServerKind, spec: ModelSpec, dimensions: Int, job: JobConfig,
                     environment: [String: String]) throws -> HTTPEmbeddingProvider {
        let p = job.provider, file = job.file ?? "command line"
        var dimensionsParameter: Int? = nil
        var serverDimensions = dimensions
        if dimensions != spec.dimensions {
            // Per model (docs/model-values.md): OpenAI's API models are shortened by the server (`dimensions`);
            // open-weights Matryoshka models come back full-size and seeder shortens them (layer norm, slice, L2).
            switch spec.matryoshkaMethod {
            case .serverParameter:
                guard kind == .openai else {
                    throw ConfigurationError(file: file, position: "model.dimensions",
                                             message: "\(spec.alias) is shortened by the OpenAI API's `dimensions` parameter, which the \(kind.rawValue) provider has not",
                                             hint: "use provider kind openai, or drop model.dimensions / --dimensions")
                }
                dimensionsParameter = dimensions
            case .layerNormSliceNormalize:
                serverDimensions = spec.dimensions
            case nil:
                throw ConfigurationError(file: file, position: "model.dimensions", message: "\(spec.alias) can't be shortened",
                                         hint: "drop model.dimensions / --dimensions")
            }
        }
        let settings = HTTPProviderSettings(
            kind: kind, baseURL: p.baseURL, apiKey: try apiKey(p, kind: kind, environment: environment, file: file),
            serverModel: p.serverModel ?? spec.serverModelName(for: kind), concurrency: p.concurrency ?? 4,
            requestTimeout: .seconds(p.timeoutSeconds ?? 120), connectTimeout: .seconds(p.connectTimeoutSeconds ?? 10),
            requestsPerMinute: p.rpm, tokensPerMinute: p.tpm, giveUpAfter: .seconds(p.giveUpAfterSeconds ?? 300),
            pricePerMillionTokens: p.pricePerMillionTokens,
            // base64 unless the job says float: see HTTPProviderSettings.encoding.
            encoding: p.encodingFormat.flatMap(EmbeddingEncoding.init(rawValue:)) ?? .base64,
            dimensionsParameter: dimensionsParameter, truncate: p.truncate ?? true, numCtx: p.numCtx, keepAlive: p.keepAlive)
        return HTTPEmbeddingProvider(storedModel: .real(spec, dimensions: dimensions), settings: settings, serverDimensions: serverDimensions)
    }

    /// The key named by `api_key_env` or `api_key_file`; for `openai` without either, `$OPENAI_API_KEY` when set.
    static func apiKey(_ p: JobConfig.ProviderSettings, kind: EmbeddingServerKind, environment: [String: String], file: String) throws -> APIKey? {
        if let name = p.apiKeyEnv {
            guard let value = environment[name], !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw ConfigurationError(file: file, position: "provider.api_key_env", message: "the environment variable \(name) is not set or empty",
                                         hint: "export it before running seeder, or use provider.api_key_file")
            }
            return APIKey(value)
        }
        if let path = p.apiKeyFile {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw ConfigurationError(file: file, position: "provider.api_key_file", message: "cannot read an API key from \(path)",
                                         hint: "the file must hold the key alone, readable by this user")
            }
            return APIKey(text)
        }
        if kind == .openai, let value = environment["OPENAI_API_KEY"], !value.isEmpty { return APIKey(value) }
        return nil
    }
}

extension ModelSpec {
    /// The model's usual name on a kind of server: Ollama's library names its models its own way; OpenAI-compatible
    /// servers and TEI take the Hugging Face id (TEI ignores it: it serves one model).
    public func serverModelName(for kind: EmbeddingServerKind) -> String {
        switch (alias, kind) {
        case ("nomic-v1.5", .ollama): return "nomic-embed-text"
        case ("minilm-l6", .ollama): return "all-minilm"
        case ("text-embedding-3-small", _): return "text-embedding-3-small"
        default: return canonicalID
        }
    }
}
