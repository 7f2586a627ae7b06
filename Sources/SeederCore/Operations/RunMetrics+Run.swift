import Foundation

extension RunMetrics {
    /// A run's figures as committed so far.
    /// - Parameters:
    ///   - invocationSeconds: wall seconds of this process so far.
    ///   - stageSeconds: time per stage in this invocation (empty until the run ends).
    ///   - lastSuccess: when an invocation of this job, model, tenant and partition last ended cleanly.
    public init(run: RunRecord, inputBytesTotal: Int64?, invocationSeconds: Double, stageSeconds: [String: Double] = [:],
                lastSuccess: Date?, updatedAt: Date = Date()) {
        let c = run.counters
        let failures = c.skipped.reduce(Int64(0)) { sum, entry in
            sum + (SkipReason(rawValue: entry.key)?.isFailure == true ? entry.value : 0)
        }
        self.init(job: run.job, model: run.stored.model, tenant: run.tenant, partition: run.partition, state: run.state.rawValue,
                  itemsRead: c.itemsRead, records: c.records, skipped: c.skipped, texts: c.texts, duplicatesInRun: c.duplicatesInRun,
                  alreadyStored: c.alreadyStored, embedded: c.embedded, stored: c.stored, textsSent: c.textsSent,
                  batchesSent: c.batchesSent, retries: c.retries, failures: failures, tokensSent: c.tokensSent,
                  tokensAvoided: c.tokensAvoided, inputBytesRead: c.inputBytesRead, inputBytesTotal: inputBytesTotal,
                  activeSeconds: run.activeSeconds, invocationSeconds: invocationSeconds, stageSeconds: stageSeconds,
                  costDollars: RunCounters.cost(tokens: c.tokensSent, pricePerMillionTokens: run.pricePerMillionTokens),
                  costAvoidedDollars: RunCounters.cost(tokens: c.tokensAvoided, pricePerMillionTokens: run.pricePerMillionTokens),
                  lastSuccess: lastSuccess, updatedAt: updatedAt)
    }
}
