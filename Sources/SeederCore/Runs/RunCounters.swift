/// What a run has done so far. Saved with every checkpoint in the same transaction, so after a crash the
/// counters are exactly those of the last checkpoint, and a resumed run ends with the counters an
/// uninterrupted run would have had.
public struct RunCounters: Codable, Sendable, Equatable {
    /// Input items consumed (documents, pages, lines), skipped ones included.
    public var itemsRead: Int64 = 0
    /// Records the source produced (items not skipped by the source).
    public var records: Int64 = 0
    /// Items or texts skipped, by reason (`SkipReason` raw values).
    public var skipped: [String: Int64] = [:]
    /// Texts (after templates and normalization) considered for embedding.
    public var texts: Int64 = 0
    /// Texts already seen earlier in this run.
    public var duplicatesInRun: Int64 = 0
    /// Texts whose row was already stored for this model, version and tenant before this run reached them.
    public var alreadyStored: Int64 = 0
    /// Texts embedded for this run (each once, however often the run was resumed).
    public var embedded: Int64 = 0
    /// Rows this run inserted.
    public var stored: Int64 = 0
    /// Texts sent to the provider, counting again those re-sent after a crash (what was paid for).
    public var textsSent: Int64 = 0
    /// Provider requests made.
    public var batchesSent: Int64 = 0
    /// Estimated tokens sent.
    public var tokensSent: Int64 = 0
    /// Compressed input bytes consumed (progress).
    public var inputBytesRead: Int64 = 0

    public init() {}

    public var skippedTotal: Int64 { skipped.values.reduce(0, +) }

    /// Adds a chunk's counts (positions are set, not added: see the pipeline's commit stage).
    mutating func add(_ d: RunCounters) {
        records += d.records
        for (reason, n) in d.skipped { skipped[reason, default: 0] += n }
        texts += d.texts
        duplicatesInRun += d.duplicatesInRun
        alreadyStored += d.alreadyStored
        embedded += d.embedded
        stored += d.stored
        textsSent += d.textsSent
        batchesSent += d.batchesSent
        tokensSent += d.tokensSent
    }

    mutating func addSkips(_ skips: [SkipReason: Int]) {
        for (reason, n) in skips { skipped[reason.rawValue, default: 0] += Int64(n) }
    }
}
