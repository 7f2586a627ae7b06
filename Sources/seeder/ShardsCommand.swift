import ArgumentParser
import Foundation
import SeederCore

struct ShardsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "shards", abstract: "Inspect, check and rebalance a job's shards.",
                                                    subcommands: [Digest.self, Check.self, Rebalance.self])

    /// The job's store, with `--shards` applied (and checked: no password on the command line).
    static func store(job: String, shards: String?) throws -> (config: JobConfig, store: JobConfig.StoreSettings) {
        var config = try JobLoader.load(path: try JobLoader.locate(job, jobsDirectory: JobLoader.jobsDirectory()))
        if let shards {
            let overrides = JobOverrides(shards: JobOverrides.shardList(shards))
            try overrides.validate()
            config = config.applying(overrides)
        }
        return (config, config.store)
    }

    struct Digest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rows and an order-independent SHA-256 of every row's key and vector bytes, per shard.",
            discussion: "Two stores with equal digests hold the same rows, byte for byte, whether SQLite or PostgreSQL.")

        @Argument(help: "A job name or job file.") var job: String
        @Option(help: "Comma-separated shard files or postgres:// DSNs, overriding the job's store.shards.") var shards: String?

        func run() async throws {
            do {
                let (_, store) = try ShardsCommand.store(job: job, shards: shards)
                for location in store.shards {
                    if !location.isPostgres && !FileManager.default.fileExists(atPath: location.path) {
                        throw StoreError(shard: location, message: "no such shard file", hint: "run the job first, or check store.shards")
                    }
                    let shard = try await StoreOpener.offPool { try StoreOpener.shard(location, settings: store, inspecting: true) }
                    let digest = try await shard.digest()
                    await shard.close()
                    print("\(location.name)\t\(digest.rows)\t\(digest.sha256)\t\(location.displayPath)")
                }
            } catch {
                throw fail(error)
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every shard: reachable, the cache's table as expected, rows, keys on the wrong shard.",
            discussion: """
                Exits 0 when every shard is healthy, 73 when one can't be reached or read, 65 when one has a schema \
                problem or keys that belong on another shard (after a changed shard list: `seeder shards rebalance`).
                """)

        @Argument(help: "A job name or job file.") var job: String
        @Option(help: "Comma-separated shard files or postgres:// DSNs, overriding the job's store.shards.") var shards: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let checks: [ShardCheck]
            do {
                let (_, store) = try ShardsCommand.store(job: job, shards: shards)
                checks = try await ShardChecker.check(store)
            } catch {
                throw fail(error)
            }
            if json {
                let items: [[String: Any]] = checks.map { c in
                    [
                        "name": c.name, "path": c.displayPath, "healthy": c.isHealthy,
                        "error": c.unreachable ?? NSNull(), "rows": c.inspection?.rows ?? NSNull(),
                        "schema_version": c.inspection?.schemaVersion ?? NSNull(),
                        "expected_schema_version": c.inspection?.expectedSchemaVersion ?? NSNull(),
                        "schema_problems": c.inspection?.schemaProblems ?? [], "misplaced_keys": c.misplaced,
                        "misplaced_examples": c.misplacedExamples,
                    ]
                }
                let data = try JSONSerialization.data(withJSONObject: ["shards": items, "total_rows": checks.reduce(0) { $0 + ($1.inspection?.rows ?? 0) }],
                                                      options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                for c in checks {
                    var line = "\(c.name)\t\(c.isHealthy ? "ok" : "PROBLEM")\t"
                    if let error = c.unreachable {
                        line += "unreachable: \(error)"
                    } else if let i = c.inspection {
                        line += "\(i.rows) rows\tschema v\(i.schemaVersion)/\(i.expectedSchemaVersion)\t\(c.misplaced) misplaced"
                        for problem in i.schemaProblems { line += "\n\tschema: \(problem)" }
                        for example in c.misplacedExamples { line += "\n\tmisplaced: \(example)" }
                    }
                    print(line + "\t\(c.displayPath)")
                }
                print("total\t\(checks.reduce(0) { $0 + ($1.inspection?.rows ?? 0) }) rows")
            }
            if checks.contains(where: { $0.unreachable != nil }) { throw ExitCode(SeederExitCode.storeUnavailable.rawValue) }
            if !checks.allSatisfy(\.isHealthy) { throw ExitCode(SeederExitCode.dataError.rawValue) }
        }
    }

    struct Rebalance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move exactly the rows whose shard changes to a new shard list.",
            discussion: """
                Names the new shards by position ("0", "1", …), as store.shards does. Resumable: run it again after \
                any interruption. Stop the job's runs first (an unfinished run resumes only with the shard list it \
                started with), and afterwards set the job's store.shards to the new list.
                """)

        @Argument(help: "A job name or job file.") var job: String
        @Option(help: "The new shard list: comma-separated shard files or postgres:// DSNs.") var to: String
        @Option(help: "Comma-separated shard files or DSNs to move from, overriding the job's store.shards.") var shards: String?
        @Flag(name: .customLong("dry-run"), help: "Count the rows that would move, per shard pair; change nothing.") var dryRun = false
        @Option(help: "Keys per step (one copy and one delete transaction).") var batch: Int = 2_000

        func validate() throws {
            if batch < 1 { throw ValidationError("--batch must be at least 1") }
        }

        func run() async throws {
            do {
                let (config, store) = try ShardsCommand.store(job: job, shards: shards)
                let targets = JobOverrides.shardList(to)
                let overrides = JobOverrides(shards: targets)
                try overrides.validate()
                guard !targets.isEmpty else { throw ValidationError("--to needs at least one shard") }
                let destination = config.applying(overrides).store.shards
                let rebalancer = try ShardRebalancer(settings: store, to: destination, batch: batch)
                let isTerminal = isatty(STDERR_FILENO) == 1
                let report = try await rebalancer.run(dryRun: dryRun) { so in
                    guard isTerminal else { return }
                    FileHandle.standardError.write(Data("\r\(so.totalScanned) rows read, \(so.totalMoved) \(dryRun ? "to move" : "moved")".utf8))
                }
                if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
                for (move, count) in report.moves.sorted(by: { ($0.key.from, $0.key.to) < ($1.key.from, $1.key.to) }) {
                    print("\(move.from) -> \(move.to)\t\(count)")
                }
                let share = report.totalScanned > 0 ? Double(report.totalMoved) / Double(report.totalScanned) : 0
                print("\(dryRun ? "would move" : "moved") \(report.totalMoved) of \(report.totalScanned) rows (\(String(format: "%.1f", share * 100))%)")
                if !dryRun {
                    print("now set store.shards in \(config.file ?? job) to: \(destination.map(\.displayPath).joined(separator: ", "))")
                }
            } catch let error as ValidationError {
                throw error
            } catch {
                throw fail(error)
            }
        }
    }
}
