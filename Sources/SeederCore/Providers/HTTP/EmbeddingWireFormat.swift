import Foundation

/// What a server sent back for one embedding request, before validation.
public struct WireEmbeddings: Sendable, Equatable {
    /// One vector per input, in input order.
    public var vectors: [[Float]]
    /// Tokens the server counted, when it says (`usage.prompt_tokens`, `prompt_eval_count`).
    public var tokensUsed: Int?

    public init(vectors: [[Float]], tokensUsed: Int?) {
        self.vectors = vectors
        self.tokensUsed = tokensUsed
    }
}

/// How OpenAI-compatible servers send vectors: JSON numbers, or base64 of little-endian float32 (a third the size).
/// Whichever was asked for, ``EmbeddingWireFormat/decode(_:)`` reads either, since some servers ignore the request.
public enum EmbeddingEncoding: String, Sendable {
    case float, base64
}

/// Encodes embedding requests and decodes responses for one server kind. Pure: no I/O.
public struct EmbeddingWireFormat: Sendable {
    public var kind: EmbeddingServerKind
    /// The model's name on the server (`text-embedding-3-small`, `nomic-embed-text`); TEI serves one model and
    /// takes none.
    public var model: String
    public var encoding: EmbeddingEncoding
    /// OpenAI's `dimensions` parameter, for models that shorten their vectors server-side.
    public var dimensions: Int?
    /// Ollama's and TEI's `truncate`: cut inputs longer than the model's context instead of refusing them.
    public var truncate: Bool
    /// TEI's `normalize`; nil leaves the server's default (true).
    public var normalize: Bool?
    /// Ollama's `options.num_ctx`.
    public var numCtx: Int?
    /// Ollama's `keep_alive`: a duration (`10m`, `-1m`), or a number of seconds (`-1`: keep loaded), sent as a
    /// JSON number because Ollama parses strings as Go durations, which need a unit.
    public var keepAlive: String?

    public init(kind: EmbeddingServerKind, model: String, encoding: EmbeddingEncoding = .base64, dimensions: Int? = nil,
                truncate: Bool = true, normalize: Bool? = nil, numCtx: Int? = nil, keepAlive: String? = nil) {
        self.kind = kind
        self.model = model
        self.encoding = encoding
        self.dimensions = dimensions
        self.truncate = truncate
        self.normalize = normalize
        self.numCtx = numCtx
        self.keepAlive = keepAlive
    }

    /// The embedding endpoint, below the base URL.
    public var path: String {
        switch kind {
        case .openai: "/v1/embeddings"
        case .ollama: "/api/embed"
        case .tei: "/embed"
        }
    }

    /// The request embedding `texts`.
    public func request(_ texts: [String]) throws -> WireRequest {
        let body: Data
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        switch kind {
        case .openai:
            body = try encoder.encode(OpenAIRequest(model: model, input: texts, encoding_format: encoding.rawValue, dimensions: dimensions))
        case .ollama:
            body = try encoder.encode(OllamaRequest(model: model, input: texts, truncate: truncate,
                                                    options: numCtx.map { OllamaRequest.Options(num_ctx: $0) }, keep_alive: keepAlive.map(OllamaRequest.KeepAlive.init)))
        case .tei:
            body = try encoder.encode(TEIRequest(inputs: texts, truncate: truncate, normalize: normalize))
        }
        return WireRequest(method: "POST", path: path, headers: ["content-type": "application/json"], body: body)
    }

    /// Decodes a successful (2xx) response body with ``JSONByteReader`` (strict JSON; a key the format needs that
    /// appears twice in one object is an error, unknown keys are skipped).
    public func decode(_ body: Data) throws(WireDecodingError) -> WireEmbeddings {
        switch kind {
        case .openai: try WireResponseReader.openAI(body)
        case .ollama: try WireResponseReader.ollama(body)
        case .tei: try WireResponseReader.tei(body)
        }
    }

    /// Float32 values from base64 of their little-endian bytes, or nil when the text isn't that.
    public static func floats(base64 text: String) -> [Float]? {
        var text = text
        return text.withUTF8 { Base64Floats.decode($0) }
    }
}

// Request shapes; property names are the JSON keys.
private struct OpenAIRequest: Encodable {
    var model: String
    var input: [String]
    var encoding_format: String
    var dimensions: Int?
}

private struct OllamaRequest: Encodable {
    struct Options: Encodable { var num_ctx: Int }
    var model: String
    var input: [String]
    var truncate: Bool
    var options: Options?
    var keep_alive: KeepAlive?

    /// `"10m"` as a string, `-1` or `300` as a number.
    struct KeepAlive: Encodable {
        var value: String
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            if let seconds = Int(value) { try container.encode(seconds) } else { try container.encode(value) }
        }
    }
}

private struct TEIRequest: Encodable {
    var inputs: [String]
    var truncate: Bool
    var normalize: Bool?
}
