import Foundation

/// A secret sent as `Authorization: Bearer …`. Its description never shows the value, so it can't leak into
/// logs or error messages by interpolation.
public struct APIKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The key itself; read it only to build the header.
    public let value: String
    public init(_ value: String) { self.value = value.trimmingCharacters(in: .whitespacesAndNewlines) }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}

/// Everything an ``HTTPEmbeddingProvider`` needs to know. The caller reads the API key from an environment
/// variable or a file and passes the value here; nothing below prints it.
public struct HTTPProviderSettings: Sendable, CustomStringConvertible {
    public var kind: EmbeddingServerKind
    /// Scheme, host, port, optional path prefix (`http://localhost:11434`, `https://api.openai.com`).
    public var baseURL: String
    public var apiKey: APIKey?
    /// The model's name on the server (`nomic-embed-text`, `text-embedding-3-small`).
    public var serverModel: String
    /// Requests in flight at once; also the connection pool's per-host limit.
    public var concurrency: Int
    /// One request's deadline, from sending to the last byte of the answer.
    public var requestTimeout: Duration
    public var connectTimeout: Duration
    /// Pacing limits applied before the server enforces its own; nil for none.
    public var requestsPerMinute: Int?
    public var tokensPerMinute: Int?
    /// How long the provider may keep failing (refused, 5xx, 429) before the run stops at its checkpoint.
    public var giveUpAfter: Duration
    /// Price in dollars per million tokens, for cost reports; nil when free or unknown.
    public var pricePerMillionTokens: Double?
    /// OpenAI-compatible servers: how vectors travel. Base64 by default: a third the size and no number parsing,
    /// and what openai-python asks for by default, so compatible servers accept it.
    public var encoding: EmbeddingEncoding
    /// Sent as OpenAI's `dimensions` for models that shorten vectors server-side; nil sends nothing.
    public var dimensionsParameter: Int?
    /// Ollama and TEI: truncate over-long inputs instead of refusing them.
    public var truncate: Bool
    /// TEI's `normalize`; nil for the server's default.
    public var normalize: Bool?
    /// Ollama's `options.num_ctx` and `keep_alive`.
    public var numCtx: Int?
    public var keepAlive: String?
    /// Overrides the per-request limits the kind implies (TEI: pass ``TEIInfo/batchLimits``).
    public var batchLimits: BatchLimits?
    public var retry: RetryPolicy

    public init(kind: EmbeddingServerKind, baseURL: String? = nil, apiKey: APIKey? = nil, serverModel: String,
                concurrency: Int = 4, requestTimeout: Duration = .seconds(120), connectTimeout: Duration = .seconds(10),
                requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil, giveUpAfter: Duration = .seconds(300),
                pricePerMillionTokens: Double? = nil, encoding: EmbeddingEncoding = .base64, dimensionsParameter: Int? = nil,
                truncate: Bool = true, normalize: Bool? = nil, numCtx: Int? = nil, keepAlive: String? = nil,
                batchLimits: BatchLimits? = nil, retry: RetryPolicy = .standard) {
        self.kind = kind
        self.baseURL = baseURL ?? kind.defaultBaseURL
        self.apiKey = apiKey
        self.serverModel = serverModel
        self.concurrency = concurrency
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.giveUpAfter = giveUpAfter
        self.pricePerMillionTokens = pricePerMillionTokens
        self.encoding = encoding
        self.dimensionsParameter = dimensionsParameter
        self.truncate = truncate
        self.normalize = normalize
        self.numCtx = numCtx
        self.keepAlive = keepAlive
        self.batchLimits = batchLimits
        self.retry = retry
    }

    /// The wire format these settings describe.
    public var wireFormat: EmbeddingWireFormat {
        EmbeddingWireFormat(kind: kind, model: serverModel, encoding: encoding, dimensions: dimensionsParameter,
                            truncate: truncate, normalize: normalize, numCtx: numCtx, keepAlive: keepAlive)
    }

    /// The base URL without user info, query or fragment, for messages.
    public var displayURL: String {
        guard var components = URLComponents(string: baseURL) else { return "<unparseable base URL>" }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "<unparseable base URL>"
    }

    /// `host:port`, for "nothing listens on …".
    public var address: String {
        guard let components = URLComponents(string: baseURL), let host = components.host else { return displayURL }
        let port = components.port ?? (components.scheme == "https" ? 443 : 80)
        return "\(host):\(port)"
    }

    public var description: String {
        "\(kind.rawValue) at \(displayURL), model \(serverModel), concurrency \(concurrency)"
            + (apiKey == nil ? "" : ", API key set")
    }
}
