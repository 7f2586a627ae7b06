import COpenBLAS
import Dispatch
import Foundation

/// A BERT sentence encoder run natively: token ids in, pooled L2-normalized vectors out, with every matrix
/// product through OpenBLAS's sgemm.
///
/// Tokens of a batch are packed with no padding into one [tokens × hidden] matrix for the token-wise work
/// (embeddings, Q/K/V, attention output, feed-forward); attention runs per sequence and head on strided slices
/// of the packed Q/K/V, so no token ever sees another sequence's (the attention mask holds by construction) and
/// a sequence's vector doesn't depend on what it is batched with. Token type ids are all 0.
///
/// Safe to call from several threads at once: each call borrows scratch buffers from a pool.
public final class BertEncoder: Sendable {
    /// How a sequence's token vectors become one vector.
    public enum Pooling: String, Sendable {
        /// The mean over the sequence's tokens (sentence-transformers' usual pooling).
        case mean
        /// The first token's ([CLS]) vector.
        case cls
    }

    /// How the cores are used.
    public enum Parallelism: String, Sendable {
        /// BLAS single-threaded; the batch's sequences are split among `threads` threads, each running the whole
        /// encoder on its share (element-wise work and small attention products run in parallel too).
        case sequences
        /// One thread runs the encoder; OpenBLAS spreads each matrix product over `threads` threads.
        case blas
    }

