/// What `seeder report` says about a job's seeded rows: which sources and categories the cache's users hit, which
/// to seed more of, which are not worth keeping, and what the rows cost against what their hits saved.
///
/// Built by ``ExpansionReportBuilder`` from the shards' `embeddings` (`hit_count`, `last_hit_at`, kept up to date
/// by the cache server) joined with seeder's `seeder_texts` (source and category of each row it wrote), and
/// rendered as text, JSON (this type, `Codable`) or one self-contained HTML file (``ReportHTML``).
public struct ExpansionReport: Sendable, Equatable, Codable {
    /// The job's name, the model's canonical id and current version, and the tenant the report covers.
    public var job: String
    public var model: String
    public var modelVersion: String
    public var tenant: String
    /// When the report was made, ISO 8601 UTC (`2026-11-23T06:00:00Z`).
    public var generatedAt: String

    /// Every row of the model's current version and the tenant that seeder wrote (rows of each category are
    /// counted once here, even when a row has several categories).
    public var totals: Figures
    /// One entry per (source, category), hottest first (by hits, then hit density, then name). A Wikipedia article
    /// with several categories counts in each of them.
    public var categories: [CategoryFigures]
    /// Which categories to expand, which to drop, and how to split the next round's texts.
    public var recommendation: Recommendation
    /// What the rows cost to make and what their hits saved.
    public var cost: CostView
    /// Total hits as earlier reports recorded them, one point a day, oldest first, today's last.
    public var history: [HistoryPoint]

    public init(job: String, model: String, modelVersion: String, tenant: String, generatedAt: String, totals: Figures,
                categories: [CategoryFigures], recommendation: Recommendation, cost: CostView, history: [HistoryPoint]) {
        self.job = job
        self.model = model
        self.modelVersion = modelVersion
        self.tenant = tenant
        self.generatedAt = generatedAt
        self.totals = totals
        self.categories = categories
        self.recommendation = recommendation
        self.cost = cost
        self.history = history
    }

    /// Rows, rows hit at least once, hits, and when the last hit was.
    public struct Figures: Sendable, Equatable, Codable {
        public var rows: Int64
        public var rowsHit: Int64
        public var hits: Int64
        /// `YYYY-MM-DD HH:MM:SS` (UTC), the latest `last_hit_at`; nil when nothing was hit.
        public var lastHit: String?

        /// Hits per row seeded (0 when no rows).
        public var hitDensity: Double { rows == 0 ? 0 : Double(hits) / Double(rows) }
        /// The share of rows hit at least once.
        public var hitRate: Double { rows == 0 ? 0 : Double(rowsHit) / Double(rows) }

        public init(rows: Int64 = 0, rowsHit: Int64 = 0, hits: Int64 = 0, lastHit: String? = nil) {
            self.rows = rows
            self.rowsHit = rowsHit
            self.hits = hits
            self.lastHit = lastHit
        }
    }

    /// What to do with a category.
    public enum Verdict: String, Sendable, Equatable, Codable {
        /// Hit more than the average (its upper bound is above it): seed more of it.
        case expand
        /// Too few rows to judge; its wide upper bound keeps it in the next round's split.
        case explore
        /// About average: keep, don't grow.
        case keep
        /// Enough rows to be sure it is hit far less than the average: not worth keeping.
        case drop
    }

    public struct CategoryFigures: Sendable, Equatable, Codable {
        public var source: String
        /// The category as the source gave it (empty: records without a category).
        public var category: String
        public var figures: Figures
        /// Hit density against the average's (1 = average; 0 when the average is 0).
        public var lift: Double
        /// The upper confidence bound on hits per row (``Recommendation/rule``).
        public var upperBound: Double
        public var verdict: Verdict
        /// Texts of the next round given to this category (0 unless expanded or explored).
        public var nextTexts: Int
        /// This category's share of what making the rows cost, and what its hits saved (dollars).
        public var costToMake: Double
        public var saved: Double

        public init(source: String, category: String, figures: Figures, lift: Double, upperBound: Double, verdict: Verdict,
                    nextTexts: Int, costToMake: Double, saved: Double) {
            self.source = source
            self.category = category
            self.figures = figures
            self.lift = lift
            self.upperBound = upperBound
            self.verdict = verdict
            self.nextTexts = nextTexts
            self.costToMake = costToMake
            self.saved = saved
        }
    }

