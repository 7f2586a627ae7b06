/// What replaying a query log against a job's shards found (`seeder hits replay`): the hit rate the seeded rows
/// would have given those queries, overall, per source and per category.
public struct HitReplayReport: Sendable, Equatable, Codable {
    /// The log, the stored model value and version, and the tenant the queries were looked up with.
    public var log: String
    public var model: String
    public var modelVersion: String
    public var tenant: String
    /// Queries read (lines with a query in them).
    public var queries: Int64 = 0
    /// Lines skipped (blank, not JSON where JSON was expected, no query field, too long, not UTF-8), and the first
    /// few with their line number and reason.
    public var skippedLines: Int64 = 0
    public var skippedExamples: [String] = []
    /// Queries a stored row of the model would have answered, and those of them answered by a row seeder seeded
    /// (the rest were rows the cache wrote itself).
    public var hits: Int64 = 0
    public var seededHits: Int64 = 0
    /// Distinct rows hit.
    public var rowsHit: Int64 = 0
    /// Per source and per (source, category): the hits, and the distinct rows hit. A row with several categories
    /// counts in each. Hottest first.
    public var bySource: [Group] = []
    public var byCategory: [Group] = []
    /// Whether the hits were counted into the shards (`--apply`), and the rows updated.
    public var applied = false
    public var rowsUpdated: Int64 = 0

    /// hits / queries (0 for an empty log).
    public var hitRate: Double { queries == 0 ? 0 : Double(hits) / Double(queries) }

    public struct Group: Sendable, Equatable, Codable {
        public var source: String
        /// Nil in ``HitReplayReport/bySource``.
        public var category: String?
        public var hits: Int64
        public var rowsHit: Int64
        /// hits / the log's queries.
        public var hitRate: Double

        private enum CodingKeys: String, CodingKey { case source, category, hits, rowsHit = "rows_hit", hitRate = "hit_rate" }

        public init(source: String, category: String?, hits: Int64, rowsHit: Int64, hitRate: Double) {
            self.source = source
            self.category = category
            self.hits = hits
            self.rowsHit = rowsHit
            self.hitRate = hitRate
        }
    }

    public init(log: String, model: String, modelVersion: String, tenant: String) {
        self.log = log
        self.model = model
        self.modelVersion = modelVersion
        self.tenant = tenant
    }

    private enum CodingKeys: String, CodingKey {
        case log, model, modelVersion = "model_version", tenant, queries, skippedLines = "skipped_lines",
             skippedExamples = "skipped_examples", hits, seededHits = "seeded_hits", rowsHit = "rows_hit", hitRate = "hit_rate",
             bySource = "by_source", byCategory = "by_category", applied, rowsUpdated = "rows_updated"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(log, forKey: .log)
        try c.encode(model, forKey: .model)
        try c.encode(modelVersion, forKey: .modelVersion)
        try c.encode(tenant, forKey: .tenant)
        try c.encode(queries, forKey: .queries)
        try c.encode(skippedLines, forKey: .skippedLines)
        try c.encode(skippedExamples, forKey: .skippedExamples)
        try c.encode(hits, forKey: .hits)
        try c.encode(seededHits, forKey: .seededHits)
        try c.encode(rowsHit, forKey: .rowsHit)
        try c.encode(hitRate, forKey: .hitRate)
        try c.encode(bySource, forKey: .bySource)
        try c.encode(byCategory, forKey: .byCategory)
        try c.encode(applied, forKey: .applied)
        try c.encode(rowsUpdated, forKey: .rowsUpdated)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        log = try c.decode(String.self, forKey: .log)
        model = try c.decode(String.self, forKey: .model)
        modelVersion = try c.decode(String.self, forKey: .modelVersion)
        tenant = try c.decode(String.self, forKey: .tenant)
        queries = try c.decode(Int64.self, forKey: .queries)
        skippedLines = try c.decode(Int64.self, forKey: .skippedLines)
        skippedExamples = try c.decode([String].self, forKey: .skippedExamples)
        hits = try c.decode(Int64.self, forKey: .hits)
        seededHits = try c.decode(Int64.self, forKey: .seededHits)
        rowsHit = try c.decode(Int64.self, forKey: .rowsHit)
        bySource = try c.decode([Group].self, forKey: .bySource)
        byCategory = try c.decode([Group].self, forKey: .byCategory)
        applied = try c.decode(Bool.self, forKey: .applied)
        rowsUpdated = try c.decode(Int64.self, forKey: .rowsUpdated)
    }
}
