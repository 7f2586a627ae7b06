import Foundation
import Logging
import SeederCore

/// Human-readable run summaries and status tables.
enum SummaryFormatter {
    static func text(_ s: RunSummary, job: JobConfig) -> String {
        let c = s.counters
        var lines: [String] = []
        lines.append("run \(s.runID) of \(s.job)\(s.partition.map { " [partition \($0)]" } ?? ""): \(s.state)\(s.resumed ? " (resumed)" : "")")
        if let reason = s.stopReason, s.state == RunRecord.State.paused.rawValue {
            lines.append("  stopped      \(reason) at item \(c.itemsRead): run the same command again to continue")
        }
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

    /// The summary as log metadata (`--log-format json`): one event with every count.
    static func metadata(_ s: RunSummary) -> Logger.Metadata {
        let c = s.counters
        var m: Logger.Metadata = [
            "run_id": "\(s.runID)", "job": "\(s.job)", "state": "\(s.state)", "resumed": "\(s.resumed)",
            "model": "\(s.model)", "model_version": "\(s.modelVersion)",
            "items_read": "\(c.itemsRead)", "items_this_invocation": "\(s.itemsThisInvocation)", "records": "\(c.records)",
            "texts": "\(c.texts)", "duplicates_in_run": "\(c.duplicatesInRun)", "already_stored": "\(c.alreadyStored)",
            "embedded": "\(c.embedded)", "stored": "\(c.stored)", "texts_sent": "\(c.textsSent)", "requests": "\(c.batchesSent)",
            "retries": "\(c.retries)", "tokens_sent": "\(c.tokensSent)", "tokens_estimated": "\(c.tokensEstimated)",
            "tokens_avoided": "\(c.tokensAvoided)", "wall_seconds": "\(String(format: "%.3f", s.wallSeconds))",
            "skipped": .dictionary(c.skipped.mapValues { .string("\($0)") }),
        ]
        if let reason = s.stopReason { m["stop_reason"] = "\(reason)" }
        if let partition = s.partition { m["partition"] = "\(partition)" }
        if let cost = s.cost { m["cost_dollars"] = "\(cost)" }
        if let avoided = s.costAvoided { m["cost_avoided_dollars"] = "\(avoided)" }
        return m
    }

    static func skipDetail(_ c: RunCounters) -> String {
        guard !c.skipped.isEmpty else { return "" }
        return " (" + c.skipped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        if seconds < 3600 { return String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60) }
        return String(format: "%dh%02dm", Int(seconds) / 3600, Int(seconds) % 3600 / 60)
    }
}
