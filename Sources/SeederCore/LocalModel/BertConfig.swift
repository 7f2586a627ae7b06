import Foundation

/// The parts of a Hugging Face `config.json` the BERT encoder needs, checked to describe a model it can run:
/// BERT (model_type "bert", architectures Bert*) with absolute position embeddings and exact (erf) GELU.
public struct BertConfig: Sendable, Equatable {
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var maxPositions: Int
    public var typeVocabSize: Int
    public var vocabSize: Int
    public var layerNormEps: Float

    /// What the encoder can run, for error messages.
    static let supported = "seeder's built-in encoder runs BERT models with absolute positions and GELU (e.g. all-MiniLM-L6-v2, bge-small-en-v1.5)"
    static let serverHint = "serve this model from an embedding server instead: --provider ollama|tei|openai"

    public init(hiddenSize: Int, layers: Int, heads: Int, intermediateSize: Int, maxPositions: Int,
                typeVocabSize: Int, vocabSize: Int, layerNormEps: Float) {
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.heads = heads
        self.intermediateSize = intermediateSize
        self.maxPositions = maxPositions
        self.typeVocabSize = typeVocabSize
        self.vocabSize = vocabSize
        self.layerNormEps = layerNormEps
    }

    /// Reads `directory/config.json`.
    public init(directory: String) throws {
        let path = (directory as NSString).appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LocalModelError(.missingFile, path: path, message: "cannot read config.json", hint: "fetch the model again (scripts/fetch-model)")
        }
        try self.init(json: data, path: path)
    }

    /// Decodes and checks a config.json's bytes; `path` names it in errors.
    public init(json: Data, path: String) throws {
        let raw: Raw
        do {
            raw = try JSONDecoder().decode(Raw.self, from: json)
        } catch {
            throw LocalModelError(.malformed, path: path, message: "config.json can't be read: \(error)")
        }
        let architectures = raw.architectures ?? []
        let isBert = (raw.model_type ?? "bert") == "bert" && architectures.allSatisfy { $0.hasPrefix("Bert") }
            && (raw.model_type != nil || !architectures.isEmpty)
        guard isBert else {
            let found = [raw.model_type.map { "model_type \"\($0)\"" }, architectures.isEmpty ? nil : "architectures \(architectures.joined(separator: ", "))"]
                .compactMap { $0 }.joined(separator: ", ")
            throw LocalModelError(.unsupported, path: path, message: "the model is \(found.isEmpty ? "of no declared architecture" : found); \(Self.supported)",
                                  hint: Self.serverHint)
        }
        if let positions = raw.position_embedding_type, positions != "absolute" {
            throw LocalModelError(.unsupported, path: path, message: "the model uses \"\(positions)\" position embeddings; \(Self.supported)",
                                  hint: Self.serverHint)
        }
        let activation = raw.hidden_act ?? "gelu"
        guard activation == "gelu" else {
            throw LocalModelError(.unsupported, path: path, message: "the model's activation is \"\(activation)\"; \(Self.supported)",
                                  hint: Self.serverHint)
        }
        func required(_ value: Int?, _ key: String, max limit: Int = 1 << 20) throws -> Int {
            guard let value else { throw LocalModelError(.malformed, path: path, message: "config.json has no \(key)") }
            guard value > 0, value <= limit else { throw LocalModelError(.malformed, path: path, message: "config.json: \(key) is \(value)") }
            return value
        }
        hiddenSize = try required(raw.hidden_size, "hidden_size", max: 1 << 16)
        layers = try required(raw.num_hidden_layers, "num_hidden_layers", max: 1024)
        heads = try required(raw.num_attention_heads, "num_attention_heads", max: 1024)
        intermediateSize = try required(raw.intermediate_size, "intermediate_size", max: 1 << 18)
        maxPositions = try required(raw.max_position_embeddings, "max_position_embeddings", max: 1 << 16)
        typeVocabSize = try required(raw.type_vocab_size ?? 2, "type_vocab_size")
        vocabSize = try required(raw.vocab_size, "vocab_size", max: 1 << 24)
        layerNormEps = Float(raw.layer_norm_eps ?? 1e-12)
        guard hiddenSize % heads == 0 else {
            throw LocalModelError(.malformed, path: path, message: "config.json: hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(heads)")
        }
    }

    private struct Raw: Decodable {
        var model_type: String?
        var architectures: [String]?
        var hidden_act: String?
        var position_embedding_type: String?
        var hidden_size: Int?
        var num_hidden_layers: Int?
        var num_attention_heads: Int?
        var intermediate_size: Int?
        var max_position_embeddings: Int?
        var type_vocab_size: Int?
        var vocab_size: Int?
        var layer_norm_eps: Double?
    }

    /// The multiply-adds ×2 of the linear layers per token (Q, K, V, attention output, FFN up and down): what the
    /// FLOP-bound limit counts. Attention's own products grow with the sequence length and are left out.
    public var linearFLOPsPerToken: Double {
        let h = Double(hiddenSize), i = Double(intermediateSize)
        return 2 * Double(layers) * (4 * h * h + 2 * h * i)
    }
}
