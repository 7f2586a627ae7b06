/// What one invocation did, for the end-of-run summary and the benchmark.
public struct RunSummary: Sendable, Codable {
    public var runID: String
    public var job: String
    public var state: String
    /// True when this invocation continued an unfinished run.
    public var resumed: Bool
    /// The run's counters (whole run, all invocations).
    public var counters: RunCounters
    /// Items read by this invocation (replayed ones excluded).
    public var itemsThisInvocation: Int64
    /// Wall time of this invocation.
    public var wallSeconds: Double
    /// Time spent in each stage by this invocation (the source's thread counts its parsing only, not waits).
    public var stageSeconds: [String: Double]
    /// Memory held by the in-run dedup set at the end.
    public var dedupSetBytes: Int
    public var model: String
    public var modelVersion: String
    public var normalizerVersion: String
    /// The job's price per million tokens, when it sets one.
    public var pricePerMillionTokens: Double? = nil
    /// What the tokens sent cost, and what the tokens not sent (duplicates, already stored) would have cost, at that
    /// price; nil without one.
    public var cost: Double? = nil
    public var costAvoided: Double? = nil
    /// Why the run stopped before the end of its input (`max_records`, `max_duration`, `SIGTERM`, `SIGINT`); nil when
    /// it read its whole input.
    public var stopReason: String? = nil
    /// The part of the job this run seeds (`i/N`), nil for the whole job.
    public var partition: String? = nil
}
