import ArgumentParser
import Foundation
import SeederCore

/// `seeder report`: which seeded content the cache's users hit, and what to seed next.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Per source and category: rows seeded, rows hit, hits, hit density, lift; what to expand, what to drop, the next round's split and the cost view.",
        discussion: """
            Reads hit_count and last_hit_at (kept by the cache server) of the rows the job's model wrote in its shards, \
            with the source and category seeder recorded for each. Each report records the day's totals in the first \
            shard, which the HTML report's "hits over time" chart draws (--no-record leaves the shards untouched). \
            --emit-job writes a runnable job for the next round: the job's input, narrowed to the recommended split.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, html }

    @Argument(help: "A job name or job file.") var job: String
    @Option(help: "text, json, or html (one self-contained file with charts).") var format: Format = .text
    @Option(name: [.short, .long], help: "Write the report to this file instead of standard output.") var output: String?
    @Option(help: "Texts the next round may seed, split across categories.") var budget = 1_000
    @Option(name: .customLong("price-per-embedding"), help: "Dollars an embedding call costs, saved by each hit (seeds/002: 0.0001).")
    var pricePerEmbedding = 0.0001
    @Option(name: .customLong("emit-job"), help: ArgumentHelp("Write the next round's job here (e.g. jobs/generated/next.toml).", valueName: "path"))
    var emitJob: String?
    @Option(help: "Categories listed in the text output (all of them in json and html).") var top = 20
    @Option(help: "The tenant reported (default: the job's).") var tenant: String?
    @Option(help: "Comma-separated shard files or postgres:// DSNs, overriding the job's store.shards.") var shards: String?
    @Flag(name: .customLong("no-record"), help: "Don't record today's totals (open the shards read-only).") var noRecord = false

    func validate() throws {
        if budget < 0 { throw ValidationError("--budget must be 0 or more") }
        if !(pricePerEmbedding >= 0) || !pricePerEmbedding.isFinite { throw ValidationError("--price-per-embedding must be 0 or more") }
        if let emitJob, !emitJob.hasSuffix(".toml") { throw ValidationError("--emit-job must name a .toml file") }
    }

    func run() async throws {
        do {
            let (config, store) = try ShardsCommand.store(job: job, shards: shards)
            let (_, model) = try JobAssembly.storedModel(config)
            var builder = ExpansionReportBuilder(job: config.name, model: model, tenant: tenant ?? store.tenant)
            builder.budget = budget
            builder.pricePerEmbedding = pricePerEmbedding
            var opened: [ShardStore] = []
            let report: ExpansionReport
            do {
                for location in store.shards {
                    if !location.isPostgres && !FileManager.default.fileExists(atPath: location.path) {
                        throw StoreError(shard: location, message: "no such shard file", hint: "run the job first, or check store.shards")
                    }
                    let inspecting = noRecord
                    opened.append(try await StoreOpener.offPool { try StoreOpener.shard(location, settings: store, inspecting: inspecting) })
                }
                let shardsOpened = opened
                let runs = try await StoreOpener.offPool { try StoreOpener.runStore(store, shards: shardsOpened) }.runs(job: nil)
                report = try await builder.build(shards: opened, runs: runs, record: !noRecord)
            } catch {
                for shard in opened { await shard.close() }
                throw error
            }
            for shard in opened { await shard.close() }

            let rendered: String
            switch format {
            case .text: rendered = ReportText.render(report, top: top)
            case .json:
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.keyEncodingStrategy = .convertToSnakeCase
                rendered = String(decoding: try encoder.encode(report), as: UTF8.self)
            case .html: rendered = ReportHTML.render(report)
            }
            if let output {
                do {
                    try Data(rendered.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
                } catch {
                    throw ConfigurationError(file: output, message: "cannot write the report: \(error.localizedDescription)", hint: "choose a writable path")
                }
                FileHandle.standardError.write(Data("report written to \(output)\n".utf8))
            } else {
                print(rendered)
            }
            if let emitJob {
                try JobEmitter.write(report, jobFile: config.file ?? job, sourceKind: config.source.kind, to: emitJob)
                FileHandle.standardError.write(Data("next round's job written to \(emitJob): seeder run \(emitJob)\n".utf8))
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail(error)
        }
    }
}
