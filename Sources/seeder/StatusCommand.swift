import ArgumentParser
import Foundation
import SeederCore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each run: job, model, state, counts, position, elapsed time and rate.")

    @Argument(help: "Jobs to show (names or paths); all jobs in ./jobs when none.") var jobs: [String] = []
    @Option(help: "Comma-separated shard files or postgres:// DSNs, overriding the job's store.shards.") var shards: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        do {
            let directory = JobLoader.jobsDirectory()
            let names = jobs.isEmpty ? JobLoader.listNames(in: directory) : jobs
            var runs: [RunRecord] = []
            var prices: [String: Double] = [:]
            var seenControl = Set<String>()
            for name in names {
                var job = try JobLoader.load(path: try JobLoader.locate(name, jobsDirectory: directory))
                prices[job.name] = job.provider.pricePerMillionTokens
                if let shards {
                    let overrides = JobOverrides(shards: JobOverrides.shardList(shards))
                    try overrides.validate()
                    job = job.applying(overrides)
                }
                let control = job.store.controlLocation
                // Jobs that share a control shard would list the same runs twice.
                guard seenControl.insert(control.path + "\u{0}" + job.name).inserted else { continue }
                if control.isPostgres {
                    let store = try await StoreOpener.offPool { try PostgresRunStore(location: control, applicationName: StoreOpener.applicationName) }
                    runs += try await store.runs(job: job.name)
                } else if FileManager.default.fileExists(atPath: control.path) {
                    // Read-only: status never creates or migrates a shard file.
                    let shard = try SQLiteShard(location: control, durability: job.store.durability, readOnly: true)
                    runs += try shard.runs(job: job.name)
                }
            }
            if json {
                print(try StatusJSON.render(runs, prices: prices))
            } else if runs.isEmpty {
                print("no runs yet (seeder run <job> starts one)")
            } else {
                print(StatusJSON.table(runs))
            }
        } catch {
            throw fail(error)
        }
    }
}

enum StatusJSON {
    /// - Parameter prices: each job's configured price per million tokens, for runs that don't carry their own.
    static func render(_ runs: [RunRecord], prices: [String: Double] = [:]) throws -> String {
        let items: [[String: Any]] = runs.map { r in
            let c = r.counters
            // The price the run was given; runs saved before prices were kept use the job file's.
            let price = r.pricePerMillionTokens ?? prices[r.job]
            return [
                "run_id": r.id, "job": r.job, "model_alias": r.modelAlias, "model": r.stored.model,
                "model_version": r.stored.version, "dimensions": r.stored.dimensions, "tenant": r.tenant,
                "provider": r.provider,
                "provider_model": r.providerModel.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } ?? NSNull(),
                "source": r.sourceKind, "input": r.input, "state": r.state.rawValue,
                "partition": r.partition.isEmpty ? NSNull() : r.partition,
                "normalizer_version": r.normalizerVersion, "error": r.error ?? NSNull(),
                "position": Self.position(r.checkpoint), "attempts": r.attempts,
                "elapsed_seconds": r.activeSeconds, "rate_items_per_second": r.rate,
                "started_at": ISO8601DateFormatter().string(from: r.startedAt),
                "updated_at": ISO8601DateFormatter().string(from: r.updatedAt),
                "counts": [
                    "items_read": c.itemsRead, "records": c.records, "skipped": c.skipped, "texts": c.texts,
                    "duplicates_in_run": c.duplicatesInRun, "already_stored": c.alreadyStored, "embedded": c.embedded,
                    "stored": c.stored, "texts_sent": c.textsSent, "requests": c.batchesSent, "tokens_sent": c.tokensSent, "tokens_estimated": c.tokensEstimated,
                    "tokens_avoided": c.tokensAvoided, "retries": c.retries, "other_partition": c.otherPartition,
                ] as [String: Any],
                "cost": [
                    "price_per_million_tokens": price ?? NSNull(),
                    "spent": RunCounters.cost(tokens: c.tokensSent, pricePerMillionTokens: price) ?? NSNull(),
                    "avoided": RunCounters.cost(tokens: c.tokensAvoided, pricePerMillionTokens: price) ?? NSNull(),
                ] as [String: Any],
            ]
        }
        let data = try JSONSerialization.data(withJSONObject: items, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    static func table(_ runs: [RunRecord]) -> String {
        var rows = [["JOB", "MODEL", "STATE", "READ", "SKIPPED", "DUP IN RUN", "ALREADY STORED", "EMBEDDED", "STORED", "POSITION", "ELAPSED", "RATE", "RUN"]]
        for r in runs {
            let c = r.counters
            rows.append([r.partition.isEmpty ? r.job : "\(r.job) [\(r.partition)]", r.modelAlias, r.state.rawValue, String(c.itemsRead),
                         String(c.skippedTotal) + SummaryFormatter.skipDetail(c),
                         String(c.duplicatesInRun), String(c.alreadyStored), String(c.embedded), String(c.stored),
                         "item \(r.checkpoint.items)", SummaryFormatter.duration(r.activeSeconds),
                         String(format: "%.0f/s", r.rate), String(r.id.prefix(8))])
        }
        var out = Table.render(rows)
        for r in runs where r.error != nil && r.state == .failed {
            out += "\n\(r.job) run \(r.id.prefix(8)) stopped: \(r.error ?? "")"
        }
        return out
    }

    /// The checkpoint as `status --json` shows it: items, and for a multistream dump the stream it stands in.
    static func position(_ checkpoint: SourceCheckpoint) -> [String: Any] {
        var position: [String: Any] = ["items": checkpoint.items]
        if let stream = checkpoint.stream { position["stream"] = stream }
        if let items = checkpoint.streamItems { position["stream_items"] = items }
        return position
    }
}
