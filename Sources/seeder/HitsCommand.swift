import ArgumentParser
import Foundation
import SeederCore

/// `seeder hits`: what the cache's users asked for, against what was seeded.
struct HitsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hits", abstract: "Hit data: replay a query log against a job's shards.",
                                                    subcommands: [Replay.self])

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The hit rate the job's shards would have given a query log: overall, per source and per category.",
            discussion: """
                The log is one query a line, or JSON Lines with the query in "query" (or "text", "input", "q") and an \
                optional time in "ts" (ISO 8601 or seconds since 1970); plain, gzip or bzip2. Each query is normalized \
                and hashed as the cache does, and looked up with the job's model value, version and tenant. Nothing \
                changes unless --apply: then every hit is counted into its row (hit_count, last_hit_at) as the cache \
                server would, so that `seeder report` can be tried on real data. Applying a log twice counts it twice.
                """)

        @Argument(help: "A job name or job file.") var job: String
        @Argument(help: "The query log.") var log: String
        @Flag(help: "Count the hits into the shards (hit_count, last_hit_at).") var apply = false
        @Option(help: "The tenant looked up (default: the job's).") var tenant: String?
        @Option(help: "Comma-separated shard files or postgres:// DSNs, overriding the job's store.shards.") var shards: String?
        @Option(help: "Categories listed in the text output (all of them in JSON).") var top = 20
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            do {
                let (config, store) = try ShardsCommand.store(job: job, shards: shards)
                let (_, model) = try JobAssembly.storedModel(config)
                guard FileManager.default.fileExists(atPath: log) else {
                    throw SourceError(.missing, file: log, message: "no such query log", hint: "pass the path of a log: one query a line, or JSON Lines")
                }
                var opened: [ShardStore] = []
                let report: HitReplayReport
                do {
                    for location in store.shards {
                        if !location.isPostgres && !FileManager.default.fileExists(atPath: location.path) {
                            throw StoreError(shard: location, message: "no such shard file", hint: "run the job first, or check store.shards")
                        }
                        // Without --apply nothing is written: the shards are opened as they are.
                        let apply = self.apply
                        opened.append(try await StoreOpener.offPool { try StoreOpener.shard(location, settings: store, inspecting: !apply) })
                    }
                    let replayer = try HitReplayer(shards: opened, shardNames: store.shards.map(\.name), model: model,
                                                   tenant: tenant ?? store.tenant)
                    report = try await replayer.replay(log: log, apply: apply)
                } catch {
                    for shard in opened { await shard.close() }
                    throw error
                }
                for shard in opened { await shard.close() }
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    print(String(decoding: try encoder.encode(report), as: UTF8.self))
                } else {
                    print(Self.text(report, top: top))
                }
            } catch {
                throw fail(error)
            }
        }

        static func text(_ r: HitReplayReport, top: Int) -> String {
            func percent(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
            var lines = [
                "\(r.log): \(r.queries) queries against \(r.model) version \(r.modelVersion), tenant \(r.tenant)",
                "hits\t\(r.hits)\t\(percent(r.hitRate)) of the queries (\(r.seededHits) from rows seeder seeded, \(r.rowsHit) distinct rows)",
            ]
            if r.skippedLines > 0 {
                lines.append("skipped\t\(r.skippedLines) lines")
                for example in r.skippedExamples { lines.append("\t\(example)") }
            }
            if !r.bySource.isEmpty {
                lines.append("by source:")
                for g in r.bySource { lines.append("  \(g.source)\t\(g.hits) hits\t\(percent(g.hitRate))\t\(g.rowsHit) rows") }
            }
            if !r.byCategory.isEmpty {
                lines.append("by category (top \(min(top, r.byCategory.count)) of \(r.byCategory.count)):")
                for g in r.byCategory.prefix(top) {
                    lines.append("  \(g.source) · \((g.category ?? "").isEmpty ? "(none)" : g.category!)\t\(g.hits) hits\t\(percent(g.hitRate))\t\(g.rowsHit) rows")
                }
            }
            lines.append(r.applied ? "applied: \(r.rowsUpdated) rows updated (hit_count, last_hit_at)" : "nothing changed (--apply counts the hits into the shards)")
            return lines.joined(separator: "\n")
        }
    }
}
