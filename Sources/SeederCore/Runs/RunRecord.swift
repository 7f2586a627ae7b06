import Foundation

/// One run of a job with a model, as stored in the control shard's `seeder_runs` table.
public struct RunRecord: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Running now, or killed while running (a later `seeder run` resumes it).
        case running
        /// Stopped cleanly before the end of the input (`--max-records`, `--max-duration`, SIGTERM or SIGINT); a
        /// later `seeder run` resumes it.
        case paused
        /// Stopped by an error; a later `seeder run` resumes it from its checkpoint.
        case failed
        /// Read the whole input.
        case done
    }

    public var id: String
    public var job: String
    public var modelAlias: String
    public var stored: StoredModel
    public var tenant: String
    public var provider: String
    public var sourceKind: String
    public var input: String
    public var normalizerVersion: String
    public var shardNames: [String]
    public var state: State
    public var checkpoint: SourceCheckpoint
    public var counters: RunCounters
    public var error: String?
    public var startedAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?
    /// Seconds spent working, summed over every attempt (time between attempts not counted).
    public var activeSeconds: Double
    public var attempts: Int
    /// What the provider's server said it serves when the run last started (TEI: `{"model_id":…,"model_sha":…}`).
    public var providerModel: String? = nil
    /// Dollars per million tokens as last configured for the run (its `seeder run` invocation's job and flags).
    public var pricePerMillionTokens: Double? = nil
    /// The part of the job this run seeds (`i/N`, ``Partition``), or "" for the whole job. Each part is a run of its own.
    public var partition: String = ""

    /// Items per second of active time.
    public var rate: Double { activeSeconds > 0 ? Double(counters.itemsRead) / activeSeconds : 0 }
}
