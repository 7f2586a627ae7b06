import Foundation

/// Renders `RunMetrics` in the Prometheus text exposition format 0.0.4.
public enum PrometheusExposition {
    /// The label names that identify a run; every sample carries them, in this order.
    public static let groupingLabelNames = ["seeder_job", "model", "tenant", "partition"]

    /// The states `seeder_run_state` has one sample for.
    public static let runStates = ["running", "paused", "failed", "done"]

    /// Renders every family, each sample labelled with `seeder_job`, `model`, `tenant`, `partition`.
    public static func render(_ m: RunMetrics) -> String {
        render(m, includeGroupingLabels: true)
    }

    /// Renders every family; with `includeGroupingLabels: false` the samples carry only their own labels.
    ///
    /// The Pushgateway takes the run's identity from the push URL's grouping key and silently
    /// overwrites sample labels of the same name with the key's values, so a push leaves them out
    /// to keep one source of truth.
    public static func render(_ m: RunMetrics, includeGroupingLabels: Bool) -> String {
        let base: [(String, String)] = includeGroupingLabels
            ? [("seeder_job", m.job), ("model", m.model), ("tenant", m.tenant), ("partition", m.partition)]
            : []
        var families: [Family] = []

        func counter(_ name: String, _ help: String, _ value: Int64) {
            families.append(Family(name: name, help: help, type: "counter", samples: [Sample(labels: base, value: format(value))]))
        }
        func counter(_ name: String, _ help: String, _ value: Double?) {
            families.append(Family(name: name, help: help, type: "counter", samples: sample(base, value)))
        }
        func gauge(_ name: String, _ help: String, _ value: Double?) {
            families.append(Family(name: name, help: help, type: "gauge", samples: sample(base, value)))
        }

        counter("seeder_items_read_total", "Input items consumed by the run (documents, pages, lines), skipped ones included.", m.itemsRead)
        counter("seeder_records_total", "Records produced from the input items.", m.records)
        families.append(Family(
            name: "seeder_records_skipped_total",
            help: "Records skipped, by reason.",
            type: "counter",
            samples: m.skipped.keys.sorted().map { reason in
                Sample(labels: base + [("reason", reason)], value: format(m.skipped[reason] ?? 0))
            }
        ))
        counter("seeder_texts_total", "Texts extracted from the records.", m.texts)
        counter("seeder_texts_duplicate_total", "Texts that repeated an earlier text of the same run.", m.duplicatesInRun)
        counter("seeder_texts_already_stored_total", "Texts whose embedding was already stored before the run.", m.alreadyStored)
        counter("seeder_texts_embedded_total", "Texts embedded by the model.", m.embedded)
        counter("seeder_rows_stored_total", "Rows written to the database shards.", m.stored)
        counter("seeder_texts_sent_total", "Texts sent to the embedding service, retries included.", m.textsSent)
        counter("seeder_batches_total", "Batches sent to the embedding service.", m.batchesSent)
        counter("seeder_retries_total", "Requests to the embedding service retried after a transient failure.", m.retries)
        counter("seeder_failures_total", "Records recorded as broken in the failures table.", m.failures)
        counter("seeder_tokens_sent_total", "Tokens sent to the embedding service.", m.tokensSent)
        counter("seeder_tokens_avoided_total", "Tokens not sent because their text was a duplicate or already stored.", m.tokensAvoided)
        counter("seeder_input_read_bytes_total", "Bytes of input read by the run.", m.inputBytesRead)
        counter("seeder_active_seconds_total", "Working seconds summed over every attempt of the run.", m.activeSeconds)
        families.append(Family(
            name: "seeder_stage_seconds_total",
            help: "Working seconds spent in each stage of the run.",
            type: "counter",
            samples: m.stageSeconds.keys.sorted().flatMap { stage in
                sample(base + [("stage", stage)], m.stageSeconds[stage])
            }
        ))
        // Without a configured price there is no cost; an absent family says so better than a 0.
        if let cost = m.costDollars {
            counter("seeder_cost_dollars_total", "Estimated cost of the embedding requests in dollars.", cost)
        }
        if let avoided = m.costAvoidedDollars {
            counter("seeder_cost_avoided_dollars_total", "Estimated cost in dollars avoided by not re-embedding known texts.", avoided)
        }
        if let size = m.inputBytesTotal {
            gauge("seeder_input_size_bytes", "Size of the run's input in bytes.", Double(size))
        }
        families.append(Family(
            name: "seeder_run_state",
            help: "State of the run: 1 for the current state, 0 for the others.",
            type: "gauge",
            samples: runStates.map { state in
                Sample(labels: base + [("state", state)], value: state == m.state ? "1" : "0")
            }
        ))
        gauge("seeder_invocation_duration_seconds", "Wall seconds of this seeder process so far.", m.invocationSeconds)
        if let lastSuccess = m.lastSuccess {
            gauge("seeder_last_success_timestamp_seconds", "Unix time when a run of this job, model, tenant and partition last ended cleanly: done, or paused at a budget or on a signal.", lastSuccess.timeIntervalSince1970)
        }
        gauge("seeder_last_update_timestamp_seconds", "Unix time when these figures were taken.", m.updatedAt.timeIntervalSince1970)

        var out = ""
        for family in families.sorted(by: { $0.name < $1.name }) {
            out += "# HELP \(family.name) \(escapeHelp(family.help))\n"
            out += "# TYPE \(family.name) \(family.type)\n"
            for s in family.samples {
                out += family.name
                if !s.labels.isEmpty {
                    out += "{" + s.labels.map { "\($0.0)=\"\(escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
                }
                out += " \(s.value)\n"
            }
        }
        return out
    }

    /// Escapes a `# HELP` text: backslash and newline.
    static func escapeHelp(_ s: String) -> String { escape(s, quotes: false) }

    /// Escapes a label value: backslash, double quote and newline.
    static func escapeLabelValue(_ s: String) -> String { escape(s, quotes: true) }

    /// The format's escapes: backslash and newline everywhere, the double quote in label values only.
    private static func escape(_ s: String, quotes: Bool) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"" where quotes: out += "\\\""
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static func format(_ v: Int64) -> String { String(v) }

    /// Prints integral values as integers and others with the shortest digits that round-trip;
    /// nil for NaN and infinities, whose sample is then left out rather than exported as nonsense.
    static func format(_ v: Double) -> String? {
        guard v.isFinite else { return nil }
        if v == v.rounded(), abs(v) < 9_007_199_254_740_992 {
            return String(Int64(v))
        }
        return "\(v)"
    }

    private static func sample(_ labels: [(String, String)], _ value: Double?) -> [Sample] {
        guard let value, let text = format(value) else { return [] }
        return [Sample(labels: labels, value: text)]
    }

    private struct Sample {
        var labels: [(String, String)]
        var value: String
    }

    private struct Family {
        var name: String
        var help: String
        var type: String
        var samples: [Sample]
    }
}