    public struct Recommendation: Sendable, Equatable, Codable {
        /// The rule, in a sentence or two, with its parameters: what the upper bound is and why it is used.
        public var rule: String
        /// Texts the next round may seed (`--budget`).
        public var budget: Int
        /// The split of `budget` across categories, largest first; sums to `budget` when any category qualifies.
        public var split: [Allocation]
        /// Categories judged not worth keeping (verdict `drop`), worst first.
        public var drop: [CategoryName]

        public init(rule: String, budget: Int, split: [Allocation], drop: [CategoryName]) {
            self.rule = rule
            self.budget = budget
            self.split = split
            self.drop = drop
        }
    }

    public struct CategoryName: Sendable, Equatable, Hashable, Codable {
        public var source: String
        public var category: String

        public init(source: String, category: String) {
            self.source = source
            self.category = category
        }
    }

    public struct Allocation: Sendable, Equatable, Codable {
        public var source: String
        public var category: String
        public var texts: Int
        public var verdict: Verdict

        public init(source: String, category: String, texts: Int, verdict: Verdict) {
            self.source = source
            self.category = category
            self.texts = texts
            self.verdict = verdict
        }
    }

    /// seeds/002's cost model: a hit saves one embedding call at `pricePerEmbedding`.
    public struct CostView: Sendable, Equatable, Codable {
        /// Dollars per embedding call saved by a hit (`--price-per-embedding`; seeds/002 uses $0.0001).
        public var pricePerEmbedding: Double
        /// Tokens the runs that wrote these rows sent, and what they cost.
        public var tokens: Int64
        public var costToMake: Double
        /// How `costToMake` was found: `"runs"` (their tokens at their price per million tokens) or `"per-embedding"`
        /// (no run had a price: rows × `pricePerEmbedding`).
        public var costBasis: String
        /// hits × `pricePerEmbedding`.
        public var saved: Double

        /// What the hits saved beyond what the rows cost.
        public var net: Double { saved - costToMake }

        public init(pricePerEmbedding: Double, tokens: Int64, costToMake: Double, costBasis: String, saved: Double) {
            self.pricePerEmbedding = pricePerEmbedding
            self.tokens = tokens
            self.costToMake = costToMake
            self.costBasis = costBasis
            self.saved = saved
        }
    }

    public struct HistoryPoint: Sendable, Equatable, Codable {
        /// `YYYY-MM-DD` (UTC).
        public var day: String
        public var rows: Int64
        public var rowsHit: Int64
        public var hits: Int64

        public init(day: String, rows: Int64, rowsHit: Int64, hits: Int64) {
            self.day = day
            self.rows = rows
            self.rowsHit = rowsHit
            self.hits = hits
        }
    }
}

// The derived figures (density, hit rate, net) are written to JSON too, for readers that don't recompute them.
extension ExpansionReport.Figures {
    private enum CodingKeys: String, CodingKey { case rows, rowsHit, hits, lastHit, hitDensity, hitRate }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rows, forKey: .rows)
        try c.encode(rowsHit, forKey: .rowsHit)
        try c.encode(hits, forKey: .hits)
        try c.encode(lastHit, forKey: .lastHit)
        try c.encode(hitDensity, forKey: .hitDensity)
        try c.encode(hitRate, forKey: .hitRate)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(rows: try c.decode(Int64.self, forKey: .rows), rowsHit: try c.decode(Int64.self, forKey: .rowsHit),
                  hits: try c.decode(Int64.self, forKey: .hits), lastHit: try c.decodeIfPresent(String.self, forKey: .lastHit))
    }
}

extension ExpansionReport.CostView {
    private enum CodingKeys: String, CodingKey { case pricePerEmbedding, tokens, costToMake, costBasis, saved, net }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pricePerEmbedding, forKey: .pricePerEmbedding)
        try c.encode(tokens, forKey: .tokens)
        try c.encode(costToMake, forKey: .costToMake)
        try c.encode(costBasis, forKey: .costBasis)
        try c.encode(saved, forKey: .saved)
        try c.encode(net, forKey: .net)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(pricePerEmbedding: try c.decode(Double.self, forKey: .pricePerEmbedding), tokens: try c.decode(Int64.self, forKey: .tokens),
                  costToMake: try c.decode(Double.self, forKey: .costToMake), costBasis: try c.decode(String.self, forKey: .costBasis),
                  saved: try c.decode(Double.self, forKey: .saved))
    }
}
