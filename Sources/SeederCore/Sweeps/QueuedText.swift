/// A text a sweep queued for re-embedding (`seeder_reseed`): the stale row's key, its text as seeder stored it when
/// it seeded it, and the hits it had, which order the queue (hottest first).
public struct QueuedText: Sendable, Equatable {
    public var hash: TextHash
    public var origin: SeededOrigin
    public var recordID: String
    public var title: String
    /// The normalized text (whose hash is `hash`).
    public var text: String
    public var hitCount: Int64

    public init(hash: TextHash, origin: SeededOrigin, recordID: String, title: String, text: String, hitCount: Int64) {
        self.hash = hash
        self.origin = origin
        self.recordID = recordID
        self.title = title
        self.text = text
        self.hitCount = hitCount
    }

    /// Where the queue's order puts this text: hit count descending, then key ascending.
    public var cursor: ReseedCursor { ReseedCursor(hitCount: hitCount, hash: hash.hex) }
}

/// A position in a shard's re-embedding queue: texts come after it when they have fewer hits, or as many and a
/// greater key.
public struct ReseedCursor: Sendable, Equatable, Comparable {
    public var hitCount: Int64
    public var hash: String

    public init(hitCount: Int64, hash: String) {
        self.hitCount = hitCount
        self.hash = hash
    }

    /// Queue order: hottest first.
    public static func < (a: ReseedCursor, b: ReseedCursor) -> Bool {
        a.hitCount != b.hitCount ? a.hitCount > b.hitCount : a.hash.utf8.lexicographicallyPrecedes(b.hash.utf8)
    }
}
