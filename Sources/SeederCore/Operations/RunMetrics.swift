import Foundation

/// One run's figures at a moment, as exported to Prometheus (textfile and Pushgateway).
public struct RunMetrics: Sendable, Equatable {
    /// The seeder job's name (label `seeder_job`; `job` is Prometheus's own label).
    public var job: String
    /// Canonical model id, e.g. `sentence-transformers/all-MiniLM-L6-v2`.
    public var model: String
    /// The tenant the run writes for.
    public var tenant: String
    /// `""` when not partitioned, else `"i/N"`, e.g. `"2/4"`.
    public var partition: String
    /// One of `running`, `paused`, `failed`, `done`.
    public var state: String
    /// Input items consumed (documents, pages, lines), skipped ones included.
    public var itemsRead: Int64
    /// Records produced from the input items.
    public var records: Int64
    /// Records skipped, by reason, e.g. `["redirect": 100, "too_long": 2]`.
    public var skipped: [String: Int64]
    /// Texts extracted from the records.
    public var texts: Int64
    /// Texts that repeated an earlier text of the same run.
    public var duplicatesInRun: Int64
    /// Texts whose embedding was already stored before the run.
    public var alreadyStored: Int64
    /// Texts embedded by the model.
    public var embedded: Int64
    /// Rows written to the database shards.
    public var stored: Int64
    /// Texts sent to the embedding service (retries included).
    public var textsSent: Int64
    /// Batches sent to the embedding service.
    public var batchesSent: Int64
    /// Requests retried after a transient failure.
    public var retries: Int64
    /// Records recorded as broken (failures table).
    public var failures: Int64
    /// Tokens sent to the embedding service.
    public var tokensSent: Int64
    /// Tokens not sent because the text was a duplicate or already stored.
    public var tokensAvoided: Int64
    /// Bytes of input read so far.
    public var inputBytesRead: Int64
    /// Size of the input in bytes; nil when the input's size is unknown.
    public var inputBytesTotal: Int64?
    /// Working seconds summed over every attempt of the run.
    public var activeSeconds: Double
    /// Wall seconds of this process so far.
    public var invocationSeconds: Double
    /// Seconds spent per stage, e.g. `["source": 1.2, "embed": 30.5, "commit": 2.1]`.
    public var stageSeconds: [String: Double]
    /// Cost of the run in dollars; nil without a configured price.
    public var costDollars: Double?
    /// Cost avoided by not re-embedding; nil without a configured price.
    public var costAvoidedDollars: Double?
    /// When a run of this job/model/tenant/partition last ended cleanly: `done`, or `paused` at a budget or on a signal.
    public var lastSuccess: Date?
    /// When these figures were taken.
    public var updatedAt: Date

    /// Creates a set of figures; every field is given explicitly so a caller cannot forget one.
    public init(
        job: String,
        model: String,
        tenant: String,
        partition: String,
        state: String,
        itemsRead: Int64,
        records: Int64,
        skipped: [String: Int64],
        texts: Int64,
        duplicatesInRun: Int64,
        alreadyStored: Int64,
        embedded: Int64,
        stored: Int64,
        textsSent: Int64,
        batchesSent: Int64,
        retries: Int64,
        failures: Int64,
        tokensSent: Int64,
        tokensAvoided: Int64,
        inputBytesRead: Int64,
        inputBytesTotal: Int64?,
        activeSeconds: Double,
        invocationSeconds: Double,
        stageSeconds: [String: Double],
        costDollars: Double?,
        costAvoidedDollars: Double?,
        lastSuccess: Date?,
        updatedAt: Date
    ) {
        self.job = job
        self.model = model
        self.tenant = tenant
        self.partition = partition
        self.state = state
        self.itemsRead = itemsRead
        self.records = records
        self.skipped = skipped
        self.texts = texts
        self.duplicatesInRun = duplicatesInRun
        self.alreadyStored = alreadyStored
        self.embedded = embedded
        self.stored = stored
        self.textsSent = textsSent
        self.batchesSent = batchesSent
        self.retries = retries
        self.failures = failures
        self.tokensSent = tokensSent
        self.tokensAvoided = tokensAvoided
        self.inputBytesRead = inputBytesRead
        self.inputBytesTotal = inputBytesTotal
        self.activeSeconds = activeSeconds
        self.invocationSeconds = invocationSeconds
        self.stageSeconds = stageSeconds
        self.costDollars = costDollars
        self.costAvoidedDollars = costAvoidedDollars
        self.lastSuccess = lastSuccess
        self.updatedAt = updatedAt
    }
}
