import Foundation
import XCTest

@testable import SeederCore

final class BertEncoderTests: XCTestCase {
    // MARK: all-MiniLM-L6-v2 against the reference

    func testMatchesReferenceEmbeddings() throws {
        let references = try LocalTestModel.references()
        let encoder = try BertEncoder(directory: try LocalTestModel.directory())
        XCTAssertEqual(encoder.hiddenSize, 384)
        XCTAssertEqual(encoder.maxPositions, 512)
        let vectors = try encoder.embed(references.map(\.token_ids), pooling: .mean)
        XCTAssertEqual(vectors.count, references.count * 384)
        var worst = 1.0, worstLine = 0
        for (n, reference) in references.enumerated() {
            let c = cosine(Array(vectors[(n * 384)..<((n + 1) * 384)]), reference.embedding)
            if c < worst { (worst, worstLine) = (c, n) }
        }
        print("all-MiniLM-L6-v2: worst cosine \(String(format: "%.9f", worst)), 1 - cosine = \(String(format: "%.1e", 1 - worst)) (line \(worstLine + 1) of \(references.count))")
        XCTAssertGreaterThanOrEqual(worst, 0.9999, "line \(worstLine + 1): \(references[worstLine].text)")
    }

    func testBatchingDoesNotChangeVectors() throws {
        let references = try LocalTestModel.references()
        let directory = try LocalTestModel.directory()
        let encoder = try BertEncoder(directory: directory)
        let short = references.map(\.token_ids).min { $0.count < $1.count } ?? []
        let alone = try encoder.embed([short])
        // The same sequence among much longer ones (150 to 250 tokens), at the start, middle and end.
        var rng = SplitMix64(seed: 7)
        let long = (0..<3).map { k in [101] + (0..<(150 + 50 * k)).map { _ in Int32(1000 + rng.next() % 20000) } + [102] }
        let batch = try encoder.embed([short, long[0], long[1], short, long[2], short])
        for row in [0, 3, 5] {
            XCTAssertLessThanOrEqual(maxDifference(alone, Array(batch[(row * 384)..<((row + 1) * 384)])), 1e-6, "row \(row)")
        }

        // Thread count, parallelism, chunk size and batch order don't matter either.
        let sequences = references.map(\.token_ids) + long
        let expected = try encoder.embed(sequences)
        let reversed = try encoder.embed(sequences.reversed())
        let n = sequences.count
        for i in 0..<n {
            let row = Array(expected[(i * 384)..<((i + 1) * 384)])
            let back = Array(reversed[((n - 1 - i) * 384)..<((n - i) * 384)])
            XCTAssertLessThanOrEqual(maxDifference(row, back), 1e-6, "sequence \(i) reversed")
        }
        for (threads, parallelism, chunk) in [(1, BertEncoder.Parallelism.sequences, 512), (2, .blas, 4096)] {
            let other = try BertEncoder(directory: directory, threads: threads, parallelism: parallelism, maxChunkTokens: chunk)
            XCTAssertLessThanOrEqual(maxDifference(expected, try other.embed(sequences)), 1e-6, "\(threads) threads, \(parallelism)")
        }
    }

    func testClsPoolingIsTheFirstTokensNormalizedVector() throws {
        let encoder = try BertEncoder(directory: try LocalTestModel.directory())
        let ids: [Int32] = [101, 1037, 2158, 2003, 5983, 2833, 1012, 102]
        let cls = try encoder.embed([ids], pooling: .cls)
        XCTAssertEqual(cls.count, 384)
        XCTAssertEqual(cls.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5)
        XCTAssertLessThan(cosine(cls, try encoder.embed([ids], pooling: .mean)), 0.9999)
    }

