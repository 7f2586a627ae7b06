import ArgumentParser
import Foundation
import SeederCore

extension BenchCommand {
    /// `seeder bench sweep`: what a model-version sweep costs the cache serving from the same SQLite shards, and
    /// whether a sweep killed with SIGKILL and started again ends where an uninterrupted one does.
    struct Sweep: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Model-version sweeps: cache reads/writes waiting during `seeder sweep` against a baseline, and kill -9 then rerun against an uninterrupted sweep.",
            discussion: """
                Generates --rows rows (SweepDataGenerator: 55% stale minilm rows, the rest current, another model, \
                another tenant or a look-alike model id) over --shards SQLite shards, then (1) runs a reader (primary-key \
                lookups) and a writer (INSERT / hit-count UPDATE transactions) on their own connections, first alone \
                for --baseline-seconds, then while `seeder sweep JOB --model minilm-l6` runs as a child process, timing \
                every operation; and checks the rows left are exactly the expected ones. (2) Generates the same rows \
                twice, sweeps one copy uninterrupted and the other killed with SIGKILL at --kill-at of its stale rows \
                then run again (both with --reseed), and compares the shards' digests, seeder_texts and seeder_reseed \
                rows. Prints one JSON object; exits nonzero when counts or states differ. See BENCHMARKS.md.
                """)
        @Option(help: "Rows to generate.") var rows = 1_000_000
        @Option(help: "SQLite shards.") var shards = 4
        @Option(help: "Work folder (emptied first).") var workDir = "/tmp/seeder-bench-sweep"
        @Option(help: "Rows per sweep batch (`seeder sweep --batch`).") var batch = 1_000
        @Option(name: .customLong("baseline-seconds"), help: "Seconds of load before the sweep starts (the baseline).") var baselineSeconds = 5.0
        @Option(name: .customLong("kill-at"), help: "Fraction of the stale rows deleted when the sweep is killed.") var killAt = 0.3
        @Option(help: "Seed of the generator.") var seed: UInt64 = 42
        @Option(name: .customLong("cache-wal-autocheckpoint"),
                help: "PRAGMA wal_autocheckpoint of the reader's and writer's connections (SQLite's default: 1000 pages; 0: off).")
        var cacheWALAutocheckpoint = 1_000

        func validate() throws {
            guard rows > 0, shards > 0, batch > 0, baselineSeconds > 0 else {
                throw ValidationError("--rows, --shards, --batch and --baseline-seconds must be positive")
            }
            guard killAt > 0, killAt < 1 else { throw ValidationError("--kill-at must be between 0 and 1") }
        }

        func run() throws {
            do {
                let bench = SweepBenchmark(rows: rows, shards: shards, workDir: workDir, batch: batch,
                                           baselineSeconds: baselineSeconds, killAt: killAt, seed: seed,
                                           cacheWALAutocheckpoint: cacheWALAutocheckpoint, seeder: try selfPath())
                let (report, passed) = try bench.run()
                let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                if !passed { throw ExitCode.failure }
            } catch let e as ExitCode { throw e } catch {
                FileHandle.standardError.write(Data("seeder: error: bench sweep: \(error)\n".utf8))
                throw ExitCode.failure
            }
        }
    }
}
