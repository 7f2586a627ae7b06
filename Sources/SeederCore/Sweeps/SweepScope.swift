/// Which rows a model-version sweep (`seeder sweep`) touches: every `embeddings` row of one model, of one tenant,
/// whose `model_version` is not the one to keep.
///
/// "Of one model" means every `model` value seeder or the cache writes for it (docs/model-values.md): the canonical id
/// alone, or followed by `|task=…`/`|dim=…`. Never another model's rows: `sentence-transformers/all-MiniLM-L6-v2`
/// does not match `sentence-transformers/all-MiniLM-L6-v2-large`, nor the `hash` provider's stand-in values.
public struct SweepScope: Sendable, Equatable {
    /// The model's canonical id (`nomic-ai/nomic-embed-text-v1.5`).
    public var model: String
    /// The `model_version` that stays; every other version of the model goes.
    public var keepVersion: String
    public var tenant: String

    public init(model: String, keepVersion: String, tenant: String) {
        self.model = model
        self.keepVersion = keepVersion
        self.tenant = tenant
    }

    /// Whether a stored `model` value belongs to this model.
    public func covers(model value: String) -> Bool {
        value == model || value.hasPrefix(model + "|")
    }

    /// Whether an `embeddings` row is one the sweep removes.
    public func isStale(model value: String, version: String, tenant: String) -> Bool {
        tenant == self.tenant && version != keepVersion && covers(model: value)
    }
}

/// What a sweep does with the stale rows.
public struct SweepAction: Sendable, Equatable, Hashable {
    /// Delete them (from `embeddings` and `seeder_texts`), or only flag them in seeder's `seeder_stale` table.
    public var deletes: Bool
    /// Copy their texts (as seeder stored them when it seeded them) and hit counts into `seeder_reseed`, the queue
    /// `seeder run --reseed` reads, hottest first.
    public var queuesReseed: Bool

    public init(deletes: Bool, queuesReseed: Bool) {
        self.deletes = deletes
        self.queuesReseed = queuesReseed
    }

    /// `delete`, `mark`, `delete+reseed`, `mark+reseed`: part of the sweep's identity in `seeder_sweeps`.
    public var name: String { (deletes ? "delete" : "mark") + (queuesReseed ? "+reseed" : "") }
}

/// Rows of one `model` value and version in a shard, for a sweep's dry run.
public struct StaleCount: Sendable, Equatable {
    public var model: String
    public var version: String
    public var rows: Int64
    /// Whether the sweep removes them (false: the version kept).
    public var stale: Bool

    public init(model: String, version: String, rows: Int64, stale: Bool) {
        self.model = model
        self.version = version
        self.rows = rows
        self.stale = stale
    }
}

/// How far a sweep of one shard has got. Kept in the shard's `seeder_sweeps` table, updated in the transaction of
/// each batch: a sweep killed anywhere resumes where its last batch committed.
public struct SweepProgress: Sendable, Equatable {
    /// Rows deleted from `embeddings`, flagged in `seeder_stale`, and texts queued in `seeder_reseed`, so far (this
    /// sweep, over every resumed attempt).
    public var deleted: Int64 = 0
    public var marked: Int64 = 0
    public var queued: Int64 = 0
    /// Batches committed so far.
    public var batches: Int64 = 0
    /// Whether the sweep went through every row.
    public var finished = false
    /// Whether this sweep continued one that was stopped before it finished.
    public var resumed = false

    public init() {}
}