    func testInvalidTokenIdsThrow() throws {
        let encoder = try BertEncoder(directory: try LocalTestModel.directory())
        for (bad, expected) in [([Int32(101), 30522, 102], "30522"), ([101, -1, 102], "-1"), ([], "0 tokens"),
                                (Array(repeating: 1000, count: 513), "513 tokens")] {
            XCTAssertThrowsError(try encoder.embed([[101, 102], bad])) { error in
                guard let error = error as? BertEncoder.InputError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.sequence, 1)
                XCTAssertTrue(error.message.contains(expected), error.message)
            }
        }
        XCTAssertEqual(try encoder.embed([]), [])
    }

    // MARK: A tiny random BERT, checked against a plain scalar forward pass

    func testTinyModelMatchesScalarReference() throws {
        let model = TinyBert(seed: 3)
        let directory = try temporaryDirectory(self)
        try model.write(to: directory, dtype: "F32", prefix: "")
        let encoder = try BertEncoder(directory: directory, threads: 2)
        // Lengths around the 8-float vector width, so that tails get exercised.
        let sequences: [[Int32]] = [[1], [2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12, 13, 14, 15], Array(0..<16).map { Int32($0 % 30) }]
        for pooling in [BertEncoder.Pooling.mean, .cls] {
            let vectors = try encoder.embed(sequences, pooling: pooling)
            for (n, ids) in sequences.enumerated() {
                let expected = model.referenceEmbedding(ids, pooling: pooling)
                XCTAssertLessThanOrEqual(maxDifference(Array(vectors[(n * model.h)..<((n + 1) * model.h)]), expected), 2e-6, "sequence \(n), \(pooling)")
            }
        }
    }

    func testHalfPrecisionAndPrefixedCheckpointsLoad() throws {
        // The tiny model's weights are all exactly representable in F16 and BF16, so the three files must agree.
        let model = TinyBert(seed: 5, bfloat16Exact: true)
        var results: [[Float]] = []
        for (dtype, prefix) in [("F32", ""), ("F16", "bert."), ("BF16", "bert.")] {
            let directory = try temporaryDirectory(self)
            try model.write(to: directory, dtype: dtype, prefix: prefix)
            results.append(try BertEncoder(directory: directory).embed([[1, 2, 3], [4, 5, 6, 7, 8, 9]]))
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[0], results[2])
    }

    func testWeightsOfTheWrongShapeThrow() throws {
        var model = TinyBert(seed: 1)
        model.shapeOverride = ("encoder.layer.0.intermediate.dense.weight", [model.i + 1, model.h])
        let directory = try temporaryDirectory(self)
        try model.write(to: directory, dtype: "F32", prefix: "")
        XCTAssertThrowsError(try BertEncoder(directory: directory)) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .badWeights)
            XCTAssertTrue("\(error)".contains("encoder.layer.0.intermediate.dense.weight"), "\(error)")
        }
        model.shapeOverride = nil
        model.omit = "encoder.layer.0.attention.self.key.bias"
        let other = try temporaryDirectory(self)
        try model.write(to: other, dtype: "F32", prefix: "")
        XCTAssertThrowsError(try BertEncoder(directory: other)) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .badWeights)
            XCTAssertTrue("\(error)".contains("attention.self.key.bias"), "\(error)")
        }
    }

    // MARK: BertConfig

    func testConfigOfAnotherArchitectureIsUnsupported() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "nomic_bert", "architectures": ["NomicBertModel"], "hidden_size": 768}"#, "nomic_bert"),
            (#"{"model_type": "xlm-roberta", "architectures": ["XLMRobertaModel"]}"#, "xlm-roberta"),
            (#"{"model_type": "mpnet"}"#, "mpnet"),
            (#"{"architectures": ["DistilBertModel"]}"#, "DistilBertModel"),
            (#"{"model_type": "bert", "position_embedding_type": "relative_key", "hidden_size": 8}"#, "relative_key"),
            (#"{"model_type": "bert", "hidden_act": "relu"}"#, "relu"),
            (#"{"hidden_size": 8}"#, "no declared architecture"),
        ]
        for (json, named) in cases {
            XCTAssertThrowsError(try BertConfig(json: Data(json.utf8), path: "config.json")) { error in
                guard let error = error as? LocalModelError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.kind, .unsupported, json)
                XCTAssertTrue(error.message.contains(named), error.message)
                XCTAssertTrue(error.message.contains("all-MiniLM-L6-v2"), error.message)
                XCTAssertTrue(error.hint?.contains("--provider ollama|tei|openai") ?? false)
            }
        }
    }

    func testConfigChecks() throws {
        let config = try BertConfig(directory: try LocalTestModel.directory())
        XCTAssertEqual(config, BertConfig(hiddenSize: 384, layers: 6, heads: 12, intermediateSize: 1536, maxPositions: 512,
                                          typeVocabSize: 2, vocabSize: 30522, layerNormEps: 1e-12))
        XCTAssertEqual(config.linearFLOPsPerToken, 21_233_664)
        for json in [#"{"model_type": "bert"}"#, "not json", #"{"model_type": "bert", "hidden_size": 10, "num_attention_heads": 3, "num_hidden_layers": 1, "intermediate_size": 4, "max_position_embeddings": 8, "vocab_size": 5}"#,
                     #"{"model_type": "bert", "hidden_size": -8, "num_attention_heads": 2, "num_hidden_layers": 1, "intermediate_size": 4, "max_position_embeddings": 8, "vocab_size": 5}"#] {
            XCTAssertThrowsError(try BertConfig(json: Data(json.utf8), path: "config.json")) { error in
                XCTAssertEqual((error as? LocalModelError)?.kind, .malformed, json)
            }
        }
        XCTAssertThrowsError(try BertConfig(directory: "/nonexistent")) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .missingFile)
        }
    }

    // MARK: SafeTensorsFile on bad input

    func testSafeTensorsRejectsMalformedFiles() throws {
        let directory = try temporaryDirectory(self)
        let four = Data(repeating: 0, count: 16)
        let cases: [(String, Data)] = [
            ("truncated", Data([1, 2, 3])),
            ("header length beyond the file", littleEndian(UInt64(1000)) + Data("{}".utf8)),
            ("header length absurd", littleEndian(UInt64.max) + Data("{}".utf8)),
            ("malformed JSON", file(header: #"{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]"#, data: four)),
            ("not an object", file(header: "[1, 2]", data: four)),
            ("missing shape", file(header: #"{"a": {"dtype": "F32", "data_offsets": [0, 16]}}"#, data: four)),
            ("offsets beyond the data", file(header: #"{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 20]}}"#, data: four)),
            ("offsets reversed", file(header: #"{"a": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}}"#, data: four)),
            ("negative offset", file(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}}"#, data: four)),
            ("three offsets", file(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}}"#, data: four)),
            ("wrong size for the shape", file(header: #"{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}}"#, data: four)),
            ("negative dimension", file(header: #"{"a": {"dtype": "F32", "shape": [-4], "data_offsets": [0, 16]}}"#, data: four)),
            ("overflowing shape", file(header: #"{"a": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 16]}}"#, data: four)),
            ("overlap", file(header: #"{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}"#, data: four)),
            ("unknown dtype out of range", file(header: #"{"a": {"dtype": "Q4_K", "shape": [4], "data_offsets": [0, 17]}}"#, data: four)),
        ]
        for (name, bytes) in cases {
            let path = directory + "/bad.safetensors"
            try bytes.write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try SafeTensorsFile(path: path), name) { error in
                guard let error = error as? LocalModelError else { return XCTFail("\(name): \(error)") }
                XCTAssertEqual(error.kind, .malformed, "\(name): \(error)")
                XCTAssertEqual(error.path, path)
            }
        }
        XCTAssertThrowsError(try SafeTensorsFile(path: directory + "/missing.safetensors")) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .missingFile)
        }
        XCTAssertThrowsError(try SafeTensorsFile(path: directory)) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .missingFile)
        }
    }

    func testSafeTensorsDtypes() throws {
        let directory = try temporaryDirectory(self)
        let path = directory + "/t.safetensors"
        let f32: [Float] = [1, -2.5, 3.25]
        let f16: [UInt16] = [0x3C00, 0xC100, 0x0400, 0x0001, 0x7BFF, 0x7C00, 0xFC00, 0x8000]
        let bf16: [UInt16] = [0x3F80, 0xC020, 0x4049]
        var data = Data()
        data += f32.reduce(Data()) { $0 + littleEndian($1.bitPattern) }  // 0..<12
        data += f16.reduce(Data()) { $0 + littleEndian($1) }  // 12..<28
        data += bf16.reduce(Data()) { $0 + littleEndian($1) }  // 28..<34
        data += Data([0, 0, 0, 0, 0, 0, 0, 0])  // 34..<42: I64 [1]
        data += littleEndian(Float(7).bitPattern)  // 42..<46: a misaligned F32
        let header = """
            {"__metadata__": {"format": "pt"},
             "f32": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]},
             "f16": {"dtype": "F16", "shape": [2, 4], "data_offsets": [12, 28]},
             "bf16": {"dtype": "BF16", "shape": [3], "data_offsets": [28, 34]},
             "ids": {"dtype": "I64", "shape": [1], "data_offsets": [34, 42]},
             "odd": {"dtype": "F32", "shape": [1], "data_offsets": [42, 46]},
             "q": {"dtype": "Q4_K", "shape": [7], "data_offsets": [46, 46]}}
            """
        try file(header: header, data: data).write(to: URL(fileURLWithPath: path))
        let st = try SafeTensorsFile(path: path)
        XCTAssertEqual(Set(st.entries.keys), ["f32", "f16", "bf16", "ids", "odd", "q"])
        let a = try st.floats("f32")
        XCTAssertEqual(a.values, f32)
        XCTAssertEqual(a.shape, [3])
        let h = try st.floats("f16")
        XCTAssertEqual(h.shape, [2, 4])
        XCTAssertEqual(h.values, [1, -2.5, 0x1p-14, 0x1p-24, 65504, .infinity, -.infinity, -0.0])
        XCTAssertEqual(try st.floats("bf16").values, [1, -2.5, 3.140625])
        XCTAssertEqual(try st.floats("odd").values, [7])
        for (name, dtype) in [("ids", "I64"), ("q", "Q4_K")] {
            XCTAssertThrowsError(try st.floats(name)) { error in
                XCTAssertEqual((error as? LocalModelError)?.kind, .badWeights)
                XCTAssertTrue("\(error)".contains(dtype) && "\(error)".contains(name), "\(error)")
            }
        }
        XCTAssertThrowsError(try st.floats("nope")) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .badWeights)
        }
        // Every F16 bit pattern converts as the hardware (or Swift's Float16, where there is one) does.
        for bits in UInt16.min...UInt16.max {
            let converted = SafeTensorsFile.floatFromHalf(bits)
            let exponent = (bits >> 10) & 0x1F, mantissa = bits & 0x3FF
            if exponent == 31 && mantissa != 0 { XCTAssertTrue(converted.isNaN); continue }
            let magnitude = exponent == 0 ? Float(mantissa) * 0x1p-24 : (exponent == 31 ? .infinity : Float(sign: .plus, exponent: Int(exponent) - 15, significand: 1 + Float(mantissa) / 1024))
            XCTAssertEqual(converted, bits & 0x8000 != 0 ? -magnitude : magnitude, "\(bits)")
        }
    }
}

/// A safetensors file's bytes: header length, header, data.
private func file(header: String, data: Data) -> Data {
    littleEndian(UInt64(header.utf8.count)) + Data(header.utf8) + data
}

private func littleEndian<T: FixedWidthInteger>(_ value: T) -> Data {
    withUnsafeBytes(of: value.littleEndian) { Data($0) }
}

private func cosine(_ a: [Float], _ b: [Float]) -> Double {
    var dot: Double = 0, na: Double = 0, nb: Double = 0
    for (x, y) in zip(a, b) { dot += Double(x) * Double(y); na += Double(x) * Double(x); nb += Double(y) * Double(y) }
    return dot / (na.squareRoot() * nb.squareRoot())
}

private func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// A BERT with random weights small enough for a scalar reference: hidden 12 (3 heads of 4), intermediate 20,
/// 2 layers, 30 tokens, 16 positions: sizes that aren't multiples of 8, so that the vector loops' tails run.
private struct TinyBert {
    let h = 12, heads = 3, i = 20, layers = 2, vocab = 30, positions = 16, types = 2
    var tensors: [(name: String, shape: [Int], values: [Float])] = []
    var shapeOverride: (String, [Int])?
    var omit: String?

    init(seed: UInt64, bfloat16Exact: Bool = false) {
        var rng = SplitMix64(seed: seed)
        func random(_ shape: [Int], scale: Float, offset: Float = 0) -> [Float] {
            (0..<shape.reduce(1, *)).map { _ in
                let u = Float(rng.next() >> 40) / Float(1 << 24) * 2 - 1
                // BF16 keeps 8 significant bits and F16 11: 6 bits fit both (and F16's exponent range).
                let v = offset + u * scale
                return bfloat16Exact ? (v * 64).rounded() / 64 : v
            }
        }
        func add(_ name: String, _ shape: [Int], scale: Float = 0.5, offset: Float = 0) {
            tensors.append((name, shape, random(shape, scale: scale, offset: offset)))
        }
        add("embeddings.word_embeddings.weight", [vocab, h])
        add("embeddings.position_embeddings.weight", [positions, h])
        add("embeddings.token_type_embeddings.weight", [types, h])
        add("embeddings.LayerNorm.weight", [h], scale: 0.25, offset: 1)
        add("embeddings.LayerNorm.bias", [h], scale: 0.25)
        for l in 0..<layers {
            let p = "encoder.layer.\(l)."
            for part in ["query", "key", "value"] {
                add(p + "attention.self.\(part).weight", [h, h])
                add(p + "attention.self.\(part).bias", [h], scale: 0.25)
            }
            add(p + "attention.output.dense.weight", [h, h])
            add(p + "attention.output.dense.bias", [h], scale: 0.25)
            add(p + "attention.output.LayerNorm.weight", [h], scale: 0.25, offset: 1)
            add(p + "attention.output.LayerNorm.bias", [h], scale: 0.25)
            add(p + "intermediate.dense.weight", [i, h])
            add(p + "intermediate.dense.bias", [i], scale: 0.25)
            add(p + "output.dense.weight", [h, i])
            add(p + "output.dense.bias", [h], scale: 0.25)
            add(p + "output.LayerNorm.weight", [h], scale: 0.25, offset: 1)
            add(p + "output.LayerNorm.bias", [h], scale: 0.25)
        }
    }

    func write(to directory: String, dtype: String, prefix: String) throws {
        let config = """
            {"architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu", "hidden_size": \(h),
             "num_attention_heads": \(heads), "num_hidden_layers": \(layers), "intermediate_size": \(i),
             "max_position_embeddings": \(positions), "type_vocab_size": \(types), "vocab_size": \(vocab),
             "layer_norm_eps": 1e-12, "position_embedding_type": "absolute"}
            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: directory + "/config.json"))
        var entries: [String] = [#""embeddings.position_ids": {"dtype": "I64", "shape": [1, 16], "data_offsets": [0, 128]}"#]
        var data = Data(count: 128)
        for t in tensors where t.name != omit {
            let shape = shapeOverride?.0 == t.name ? shapeOverride?.1 ?? t.shape : t.shape
            var values = t.values
            values += Array(repeating: 0, count: max(0, shape.reduce(1, *) - values.count))
            values = Array(values.prefix(shape.reduce(1, *)))
            let begin = data.count
            for v in values {
                switch dtype {
                case "F16": data += littleEndian(Self.half(v))
                case "BF16": data += littleEndian(UInt16(v.bitPattern >> 16))
                default: data += littleEndian(v.bitPattern)
                }
            }
            entries.append("\"\(prefix)\(t.name)\": {\"dtype\": \"\(dtype)\", \"shape\": \(shape), \"data_offsets\": [\(begin), \(data.count)]}")
        }
        var header = "{" + entries.joined(separator: ", ") + "}"
        while header.utf8.count % 8 != 0 { header += " " }
        try file(header: header, data: data).write(to: URL(fileURLWithPath: directory + "/model.safetensors"))
    }

    /// binary32 → binary16 for values that are exactly representable (normal range).
    static func half(_ v: Float) -> UInt16 {
        if v == 0 { return v.sign == .minus ? 0x8000 : 0 }
        let bits = v.bitPattern
        let exponent = Int((bits >> 23) & 0xFF) - 127 + 15
        return UInt16((bits >> 16) & 0x8000) | UInt16(exponent << 10) | UInt16((bits >> 13) & 0x3FF)
    }

    private func values(_ name: String) -> [Float] { tensors.first { $0.name == name }?.values ?? [] }

    /// The forward pass written plainly, in Double, with Foundation's erf.
    func referenceEmbedding(_ ids: [Int32], pooling: BertEncoder.Pooling) -> [Float] {
        let n = ids.count
        func linear(_ x: [[Double]], _ w: String, _ b: String, out: Int) -> [[Double]] {
            let wv = values(w), bv = values(b)
            let inputs = x[0].count
            return x.map { (row: [Double]) -> [Double] in
                (0..<out).map { (o: Int) -> Double in
                    var sum = Double(bv[o])
                    for i in 0..<inputs { sum += row[i] * Double(wv[o * inputs + i]) }
                    return sum
                }
            }
        }
        func norm(_ x: [[Double]], _ prefix: String) -> [[Double]] {
            let g = values(prefix + ".weight"), b = values(prefix + ".bias")
            return x.map { row in
                let mean = row.reduce(0, +) / Double(row.count)
                let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(row.count)
                return row.indices.map { (row[$0] - mean) / (variance + 1e-12).squareRoot() * Double(g[$0]) + Double(b[$0]) }
            }
        }
        let word = values("embeddings.word_embeddings.weight"), pos = values("embeddings.position_embeddings.weight")
        let type = values("embeddings.token_type_embeddings.weight")
        var x = (0..<n).map { t in (0..<h).map { Double(word[Int(ids[t]) * h + $0]) + Double(pos[t * h + $0]) + Double(type[$0]) } }
        x = norm(x, "embeddings.LayerNorm")
        let dh = h / heads
        for l in 0..<layers {
            let p = "encoder.layer.\(l)."
            let q = linear(x, p + "attention.self.query.weight", p + "attention.self.query.bias", out: h)
            let k = linear(x, p + "attention.self.key.weight", p + "attention.self.key.bias", out: h)
            let v = linear(x, p + "attention.self.value.weight", p + "attention.self.value.bias", out: h)
            var context = Array(repeating: Array(repeating: 0.0, count: h), count: n)
            for head in 0..<heads {
                let r = (head * dh)..<((head + 1) * dh)
                for a in 0..<n {
                    let scores = (0..<n).map { b in r.reduce(0.0) { $0 + q[a][$1] * k[b][$1] } / Double(dh).squareRoot() }
                    let m = scores.max() ?? 0
                    let e = scores.map { Foundation.exp($0 - m) }
                    let s = e.reduce(0, +)
                    for c in r { context[a][c] = (0..<n).reduce(0.0) { $0 + e[$1] / s * v[$1][c] } }
                }
            }
            let attended = linear(context, p + "attention.output.dense.weight", p + "attention.output.dense.bias", out: h)
            x = norm(zip(x, attended).map { zip($0, $1).map(+) }, p + "attention.output.LayerNorm")
            let up = linear(x, p + "intermediate.dense.weight", p + "intermediate.dense.bias", out: i)
                .map { $0.map { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) } }
            let down = linear(up, p + "output.dense.weight", p + "output.dense.bias", out: h)
            x = norm(zip(x, down).map { zip($0, $1).map(+) }, p + "output.LayerNorm")
        }
        var pooled = pooling == .cls ? x[0] : (0..<h).map { c in x.reduce(0.0) { $0 + $1[c] } / Double(n) }
        let length = pooled.reduce(0) { $0 + $1 * $1 }.squareRoot()
        pooled = pooled.map { $0 / length }
        return pooled.map { Float($0) }
    }
}
