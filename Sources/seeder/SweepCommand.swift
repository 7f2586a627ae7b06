import ArgumentParser
import Foundation
import SeederCore

/// `seeder sweep`: remove a model's rows of every version but the current one, on every shard of a job.
struct SweepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Delete (or flag) every row of a model whose model_version is not the current one, on every shard.",
        discussion: """
            Only the model's own rows (its canonical id, alone or with |task=…/|dim=… suffixes), only tenant public \
            unless --tenant says otherwise. Works in batches of one short transaction each, pausing between them, so \
            the cache keeps serving from the same tables. Resumable: after a kill, the same command continues where \
            the last batch committed. --dry-run prints the exact rows per shard, model value and version first.

            --reseed queues the stale rows' texts (as seeder stored them when it seeded them) with their hit counts; \
            `seeder run JOB --reseed` then embeds them with the current version, hottest first.
            """)

    @Argument(help: "A job name or job file (its store.shards are swept).") var job: String
    @Option(help: "The model: an alias or canonical id (see `seeder models`).") var model: String
    @Option(name: .customLong("keep-version"), help: "The model_version to keep (default: the catalog's current version).")
    var keepVersion: String?
    @Option(help: "The tenant swept.") var tenant: String = "public"
    @Flag(help: "Flag the stale rows in seeder's seeder_stale table instead of deleting them.") var mark = false
    @Flag(help: "Queue the stale rows' texts for `seeder run JOB --reseed`, hottest first.") var reseed = false
    @Flag(name: .customLong("dry-run"), help: "Print the exact rows per shard, model value and version, and change nothing.")
    var dryRun = false
    @Option(help: "Rows per batch (one transaction) at most; batches that take over 20 ms shrink.") var batch: Int = 1_000
    @Option(help: "Shards swept at once (each takes a core and disk bandwidth from the cache serving beside it).") var parallel = 1
    @Option(help: "Comma-separated shard files or postgres:// DSNs, overriding the job's store.shards.") var shards: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
        if parallel < 1 { throw ValidationError("--parallel must be at least 1") }
        if tenant.isEmpty { throw ValidationError("--tenant must not be empty") }
    }

    func run() async throws {
        do {
            let (_, store) = try ShardsCommand.store(job: job, shards: shards)
            let spec = try ModelCatalog.resolve(model, context: "--model")
            let scope = SweepScope(model: spec.canonicalID, keepVersion: keepVersion ?? spec.version, tenant: tenant)
            let sweeper = ModelSweeper(settings: store, scope: scope, action: SweepAction(deletes: !mark, queuesReseed: reseed), batch: batch,
                                       parallel: parallel)
            let results: [ModelSweeper.ShardResult]
            if dryRun {
                results = try await sweeper.plan()
            } else {
                let isTerminal = isatty(STDERR_FILENO) == 1
                let tally = SweepTally()
                results = try await sweeper.run { shard, progress in
                    guard isTerminal else { return }
                    let line = tally.update(shard, progress)
                    FileHandle.standardError.write(Data("\r\(line)".utf8))
                }
                if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
            }
            print(json ? Self.json(results, scope: scope, mark: mark, dryRun: dryRun) : Self.text(results, scope: scope, mark: mark, dryRun: dryRun))
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail(error)
        }
    }

    static func text(_ results: [ModelSweeper.ShardResult], scope: SweepScope, mark: Bool, dryRun: Bool) -> String {
        var lines = ["model \(scope.model), keeping version \(scope.keepVersion), tenant \(scope.tenant)\(dryRun ? " (dry run: nothing changed)" : "")"]
        for result in results {
            for count in result.counts {
                lines.append("\(result.shard)\t\(count.model)\tversion \(count.version)\t\(count.rows) rows\t\(count.stale ? (mark ? "stale: to flag" : "stale: to delete") : "kept")")
            }
            if result.counts.isEmpty { lines.append("\(result.shard)\tno rows of this model in this tenant") }
            if let progress = result.progress {
                var done = mark ? "\(progress.marked) flagged" : "\(progress.deleted) deleted"
                if progress.queued > 0 { done += ", \(progress.queued) texts queued for --reseed" }
                done += " in \(progress.batches) batches (longest \(String(format: "%.0f", result.longestBatchSeconds * 1000)) ms)"
                if progress.resumed { done += ", continuing a sweep that had stopped" }
                lines.append("\(result.shard)\t\(done)")
            }
        }
        let stale = results.reduce(Int64(0)) { $0 + $1.staleRows }
        if dryRun {
            lines.append("total\t\(stale) stale rows would be \(mark ? "flagged" : "deleted")")
        } else {
            let done = results.reduce(Int64(0)) { $0 + (mark ? ($1.progress?.marked ?? 0) : ($1.progress?.deleted ?? 0)) }
            lines.append("total\t\(done) rows \(mark ? "flagged" : "deleted")")
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ results: [ModelSweeper.ShardResult], scope: SweepScope, mark: Bool, dryRun: Bool) -> String {
        let shards: [[String: Any]] = results.map { result in
            var item: [String: Any] = [
                "shard": result.shard, "stale_rows": result.staleRows,
                "counts": result.counts.map { ["model": $0.model, "version": $0.version, "rows": $0.rows, "stale": $0.stale] as [String: Any] },
            ]
            if let p = result.progress {
                item["deleted"] = p.deleted
                item["marked"] = p.marked
                item["queued"] = p.queued
                item["batches"] = p.batches
                item["resumed"] = p.resumed
                item["longest_batch_ms"] = (result.longestBatchSeconds * 1000).rounded()
            }
            return item
        }
        let object: [String: Any] = ["model": scope.model, "keep_version": scope.keepVersion, "tenant": scope.tenant,
                                     "action": mark ? "mark" : "delete", "dry_run": dryRun, "shards": shards,
                                     "stale_rows": results.reduce(Int64(0)) { $0 + $1.staleRows }]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

/// The live progress line of a sweep: every shard's latest counts.
private final class SweepTally: @unchecked Sendable {
    private let lock = NSLock()
    private var byShard: [String: SweepProgress] = [:]

    func update(_ shard: String, _ progress: SweepProgress) -> String {
        lock.withLock {
            byShard[shard] = progress
            let deleted = byShard.values.reduce(Int64(0)) { $0 + $1.deleted }
            let marked = byShard.values.reduce(Int64(0)) { $0 + $1.marked }
            let finished = byShard.values.filter(\.finished).count
            return "\(deleted) deleted, \(marked) flagged, \(finished) of the shards finished"
        }
    }
}
