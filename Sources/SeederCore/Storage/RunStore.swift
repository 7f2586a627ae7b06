/// Where a job's runs, checkpoints and failures live: the control shard (the first SQLite shard), or a control
/// PostgreSQL database (`store.control`, by default the first shard's).
public protocol RunStore: AnyObject, Sendable {
    /// The latest run of this job, model, tenant and partition ("" for the whole job) that did not finish, if any.
    func resumableRun(job: String, model: StoredModel, tenant: String, partition: String) async throws -> RunRecord?

    /// Every run, newest first, optionally of one job.
    func runs(job: String?) async throws -> [RunRecord]

    /// Records a new run.
    func insertRun(_ run: RunRecord) async throws

    /// Saves a run's state, checkpoint, counters and the failures of the chunks committed since the last save,
    /// in one transaction: after a crash, the counters and failures are exactly those of the checkpoint.
    func saveProgress(of run: RunRecord, failures: [RecordFailure]) async throws

    /// The failures recorded for a run, in input order.
    func failures(runID: String) async throws -> [RecordFailure]

    /// Takes the lock that keeps two runs of one job, model, tenant and partition apart, for as long as this store is
    /// open (or until ``unlockRun()``); throws ``RunLockHeld``, saying who holds it, when another process does.
    /// The parts of a partitioned job have a lock each, so their workers run side by side.
    func lockRun(job: String, model: StoredModel, tenant: String, partition: String) async throws

    /// Gives the run lock back (closing the store, or the process ending, does too).
    func unlockRun() async throws
}

extension RunStore {
    /// The whole job's run (no partition).
    public func resumableRun(job: String, model: StoredModel, tenant: String) async throws -> RunRecord? {
        try await resumableRun(job: job, model: model, tenant: tenant, partition: "")
    }

    /// The whole job's lock (no partition).
    public func lockRun(job: String, model: StoredModel, tenant: String) async throws {
        try await lockRun(job: job, model: model, tenant: tenant, partition: "")
    }
}

/// Another process is running the same job, model and tenant.
public struct RunLockHeld: Error, Sendable, CustomStringConvertible {
    public var job: String
    public var model: String
    /// Who holds it, as the store knows it (PostgreSQL: the session's application name, address and start).
    public var holder: String
    /// The part of the job (`i/N`), or "" for the whole job.
    public var partition: String

    public init(job: String, model: String, holder: String, partition: String = "") {
        self.job = job
        self.model = model
        self.holder = holder
        self.partition = partition
    }

    public var description: String {
        let run = partition.isEmpty ? job : "\(job) (partition \(partition))"
        return "another run of \(run) with \(model) holds the run lock (\(holder)) — wait for it to finish, or stop it first"
    }
}
