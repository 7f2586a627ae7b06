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

    public init(source: String, category: String, recordID: String, title: String, text: String) {
        self.source = source
        self.category = category
        self.recordID = recordID
        self.title = title
        self.text = text
    }
}
