import ArgumentParser
import Foundation
import SeederCore

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks: figures as JSON, side by side with a baseline in the same run.",
        subcommands: [Pipeline.self, Sources.self, Encoder.self, Providers.self, Wire.self, Postgres.self, Sweep.self, Generate.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a synthetic abstracts dump (.xml.gz) from the bundled sample.")
        @Option(help: "Documents to write.") var docs = 300_000
        @Option(name: .customLong("repeat-fraction"), help: "Fraction of documents that exactly repeat an earlier one.") var repeatFraction = 0.10
        @Option(help: "The real sample to cycle through.") var sample = "datasets/wikipedia/enwiki-abstract-sample.xml"
        @Option(help: "Seed of the generator.") var seed: UInt64 = 42
        @Argument(help: "The .xml.gz file to write.") var output: String

        func run() throws {
            do {
                let repeats = try AbstractsDumpGenerator(samplePath: sample, repeatFraction: repeatFraction, seed: seed).write(count: docs, to: output)
                print("{\"docs\": \(docs), \"exact_repeats\": \(repeats), \"file\": \"\(output)\"}")
            } catch { throw fail(error) }
        }
    }

    struct Pipeline: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End to end: abstracts .xml.gz → normalize → dedup → hash provider → SQLite shards, against `zcat FILE > /dev/null`.",
            discussion: "Runs `seeder run` as a child process per input size, so peak RSS is the run's own. See BENCHMARKS.md.")
        @Option(help: "Comma-separated document counts; the largest is the headline, the others check that memory stays flat.") var docs = "30000,300000"
        @Option(help: "Shards to write.") var shards = 4
        @Option(help: "Vector dimensions (hash provider).") var dimensions = 384
        @Option(help: "Durability of shard commits (full or normal).") var durability = "full"
        @Option(help: "Work folder (inputs are kept and reused between runs).") var workDir = "/tmp/seeder-bench"
        @Option(help: "The real sample to generate inputs from.") var sample = "datasets/wikipedia/enwiki-abstract-sample.xml"
        @Option(name: .customLong("repeat"), help: "Runs of each size (the machine is noisy: best and median are reported).") var repeats = 3

        func run() throws {
            do {
                try runBench()
            } catch let e as ExitCode { throw e } catch { throw fail(error) }
        }

        func runBench() throws {
            let fm = FileManager.default
            try fm.createDirectory(atPath: workDir, withIntermediateDirectories: true)
            let me = try selfPath()
            var results: [[String: Any]] = []
            for count in docs.split(separator: ",").compactMap({ Int($0) }) {
                let input = "\(workDir)/abstracts-\(count).xml.gz"
                if !fm.fileExists(atPath: input) {
                    try AbstractsDumpGenerator(samplePath: sample, repeatFraction: 0.10).write(count: count, to: input)
                }
                let inputBytes = (try fm.attributesOfItem(atPath: input)[.size] as? NSNumber)?.int64Value ?? 0
                // The baseline and the pipeline alternate, so that both see the same machine.
                var zcat: [Double] = []
                var runs: [(ChildProcess.Result, [String: Any])] = []
                for attempt in 0..<max(1, repeats) {
                    let z = try ChildProcess.run(["/bin/sh", "-c", "zcat '\(input)' > /dev/null"])
                    guard z.status == 0 else { throw ValidationError("zcat failed on \(input)") }
                    zcat.append(z.wallSeconds)
                    let shardDir = "\(workDir)/shards-\(count)"
                    try? fm.removeItem(atPath: shardDir)
                    try fm.createDirectory(atPath: shardDir, withIntermediateDirectories: true)
                    let shardList = (0..<shards).map { "\"\(shardDir)/shard-\($0).sqlite\"" }.joined(separator: ", ")
                    let jobPath = "\(workDir)/bench-\(count).toml"
                    try """
                        description = "benchmark input of \(count) documents"
                        [source]
                        kind = "wikipedia-abstracts"
                        input = "\(input)"
                        [model]
                        name = "minilm-l6"
                        dimensions = \(dimensions)
                        [provider]
                        kind = "hash"
                        [store]
                        shards = [\(shardList)]
                        durability = "\(durability)"
                        """.write(toFile: jobPath, atomically: true, encoding: .utf8)
                    let summaryPath = "\(workDir)/summary-\(count)-\(attempt).json"
                    let r = try ChildProcess.run([me, "run", jobPath, "--quiet", "--summary-json", summaryPath])
                    guard r.status == 0 else { throw ValidationError("seeder run exited \(r.status) on \(input)") }
                    let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summaryPath))) as? [String: Any] ?? [:]
                    runs.append((r, summary))
                }
                let ordered = runs.sorted { $0.0.wallSeconds < $1.0.wallSeconds }
                let (best, bestSummary) = ordered[0]
                let median = ordered[ordered.count / 2].0
                let zcatBest = zcat.min() ?? .nan, zcatMedian = zcat.sorted()[zcat.count / 2]
                let counters = bestSummary["counters"] as? [String: Any] ?? [:]
                let items = (counters["itemsRead"] as? NSNumber)?.doubleValue ?? Double(count)
                results.append([
                    "docs": count, "input_bytes": inputBytes, "repeats": runs.count,
                    "zcat_seconds": ["best": round3(zcatBest), "median": round3(zcatMedian)],
                    "pipeline_seconds": ["best": round3(best.wallSeconds), "median": round3(median.wallSeconds)],
                    "ratio_to_zcat": ["best": round3(best.wallSeconds / zcatBest), "median": round3(median.wallSeconds / zcatMedian)],
                    "records_per_second": ["best": Int(items / best.wallSeconds), "median": Int(items / median.wallSeconds)],
                    "peak_rss_mb": round3(Double(runs.map(\.0.maxRSSBytes).max() ?? 0) / 1_048_576),
                    "cpu_seconds_of_best": ["user": round3(best.userSeconds), "system": round3(best.systemSeconds)],
                    "dedup_set_mb": round3(((bestSummary["dedupSetBytes"] as? NSNumber)?.doubleValue ?? 0) / 1_048_576),
                    "stage_seconds_of_best": (bestSummary["stageSeconds"] as? [String: Double] ?? [:]).mapValues(round3),
                    "counters": counters,
                ])
            }
            let report: [String: Any] = [
                "benchmark": "pipeline", "shards": shards, "dimensions": dimensions, "durability": durability,
                "cores": ProcessInfo.processInfo.activeProcessorCount, "runs": results,
                "targets": ["records_per_second": ">= 60000", "ratio_to_zcat": "<= 2.5", "peak_rss_mb": "<= 256 (max over runs)"],
            ]
            let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

/// This executable's own path, to run it as a child.
func selfPath() throws -> String {
    let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return path
}
