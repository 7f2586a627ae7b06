/// The rows one shard receives for one checkpoint chunk: keys, their vectors (row-major, one allocation),
/// and what seeder keeps about each text (source, category, record, the text itself).
public struct ShardBatch: Sendable {
    public var hashes: [TextHash] = []
    public var vectors: [Float] = []
    public var texts: [SeededText] = []
    public var dimensions: Int

    public init(dimensions: Int) { self.dimensions = dimensions }

    public var count: Int { hashes.count }

    mutating func reserve(_ rows: Int) {
        hashes.reserveCapacity(rows)
        vectors.reserveCapacity(rows * dimensions)
        texts.reserveCapacity(rows)
    }

    /// The rows in `count` contiguous parts of (nearly) equal size, in order.
    func split(into count: Int) -> [ShardBatch] {
        let parts = max(1, min(count, self.count))
        return (0..<parts).map { part in
            let start = self.count * part / parts, end = self.count * (part + 1) / parts
            var piece = ShardBatch(dimensions: dimensions)
            piece.hashes = Array(hashes[start..<end])
            piece.vectors = Array(vectors[(start * dimensions)..<(end * dimensions)])
            piece.texts = Array(texts[start..<end])
            return piece
        }
    }

    mutating func append(hash: TextHash, vector: UnsafeBufferPointer<Float>, text: SeededText) {
        hashes.append(hash)
        vectors.append(contentsOf: vector)
        texts.append(text)
    }
}

/// Where a seeded text came from, kept in `seeder_texts` for reports and re-embedding.
public struct SeededText: Sendable, Equatable {
    public var source: String
    public var category: String
    public var recordID: String
    public var title: String
    /// The normalized text (the string whose hash is the key), without any task prefix.
    public var text: String
}
