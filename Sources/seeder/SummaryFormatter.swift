import Foundation
import SeederCore

/// Human-readable run summaries and status tables.
enum SummaryFormatter {
    static func text(_ s: RunSummary, job: JobConfig) -> String {
        let c = s.counters
        var lines: [String] = []
        lines.append("run \(s.runID) of \(s.job): \(s.state)\(s.resumed ? " (resumed)" : "")")
        lines.append("  model        \(s.model) (version \(s.modelVersion)), normalizer v\(s.normalizerVersion)")
        lines.append("  items read   \(c.itemsRead) (\(s.itemsThisInvocation) now, \(String(format: "%.0f", Double(s.itemsThisInvocation) / max(s.wallSeconds, 1e-9)))/s over \(String(format: "%.2f", s.wallSeconds)) s)")
        lines.append("  records      \(c.records); texts \(c.texts)")
        lines.append("  skipped      \(c.skippedTotal)\(skipDetail(c))")
        lines.append("  duplicates   \(c.duplicatesInRun) in this run, \(c.alreadyStored) already stored")
        let tokens = c.tokensEstimated == 0 ? "\(c.tokensSent) tokens"
            : c.tokensEstimated == c.tokensSent ? "~\(c.tokensSent) tokens (estimated)" : "\(c.tokensSent) tokens, \(c.tokensEstimated) of them estimated"
        lines.append("  embedded     \(c.embedded) (\(c.textsSent) texts sent in \(c.batchesSent) request\(c.batchesSent == 1 ? "" : "s"), \(tokens))")
        lines.append("  avoided      ~\(c.tokensAvoided) tokens not sent (duplicates and already stored)")
        if let price = s.pricePerMillionTokens, let cost = s.cost, let avoided = s.costAvoided {
            lines.append(String(format: "  cost         $%.4f at $%.4g per 1M tokens; $%.4f avoided", cost, price, avoided))
        }
        lines.append("  stored       \(c.stored) rows in \(job.store.shards.count) shard(s): \(job.store.shards.map(\.displayPath).joined(separator: ", "))")
        return lines.joined(separator: "\n")
    }

    static func skipDetail(_ c: RunCounters) -> String {
        guard !c.skipped.isEmpty else { return "" }
        return " (" + c.skipped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        if seconds < 3600 { return String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60) }
        return String(format: "%dh%02dm", Int(seconds) / 3600, Int(seconds) % 3600 / 60)
    }
}
