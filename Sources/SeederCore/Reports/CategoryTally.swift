/// Seeded rows of one model value, version and tenant, summed per (source, category): what a shard contributes to
/// an ``ExpansionReport``. Shards' tallies add up (``merge(_:)``).
public struct CategoryTally: Sendable, Equatable {
    /// Every row once, whatever its categories.
    public var totals = ExpansionReport.Figures()
    /// UTF-8 bytes of every row's text (for each category's share of what making the rows cost).
    public var textBytes: Int64 = 0
    public var categories: [ExpansionReport.CategoryName: Entry] = [:]

    public struct Entry: Sendable, Equatable {
        public var figures = ExpansionReport.Figures()
        public var textBytes: Int64 = 0

        public init() {}
    }

    public init() {}

    /// Counts one seeded row: its source, its category value (several joined by `|` count in each), its hits, when
    /// it was last hit (`YYYY-MM-DD HH:MM:SS`, any longer form is cut to that), and its text's length.
    public mutating func add(source: String, category: String, hits: Int64, lastHit: String?, textBytes bytes: Int64) {
        let last = lastHit.map(Self.normalizedTimestamp)
        Self.add(&totals, hits: hits, lastHit: last)
        textBytes += bytes
        let names = category.split(separator: "|", omittingEmptySubsequences: true)
        for name in names.isEmpty ? [""] : names.map(String.init) {
            let key = ExpansionReport.CategoryName(source: source, category: name)
            var entry = categories[key] ?? Entry()
            Self.add(&entry.figures, hits: hits, lastHit: last)
            entry.textBytes += bytes
            categories[key] = entry
        }
    }

    public mutating func merge(_ other: CategoryTally) {
        Self.merge(&totals, other.totals)
        textBytes += other.textBytes
        for (key, entry) in other.categories {
            var mine = categories[key] ?? Entry()
            Self.merge(&mine.figures, entry.figures)
            mine.textBytes += entry.textBytes
            categories[key] = mine
        }
    }

    private static func add(_ figures: inout ExpansionReport.Figures, hits: Int64, lastHit: String?) {
        figures.rows += 1
        if hits > 0 { figures.rowsHit += 1 }
        figures.hits += max(0, hits)
        if let lastHit, figures.lastHit.map({ $0 < lastHit }) ?? true { figures.lastHit = lastHit }
    }

    private static func merge(_ figures: inout ExpansionReport.Figures, _ other: ExpansionReport.Figures) {
        figures.rows += other.rows
        figures.rowsHit += other.rowsHit
        figures.hits += other.hits
        if let last = other.lastHit, figures.lastHit.map({ $0 < last }) ?? true { figures.lastHit = last }
    }

    /// `2026-11-23T06:00:00.123Z`, `2026-11-23 06:00:00.123456` → `2026-11-23 06:00:00`: the cache server and the
    /// two stores write timestamps in slightly different forms; they compare as text once cut to this one.
    static func normalizedTimestamp(_ text: String) -> String {
        String(text.prefix(19)).replacingOccurrences(of: "T", with: " ")
    }
}

/// A hit to count into a shard (`seeder hits replay --apply`): a key, how many times the log asked for it, and the
/// latest time it did (`YYYY-MM-DD HH:MM:SS`, UTC).
public struct HitCount: Sendable, Equatable {
    public var hash: TextHash
    public var count: Int64
    public var lastHitAt: String

    public init(hash: TextHash, count: Int64, lastHitAt: String) {
        self.hash = hash
        self.count = count
        self.lastHitAt = lastHitAt
    }
}

/// Where a stored row's text came from, as seeder recorded it when it seeded it.
public struct SeededOrigin: Sendable, Equatable {
    public var source: String
    public var category: String

    public init(source: String, category: String) {
        self.source = source
        self.category = category
    }
}
