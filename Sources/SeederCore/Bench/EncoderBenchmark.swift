import COpenBLAS
import Dispatch
import Foundation

/// The measurements behind `seeder bench encoder`: how close the native encoder comes to the machine's
/// FLOP-bound limit, i.e. the tokens/s it would reach if it did nothing but its linear layers' GEMMs at the
/// machine's sgemm rate.
///
/// The sgemm rate and the encoder are measured side by side, round after round in one run, so that a noisy
/// (shared) machine slows both alike; the figures are medians over rounds.
public enum EncoderBenchmark {
    /// What a run measured. Rates are medians over `rounds`.
    public struct Figures: Codable, Sendable {
        public var threads: Int
        public var parallelism: String
        /// The sgemm shape timed, M×N×K (a feed-forward product over a large packed batch).
        public var sgemmShape: String
        /// All `threads` cores each running single-threaded sgemm at once (the threading the encoder uses by
        /// default), in GFLOP/s summed over the cores.
        public var sgemmGFLOPSPerCoreThreads: Double
        /// One sgemm spread over `threads` threads by OpenBLAS.
        public var sgemmGFLOPSBLASThreads: Double
        /// The larger of the two: the machine's limit.
        public var sgemmGFLOPS: Double
        /// 2 × the linear layers' weights: layers × (4H² + 2·H·I) multiply-adds per token.
        public var flopsPerToken: Double
        /// sgemmGFLOPS / flopsPerToken.
        public var limitTokensPerSecond: Double
        public var tokensPerSecond: Double
        public var sequencesPerSecond: Double
        /// tokensPerSecond / limitTokensPerSecond.
        public var ratio: Double
        public var batches: Int
        public var sequences: Int
        public var tokens: Int
        public var meanLength: Double
        public var rounds: Int
    }

    /// Times the encoder over `batches` (each one `embed` call) and sgemm, alternately, for `rounds` rounds.
    public static func run(encoder: BertEncoder, batches: [[[Int32]]], rounds: Int = 5,
                           sgemmShape: (m: Int, n: Int, k: Int) = (4096, 1536, 384)) throws -> Figures {
        let threads = encoder.threads
        let tokens = batches.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }
        let sequences = batches.reduce(0) { $0 + $1.count }
        let flops = encoder.config.linearFLOPsPerToken
        _ = try batches.first.map { try encoder.embed($0) }  // warm-up: page in the weights, make the workspaces
        var perCore: [Double] = [], blas: [Double] = [], encoderRates: [Double] = [], ratios: [Double] = []
        for _ in 0..<max(1, rounds) {
            let a = sgemmGFLOPS(threads: threads, blasThreads: false, shape: sgemmShape)
            let b = sgemmGFLOPS(threads: threads, blasThreads: true, shape: sgemmShape)
            let start = DispatchTime.now().uptimeNanoseconds
            for batch in batches { _ = try encoder.embed(batch) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let rate = Double(tokens) / seconds
            perCore.append(a)
            blas.append(b)
            encoderRates.append(rate)
            ratios.append(rate / (max(a, b) * 1e9 / flops))
        }
        let limit = max(median(perCore), median(blas))
        let rate = median(encoderRates)
        return Figures(
            threads: threads, parallelism: encoder.parallelism.rawValue,
            sgemmShape: "\(sgemmShape.m)x\(sgemmShape.n)x\(sgemmShape.k)",
            sgemmGFLOPSPerCoreThreads: median(perCore), sgemmGFLOPSBLASThreads: median(blas), sgemmGFLOPS: limit,
            flopsPerToken: flops, limitTokensPerSecond: limit * 1e9 / flops,
            tokensPerSecond: rate, sequencesPerSecond: rate * Double(sequences) / Double(max(tokens, 1)),
            ratio: median(ratios), batches: batches.count, sequences: sequences, tokens: tokens,
            meanLength: Double(tokens) / Double(max(sequences, 1)), rounds: max(1, rounds))
    }

    /// sgemm's rate in GFLOP/s on `shape`: `threads` threads each running single-threaded sgemm on its own
    /// matrices at once (`blasThreads` false), or one sgemm at a time on `threads` OpenBLAS threads.
    public static func sgemmGFLOPS(threads: Int, blasThreads: Bool, shape: (m: Int, n: Int, k: Int),
                                   minSeconds: Double = 0.5) -> Double {
        let (m, n, k) = shape
        let workers = blasThreads ? 1 : threads
        openblas_set_num_threads(Int32(blasThreads ? threads : 1))
        let buffers = (0..<workers).map { _ in GEMMOperands(m: m, n: n, k: k) }
        // Calls per worker so that the run lasts about minSeconds (from one timed call, at ≥ 2).
        let probeStart = DispatchTime.now().uptimeNanoseconds
        buffers[0].multiply()
        let probe = max(Double(DispatchTime.now().uptimeNanoseconds - probeStart) / 1e9, 1e-6)
        let calls = max(2, Int(minSeconds / probe))
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            for _ in 0..<calls { buffers[w].multiply() }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return 2 * Double(m) * Double(n) * Double(k) * Double(calls * workers) / seconds / 1e9
    }

    /// How long sequences are in a synthetic batch.
    public enum Lengths: Sendable {
        /// Like Wikipedia abstracts: log-normal, mean about 60 tokens, clamped to 10…256.
        case wikipediaLike
        /// All the same length.
        case fixed(Int)
    }

    /// `count` sequences of random token ids (the encoder's speed doesn't depend on the ids), deterministic for
    /// a seed, split into batches of `batchSize`.
    public static func syntheticBatches(count: Int, batchSize: Int, lengths: Lengths, vocabSize: Int, seed: UInt64 = 42) -> [[[Int32]]] {
        var rng = SplitMix64(seed: seed)
        func uniform() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
        let sequences: [[Int32]] = (0..<count).map { _ in
            let length: Int
            switch lengths {
            case .fixed(let n):
                length = n
            case .wikipediaLike:
                // Box–Muller normal → log-normal with σ 0.6 and median 50 (mean ≈ 60).
                let z = (-2 * log(max(uniform(), 1e-300))).squareRoot() * cos(2 * Double.pi * uniform())
                length = min(256, max(10, Int(exp(log(50.0) + 0.6 * z))))
            }
            return (0..<length).map { _ in Int32(rng.next() % UInt64(max(vocabSize, 1))) }
        }
        return stride(from: 0, to: count, by: max(batchSize, 1)).map { Array(sequences[$0..<min($0 + batchSize, count)]) }
    }

    private static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// One thread's sgemm operands (A: m×k, B: n×k used transposed, as the encoder's weights are; C: m×n).
    private final class GEMMOperands: @unchecked Sendable {  // each used by one thread
        let m: Int, n: Int, k: Int
        let a: FloatBuffer, b: FloatBuffer, c: FloatBuffer

        init(m: Int, n: Int, k: Int) {
            (self.m, self.n, self.k) = (m, n, k)
            a = FloatBuffer(count: m * k)
            b = FloatBuffer(count: n * k)
            c = FloatBuffer(count: m * n)
            for i in 0..<(m * k) { a.base[i] = Float(i % 7) * 0.1 }
            for i in 0..<(n * k) { b.base[i] = Float(i % 5) * 0.1 }
        }

        func multiply() {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a.base, Int32(k), b.base, Int32(k), 0, c.base, Int32(n))
        }
    }
}
