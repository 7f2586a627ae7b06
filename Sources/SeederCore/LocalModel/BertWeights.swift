/// A BERT model's tensors, fetched from its safetensors file and shape-checked against its config, in the layout
/// the encoder computes with: PyTorch's [out × in] linear weights, Q/K/V fused into one [3H × H] weight and bias
/// (one GEMM does all three), and the token-type-0 embedding folded into the position embeddings (every token is
/// of type 0).
struct BertWeights: Sendable {
    struct Layer: Sendable {
        /// [3H × H] and [3H]: Q, K, V rows in that order.
        var qkvWeight: FloatTensor
        var qkvBias: FloatTensor
        /// [H × H], [H]: the attention output projection.
        var attentionOutWeight: FloatTensor
        var attentionOutBias: FloatTensor
        var attentionNormWeight: FloatTensor
        var attentionNormBias: FloatTensor
        /// [I × H], [I].
        var upWeight: FloatTensor
        var upBias: FloatTensor
        /// [H × I], [H].
        var downWeight: FloatTensor
        var downBias: FloatTensor
        var outputNormWeight: FloatTensor
        var outputNormBias: FloatTensor
    }

    /// [V × H].
    var wordEmbeddings: FloatTensor
    /// [P × H]: position embedding + token type 0's embedding.
    var positionEmbeddings: FloatTensor
    var embeddingNormWeight: FloatTensor
    var embeddingNormBias: FloatTensor
    var layers: [Layer]

    init(file: SafeTensorsFile, config: BertConfig) throws {
        let h = config.hiddenSize, i = config.intermediateSize
        // Checkpoints saved from BertModel have bare names; those saved from BertFor* prefix them with "bert.".
        // Old (TF-converted) checkpoints name layer-norm parameters gamma/beta.
        func tensor(_ name: String, _ shape: [Int]) throws -> FloatTensor {
            var candidates = [name, "bert." + name]
            if name.hasSuffix("LayerNorm.weight") { candidates += candidates.map { $0.replacingSuffix("weight", with: "gamma") } }
            if name.hasSuffix("LayerNorm.bias") { candidates += candidates.map { $0.replacingSuffix("bias", with: "beta") } }
            guard let found = candidates.first(where: { file.entries[$0] != nil }) else {
                throw LocalModelError(.badWeights, path: file.path, message: "no tensor named \(name) (nor bert.\(name))",
                                      hint: "the weights don't match config.json (a BERT model with \(config.layers) layers): fetch the model again")
            }
            let t = try file.floats(found)
            guard t.shape == shape else {
                throw LocalModelError(.badWeights, path: file.path, message: "tensor \(found) has shape \(t.shape); config.json implies \(shape)",
                                      hint: "the weights don't match config.json: fetch the model again")
            }
            return t
        }

        wordEmbeddings = try tensor("embeddings.word_embeddings.weight", [config.vocabSize, h])
        let positions = try tensor("embeddings.position_embeddings.weight", [config.maxPositions, h])
        let types = try tensor("embeddings.token_type_embeddings.weight", [config.typeVocabSize, h])
        positionEmbeddings = FloatTensor(name: "position+type0", shape: positions.shape) { out in
            positions.withElements { position in
                types.withElements { type in
                    for p in 0..<config.maxPositions {
                        for j in 0..<h { out[p * h + j] = position[p * h + j] + type[j] }
                    }
                }
            }
        }
        embeddingNormWeight = try tensor("embeddings.LayerNorm.weight", [h])
        embeddingNormBias = try tensor("embeddings.LayerNorm.bias", [h])

        layers = try (0..<config.layers).map { n in
            let p = "encoder.layer.\(n)."
            let parts = try ["query", "key", "value"].map {
                (try tensor(p + "attention.self.\($0).weight", [h, h]), try tensor(p + "attention.self.\($0).bias", [h]))
            }
            let qkvWeight = FloatTensor(name: p + "attention.self.qkv.weight", shape: [3 * h, h]) { out in
                for (k, part) in parts.enumerated() { part.0.withElements { _ = UnsafeMutableBufferPointer(rebasing: out[(k * h * h)..<((k + 1) * h * h)]).initialize(from: $0) } }
            }
            let qkvBias = FloatTensor(name: p + "attention.self.qkv.bias", shape: [3 * h]) { out in
                for (k, part) in parts.enumerated() { part.1.withElements { _ = UnsafeMutableBufferPointer(rebasing: out[(k * h)..<((k + 1) * h)]).initialize(from: $0) } }
            }
            return Layer(
                qkvWeight: qkvWeight, qkvBias: qkvBias,
                attentionOutWeight: try tensor(p + "attention.output.dense.weight", [h, h]),
                attentionOutBias: try tensor(p + "attention.output.dense.bias", [h]),
                attentionNormWeight: try tensor(p + "attention.output.LayerNorm.weight", [h]),
                attentionNormBias: try tensor(p + "attention.output.LayerNorm.bias", [h]),
                upWeight: try tensor(p + "intermediate.dense.weight", [i, h]),
                upBias: try tensor(p + "intermediate.dense.bias", [i]),
                downWeight: try tensor(p + "output.dense.weight", [h, i]),
                downBias: try tensor(p + "output.dense.bias", [h]),
                outputNormWeight: try tensor(p + "output.LayerNorm.weight", [h]),
                outputNormBias: try tensor(p + "output.LayerNorm.bias", [h]))
        }
    }
}

private extension String {
    func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
    }
}
