import Foundation

/// The source stage of a run, timed alone: a source's records through the pipeline's own first steps — the text
/// template, the normalizer, the hash, the in-run dedup set — and the `hash` provider's vectors, with no shard
/// writes. `seeder bench sources` compares it with `bzip2 -dc` and a Python reader of the same file.
public enum SourceBenchmark {
    public struct Result: Sendable {
        public var seconds: Double
        public var items: Int64
        public var records: Int
        public var texts: Int
        public var duplicates: Int
        public var skipped: [SkipReason: Int]
        /// Checksum of the vectors made, so that no step can be optimized away.
        public var checksum: Float
    }

    /// Reads `source` whole and times it.
    public static func run(_ source: RecordSource, template: String = "{body}", minChars: Int = 20, maxChars: Int = 100_000,
                           dimensions: Int = 384, chunkSize: Int = 8_192) throws -> Result {
        let render = try TextTemplate(template)
        var seen = SeenSet()
        var result = Result(seconds: 0, items: 0, records: 0, texts: 0, duplicates: 0, skipped: [:], checksum: 0)
        let start = ContinuousClock.now
        // As in a run, the source reads on a thread of its own and hands chunks over a queue of two.
        let queue = ChunkQueue()
        let reader = Thread {
            do {
                try source.read(resumeAfter: .start, chunkSize: chunkSize) { queue.put($0) }
                queue.finish(nil)
            } catch {
                queue.finish(error)
            }
        }
        reader.stackSize = 1 << 20
        reader.start()
        while let chunk = try queue.take() {
            result.items = chunk.checkpoint.items
            result.records += chunk.records.count
            chunk.skipped.forEach { result.skipped[$0.key, default: 0] += $0.value }
            var hashes: [TextHash] = []
            hashes.reserveCapacity(chunk.records.count)
            for record in chunk.records {
                guard let raw = render.render(record) else { continue }
                let normalized = TextNormalizer.normalize(raw)
                guard Pipeline.lengthSkip(normalized, minChars: minChars, maxChars: maxChars) == nil else { continue }
                result.texts += 1
                let hash = TextHash(normalized: normalized)
                if seen.insert(hash) { hashes.append(hash) } else { result.duplicates += 1 }
            }
            // The hash provider's work, in batches as the pipeline sends them.
            var start = 0
            while start < hashes.count {
                let batch = Array(hashes[start..<min(start + 256, hashes.count)])
                let matrix = HashEmbeddingProvider.vectors(for: batch, dimensions: dimensions)
                result.checksum += matrix.values.first ?? 0
                start += 256
            }
        }
        let elapsed = ContinuousClock.now - start
        result.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return result
    }
}

/// A blocking queue of at most two chunks between a source's thread and the benchmark's consumer.
private final class ChunkQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [RecordChunk] = []
    private var done = false
    private var failure: Error?

    func put(_ chunk: RecordChunk) {
        condition.lock()
        while chunks.count >= 2 { condition.wait() }
        chunks.append(chunk)
        condition.broadcast()
        condition.unlock()
    }

    func finish(_ error: Error?) {
        condition.lock()
        done = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// The next chunk; nil at the end; rethrows the source's error once the chunks before it are taken.
    func take() throws -> RecordChunk? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !done { condition.wait() }
        if !chunks.isEmpty {
            condition.broadcast()
            return chunks.removeFirst()
        }
        if let failure { throw failure }
        return nil
    }
}