    /// A batch's input that can't be encoded (a programming error upstream: the tokenizer makes valid input).
    public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The index of the offending sequence in the batch.
        public var sequence: Int
        public var message: String
        public var description: String { "sequence \(sequence): \(message)" }
    }

    public let config: BertConfig
    public let threads: Int
    public let parallelism: Parallelism
    /// The most tokens one thread processes at once (sequences are never split): bounds the scratch memory at
    /// `(maxChunkTokens × (5·hidden + intermediate) + maxPositions²) × 4` bytes per thread (28 MB for MiniLM at
    /// the default 2,048), kept between calls.
    public let maxChunkTokens: Int
    private let weights: BertWeights
    private let pool = WorkspacePool()

    public var hiddenSize: Int { config.hiddenSize }
    public var maxPositions: Int { config.maxPositions }
    public var vocabSize: Int { config.vocabSize }

    /// Loads `directory/config.json` and `directory/model.safetensors` (mapped, used in place).
    public convenience init(directory: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                            parallelism: Parallelism = .sequences, maxChunkTokens: Int = 2048) throws {
        let config = try BertConfig(directory: directory)
        let file = try SafeTensorsFile(path: (directory as NSString).appendingPathComponent("model.safetensors"))
        try self.init(config: config, file: file, threads: threads, parallelism: parallelism, maxChunkTokens: maxChunkTokens)
    }

    init(config: BertConfig, file: SafeTensorsFile, threads: Int, parallelism: Parallelism, maxChunkTokens: Int) throws {
        self.config = config
        self.weights = try BertWeights(file: file, config: config)
        self.threads = max(1, threads)
        self.parallelism = parallelism
        self.maxChunkTokens = max(maxChunkTokens, config.maxPositions)
    }

    /// Pooled, L2-normalized vectors, row-major [sequences.count × hiddenSize], in the order given. Each
    /// sequence is 1…maxPositions token ids below the vocabulary size (special tokens included, as the tokenizer
    /// makes them); anything else throws ``InputError`` before any work is done.
    public func embed(_ sequences: [[Int32]], pooling: Pooling = .mean) throws -> [Float] {
        let h = config.hiddenSize
        for (n, sequence) in sequences.enumerated() {
            guard !sequence.isEmpty, sequence.count <= config.maxPositions else {
                throw InputError(sequence: n, message: "\(sequence.count) tokens; the model takes 1 to \(config.maxPositions)")
            }
            if let bad = sequence.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
                throw InputError(sequence: n, message: "token id \(bad) is outside the vocabulary (0..<\(config.vocabSize))")
            }
        }
        guard !sequences.isEmpty else { return [] }

        let chunks = plan(sequences)
        let workers = parallelism == .sequences ? min(threads, chunks.count) : 1
        openblas_set_num_threads(Int32(parallelism == .sequences ? 1 : threads))
        let workspaces = pool.take(workers, make: { Workspace(config: config, tokens: maxChunkTokens) })
        defer { pool.give(workspaces) }

        return [Float](unsafeUninitializedCapacity: sequences.count * h) { output, initialized in
            guard let base = output.baseAddress else { initialized = 0; return }
            let out = OutputRows(base: base)
            let next = ChunkCounter()
            let work = { @Sendable (worker: Int) in
                while let c = next.take(below: chunks.count) {
                    self.encode(chunks[c], of: sequences, in: workspaces[worker], pooling: pooling, into: out.base)
                }
            }
            if workers == 1 {
                work(0)
            } else {
                DispatchQueue.concurrentPerform(iterations: workers, execute: work)
            }
            initialized = sequences.count * h
        }
    }

    /// Groups the sequences, longest first, into chunks of up to a target token count, so that threads pulling
    /// chunks in turn finish together: small enough for several chunks per thread, large enough (≥ 256 tokens)
    /// that the GEMMs run at full speed (and the working set stays near the caches).
    private func plan(_ sequences: [[Int32]]) -> [[Int]] {
        let order = sequences.indices.sorted { (sequences[$0].count, $0) > (sequences[$1].count, $1) }
        let total = sequences.reduce(0) { $0 + $1.count }
        // With BLAS threads there is one worker: the bigger the chunk, the better OpenBLAS splits each product.
        let target = parallelism == .blas ? maxChunkTokens : min(maxChunkTokens, max(256, total / (threads * 4)))
        var chunks: [[Int]] = []
        var current: [Int] = []
        var tokens = 0
        for s in order {
            let n = sequences[s].count
            if tokens + n > target, !current.isEmpty {
                chunks.append(current)
                current = []
                tokens = 0
            }
            current.append(s)
            tokens += n
        }
        if !current.isEmpty { chunks.append(current) }
        return chunks
    }

    /// The whole encoder over one chunk of sequences, packed; writes each sequence's pooled vector to its row of
    /// `output`.
    private func encode(_ chunk: [Int], of sequences: [[Int32]], in ws: Workspace, pooling: Pooling, into output: UnsafeMutablePointer<Float>) {
        let h = config.hiddenSize, inter = config.intermediateSize, heads = config.heads, dh = h / heads
        let eps = config.layerNormEps
        let x = ws.x.base, qkv = ws.qkv.base, context = ws.context.base, up = ws.intermediate.base, scores = ws.scores.base
        let lengths = chunk.map { sequences[$0].count }
        let t = lengths.reduce(0, +)
        let T = Int32(t), H = Int32(h), I = Int32(inter)

        // Embeddings: word + (position + type 0), then layer norm.
        var row = 0
        for s in chunk {
            for (position, id) in sequences[s].enumerated() {
                let r = x + row * h
                EncoderKernels.add(weights.wordEmbeddings.pointer + Int(id) * h, weights.positionEmbeddings.pointer + position * h, into: r, count: h)
                EncoderKernels.layerNorm(r, count: h, bias: nil, gamma: weights.embeddingNormWeight.pointer,
                                         beta: weights.embeddingNormBias.pointer, eps: eps)
                row += 1
            }
        }

        let scale = 1 / Float(dh).squareRoot()
        for layer in weights.layers {
            // Q, K, V for every token in one GEMM: qkv = bias; qkv += x · Wqkvᵀ.
            for r in 0..<t { (qkv + r * 3 * h).update(from: layer.qkvBias.pointer, count: 3 * h) }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, 3 * H, H, 1, x, H, layer.qkvWeight.pointer, H, 1, qkv, 3 * H)

            // Attention per sequence and head, on slices of the packed rows (stride 3H).
            var start = 0
            for length in lengths {
                let L = Int32(length)
                for head in 0..<heads {
                    let q = qkv + start * 3 * h + head * dh
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, L, L, Int32(dh), scale, q, 3 * H, q + h, 3 * H, 0, scores, L)
                    for i in 0..<length { EncoderKernels.softmax(scores + i * length, count: length) }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L, Int32(dh), L, 1, scores, L, q + 2 * h, 3 * H, 0,
                                context + start * h + head * dh, H)
                }
                start += length
            }

            // x += context · Woᵀ, then x = LayerNorm(x + bo): the residual is accumulated by the GEMM.
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, H, H, 1, context, H, layer.attentionOutWeight.pointer, H, 1, x, H)
            for r in 0..<t {
                EncoderKernels.layerNorm(x + r * h, count: h, bias: layer.attentionOutBias.pointer, gamma: layer.attentionNormWeight.pointer,
                                         beta: layer.attentionNormBias.pointer, eps: eps)
            }

            // Feed-forward: up = GELU(x · Wupᵀ + bup); x += up · Wdownᵀ; x = LayerNorm(x + bdown).
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, I, H, 1, x, H, layer.upWeight.pointer, H, 0, up, I)
            for r in 0..<t { EncoderKernels.biasGELU(up + r * inter, count: inter, bias: layer.upBias.pointer) }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, H, I, 1, up, I, layer.downWeight.pointer, I, 1, x, H)
            for r in 0..<t {
                EncoderKernels.layerNorm(x + r * h, count: h, bias: layer.downBias.pointer, gamma: layer.outputNormWeight.pointer,
                                         beta: layer.outputNormBias.pointer, eps: eps)
            }
        }

        // Pooling and L2 normalization, into each sequence's own output row.
        var first = 0
        for (s, length) in zip(chunk, lengths) {
            let out = output + s * h
            switch pooling {
            case .cls:
                out.update(from: x + first * h, count: h)
            case .mean:
                out.update(repeating: 0, count: h)
                for r in first..<(first + length) { EncoderKernels.add(out, x + r * h, into: out, count: h) }
                let inverse = 1 / Float(length)
                for j in 0..<h { out[j] *= inverse }
            }
            var norm: Float = 0
            for j in 0..<h { norm += out[j] * out[j] }
            // sentence-transformers' Normalize: x / max(‖x‖, 1e-12).
            let inverse = 1 / max(norm.squareRoot(), 1e-12)
            for j in 0..<h { out[j] *= inverse }
            first += length
        }
    }

    /// The output's rows; each sequence's is written by the one thread encoding it.
    private struct OutputRows: @unchecked Sendable {
        let base: UnsafeMutablePointer<Float>
    }

    /// One thread's scratch matrices, sized for `tokens` packed tokens.
    final class Workspace: @unchecked Sendable {  // used by one thread at a time (taken from the pool per call)
        let x: FloatBuffer
        let qkv: FloatBuffer
        let context: FloatBuffer
        let intermediate: FloatBuffer
        /// One head's [L × L] attention scores.
        let scores: FloatBuffer

        init(config: BertConfig, tokens: Int) {
            x = FloatBuffer(count: tokens * config.hiddenSize)
            qkv = FloatBuffer(count: tokens * 3 * config.hiddenSize)
            context = FloatBuffer(count: tokens * config.hiddenSize)
            intermediate = FloatBuffer(count: tokens * config.intermediateSize)
            scores = FloatBuffer(count: config.maxPositions * config.maxPositions)
        }
    }

    /// Workspaces between calls, reused so that a steady stream of batches allocates nothing.
    private final class WorkspacePool: @unchecked Sendable {  // `spare` is only touched under `lock`
        private let lock = NSLock()
        private var spare: [Workspace] = []

        func take(_ count: Int, make: () -> Workspace) -> [Workspace] {
            let taken: [Workspace] = lock.withLock {
                let n = min(count, spare.count)
                defer { spare.removeLast(n) }
                return Array(spare.suffix(n))
            }
            return taken + (0..<(count - taken.count)).map { _ in make() }
        }

        func give(_ workspaces: [Workspace]) {
            lock.withLock { spare += workspaces }
        }
    }

    /// Hands out chunk indexes to the threads, each once.
    private final class ChunkCounter: @unchecked Sendable {  // `next` is only touched under `lock`
        private let lock = NSLock()
        private var next = 0

        func take(below limit: Int) -> Int? {
            lock.withLock {
                guard next < limit else { return nil }
                defer { next += 1 }
                return next
            }
        }
    }
}
