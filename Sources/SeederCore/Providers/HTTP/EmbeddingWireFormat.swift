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

    public init(kind: EmbeddingServerKind, model: String, encoding: EmbeddingEncoding = .float, dimensions: Int? = nil,
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

    /// Decodes a successful (2xx) response body.
    public func decode(_ body: Data) throws(WireDecodingError) -> WireEmbeddings {
        switch kind {
        case .openai:
            let response = try Self.decodeJSON(OpenAIResponse.self, from: body, what: "an OpenAI embeddings response")
            var seen = Set<Int>()
            var rows: [(Int, [Float])] = []
            rows.reserveCapacity(response.data.count)
            for item in response.data {
                guard item.index >= 0, item.index < response.data.count, seen.insert(item.index).inserted else {
                    throw WireDecodingError("data[].index \(item.index) is out of range or repeated (\(response.data.count) items)", body: body)
                }
                switch item.embedding {
                case .floats(let values): rows.append((item.index, values))
                case .base64(let text):
                    guard let vector = Self.floats(base64: text) else {
                        throw WireDecodingError("data[\(item.index)].embedding is not base64 of little-endian float32 values", body: body)
                    }
                    rows.append((item.index, vector))
                }
            }
            // The API documents `index` as the input's position; some servers answer out of order.
            rows.sort { $0.0 < $1.0 }
            return WireEmbeddings(vectors: rows.map(\.1), tokensUsed: response.usage?.prompt_tokens)
        case .ollama:
            let response = try Self.decodeJSON(OllamaResponse.self, from: body, what: "an Ollama /api/embed response")
            return WireEmbeddings(vectors: response.embeddings, tokensUsed: response.prompt_eval_count)
        case .tei:
            let vectors = try Self.decodeJSON([[Float]].self, from: body, what: "a TEI /embed response (an array of arrays of numbers)")
            return WireEmbeddings(vectors: vectors, tokensUsed: nil)
        }
    }

    /// Float32 values from base64 of their little-endian bytes, or nil when the text isn't that.
    public static func floats(base64 text: String) -> [Float]? {
        guard let data = Data(base64Encoded: text), data.count % 4 == 0 else { return nil }
        var values = [Float](repeating: 0, count: data.count / 4)
        data.withUnsafeBytes { raw in
            for i in values.indices {
                values[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
            }
        }
        return values
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, from body: Data, what: String) throws(WireDecodingError) -> T {
        do {
            return try JSONDecoder().decode(type, from: body)
        } catch let error as DecodingError {
            throw WireDecodingError("not \(what): \(Self.describe(error))", body: body)
        } catch {
            throw WireDecodingError("not \(what): \(error)", body: body)
        }
    }

    /// A decoding error in a line: where, and what.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "the top level" : String(text.drop { $0 == "." })
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(_, let context): return "\(path(context.codingPath)): \(context.debugDescription)"
        case .valueNotFound(_, let context): return "\(path(context.codingPath)) is null"
        case .dataCorrupted(let context): return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

// Wire shapes; property names are the JSON keys.
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

private struct OpenAIResponse: Decodable {
    struct Item: Decodable {
        var index: Int
        var embedding: Embedding
    }
    enum Embedding: Decodable {
        case floats([Float])
        case base64(String)
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) { self = .base64(text); return }
            self = .floats(try container.decode([Float].self))
        }
    }
    struct Usage: Decodable { var prompt_tokens: Int? }
    var data: [Item]
    var usage: Usage?
}

private struct OllamaResponse: Decodable {
    var embeddings: [[Float]]
    var prompt_eval_count: Int?
}
