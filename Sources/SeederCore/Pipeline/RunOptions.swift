/// How one invocation of `seeder run` behaves (as opposed to what the job is).
public struct RunOptions: Sendable {
    /// Stop cleanly at the first checkpoint at or after this many input items in this invocation;
    /// the run is left `paused` and the next invocation resumes it.
    public var limit: Int64?
    /// Abandon an unfinished run of this job and model and start a new one.
    public var restart: Bool
    /// Called after every committed chunk, with the run as committed (for progress; keep it cheap).
    public var onCheckpoint: (@Sendable (RunRecord) -> Void)?

    public init(limit: Int64? = nil, restart: Bool = false, onCheckpoint: (@Sendable (RunRecord) -> Void)? = nil) {
        self.limit = limit
        self.restart = restart
        self.onCheckpoint = onCheckpoint
    }
}

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
}

/// Why a run stopped before the end of its input.
public struct RunStopped: Error, Sendable, CustomStringConvertible {
    public var run: RunRecord
    public var underlying: Error
    public var description: String { "run \(run.id) stopped at item \(run.checkpoint.items): \(underlying)" }
}
