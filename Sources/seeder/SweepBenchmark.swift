import Foundation
import SeederCore

/// The two parts of `seeder bench sweep`, each on freshly generated shards under `workDir`.
struct SweepBenchmark {
    let rows: Int, shards: Int, workDir: String, batch: Int, baselineSeconds: Double, killAt: Double, seed: UInt64
    let cacheWALAutocheckpoint: Int
    /// The seeder executable: this one.
    let seeder: String

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// The report, and whether every count was exact and both kill -9 states equal.
    func run() throws -> ([String: Any], Bool) {
        try? FileManager.default.removeItem(atPath: workDir)
        let generator = try SweepDataGenerator(rows: rows, shards: shards, seed: seed)
        let (concurrent, countsExact) = try concurrentLoad(generator)
        let (kill, sameState) = try killAndRerun(generator)
        try? FileManager.default.removeItem(atPath: workDir)
        let report: [String: Any] = [
            "benchmark": "sweep", "rows": rows, "cache_wal_autocheckpoint": cacheWALAutocheckpoint, "shards": shards, "batch": batch, "seed": seed,
            "cores": ProcessInfo.processInfo.activeProcessorCount,
            "concurrent_load": concurrent, "kill_and_rerun": kill,
            "counts_exact": countsExact, "same_state": sameState,
        ]
        return (report, countsExact && sameState)
    }

    // MARK: Part 1: the cache's reads and writes during a sweep

    private func concurrentLoad(_ generator: SweepDataGenerator) throws -> ([String: Any], Bool) {
        let (job, paths, expected, generateSeconds) = try prepare(generator, folder: "load")
        let load = CacheLoad(generator: generator, paths: paths, walAutocheckpoint: cacheWALAutocheckpoint)
        let baseline = try load.run { Thread.sleep(forTimeInterval: baselineSeconds) }
        var sweepResult: SweepChild.Exit?
        let during = try load.run {
            sweepResult = try SweepChild.runToEnd([seeder, "sweep", job, "--model", "minilm-l6", "--json", "--batch", String(batch)],
                                                  stdoutPath: "\(workDir)/load/sweep.json")
        }
        guard let sweep = sweepResult, sweep.status == 0 else {
            throw Failure("seeder sweep exited \(sweepResult?.status ?? -1) under load (see \(workDir)/load)")
        }
        let output = try SweepOutput(path: "\(workDir)/load/sweep.json")

        // Exact counts: every stale row deleted and nothing else; the writer's rows are current-version rows.
        var mismatches: [String] = []
        for (k, shard) in expected.shards.enumerated() {
            let deleted = output.deleted[shard.name] ?? -1
            if deleted != shard.staleRows { mismatches.append("shard \(shard.name): deleted \(deleted), expected \(shard.staleRows)") }
            var want = shard.remainingByGroup
            want[SweepDataGenerator.Kind.current.group, default: 0] += baseline.inserted[k] + during.inserted[k]
            let have = try SweepDataGenerator.rowsByGroup(in: paths[k])
            if have != want { mismatches.append("shard \(shard.name): rows by group \(Self.describe(have)), expected \(Self.describe(want))") }
            let texts = try SweepDataGenerator.count("seeder_texts", in: paths[k])
            if texts != shard.textsAfterSweep { mismatches.append("shard \(shard.name): \(texts) seeder_texts rows, expected \(shard.textsAfterSweep)") }
        }
        let deleted = output.deleted.values.reduce(0, +)
        let figures: [String: Any] = [
            "generate_seconds": round3(generateSeconds),
            "baseline": baseline.json(seconds: baselineSeconds),
            "during_sweep": during.json(seconds: sweep.wallSeconds),
            "sweep": [
                "wall_seconds": round3(sweep.wallSeconds), "rows_deleted": deleted,
                "rows_per_second": Int(Double(deleted) / sweep.wallSeconds),
                "batches": output.batches.values.reduce(0, +), "longest_batch_ms": output.longestBatchMS.values.max() ?? 0,
            ] as [String: Any],
            "expected_stale_rows": expected.staleRows, "rows_inserted_by_writer": baseline.inserted.reduce(0, +) + during.inserted.reduce(0, +),
            "counts_exact": mismatches.isEmpty, "mismatches": mismatches,
        ]
        return (figures, mismatches.isEmpty)
    }

    // MARK: Part 2: kill -9 and rerun against an uninterrupted sweep

    private func killAndRerun(_ generator: SweepDataGenerator) throws -> ([String: Any], Bool) {
        let (jobA, pathsA, expectedA, _) = try prepare(generator, folder: "uninterrupted")
        let (jobB, pathsB, expectedB, _) = try prepare(generator, folder: "killed")
        guard expectedA == expectedB else { throw Failure("the same seed generated different rows") }
        func arguments(_ job: String) -> [String] {
            [seeder, "sweep", job, "--model", "minilm-l6", "--reseed", "--json", "--batch", String(batch)]
        }
        let a = try SweepChild.runToEnd(arguments(jobA), stdoutPath: "\(workDir)/uninterrupted/sweep.json")
        guard a.status == 0 else { throw Failure("the uninterrupted sweep exited \(a.status)") }

        // Killed once the cursors say `killAt` of the stale rows are gone.
        let target = Int64(Double(expectedB.staleRows) * killAt)
        let child = try SweepChild.start(arguments(jobB), stdoutPath: "\(workDir)/killed/sweep-1.json")
        var exitedByItself: Int32?
        while true {
            if let status = child.exitStatus() { exitedByItself = status; break }
            if try SweepDataGenerator.deletedSoFar(pathsB) >= target { break }
            usleep(20_000)
        }
        if exitedByItself == nil {
            kill(child.pid, SIGKILL)
            _ = child.wait()
        }
        let deletedAtKill = try SweepDataGenerator.deletedSoFar(pathsB)
        let rerun = try SweepChild.runToEnd(arguments(jobB), stdoutPath: "\(workDir)/killed/sweep-2.json")
        guard rerun.status == 0 else { throw Failure("the sweep run again after kill -9 exited \(rerun.status)") }
        let output = try SweepOutput(path: "\(workDir)/killed/sweep-2.json")

        var same = true
        var perShard: [[String: Any]] = []
        for (k, shard) in expectedA.shards.enumerated() {
            let (rowsA, digestA) = try SQLiteShard(location: ShardLocation(name: shard.name, path: pathsA[k]), durability: .normal, readOnly: true).digest()
            let (rowsB, digestB) = try SQLiteShard(location: ShardLocation(name: shard.name, path: pathsB[k]), durability: .normal, readOnly: true).digest()
            let texts = (try SweepDataGenerator.count("seeder_texts", in: pathsA[k]), try SweepDataGenerator.count("seeder_texts", in: pathsB[k]))
            let reseed = (try SweepDataGenerator.count("seeder_reseed", in: pathsA[k]), try SweepDataGenerator.count("seeder_reseed", in: pathsB[k]))
            let exact = Int64(rowsA) == shard.rows - shard.staleRows && texts.0 == shard.textsAfterSweep && reseed.0 == shard.staleWithTexts
            let equal = digestA == digestB && rowsA == rowsB && texts.0 == texts.1 && reseed.0 == reseed.1
            same = same && equal && exact
            perShard.append(["shard": shard.name, "rows": [rowsA, rowsB], "digest_equal": digestA == digestB,
                             "seeder_texts": [texts.0, texts.1], "seeder_reseed": [reseed.0, reseed.1], "counts_exact": exact])
        }
        let figures: [String: Any] = [
            "expected_stale_rows": expectedB.staleRows, "deleted_when_killed": deletedAtKill,
            "killed_mid_sweep": exitedByItself == nil && deletedAtKill < expectedB.staleRows,
            "uninterrupted_seconds": round3(a.wallSeconds), "rerun_seconds": round3(rerun.wallSeconds),
            // Shards that had finished before the kill start a new sweep that finds nothing: not resumed.
            "resumed": output.resumed.values.contains(true), "resumed_shards": output.resumed.values.filter { $0 }.count,
            "same_state": same, "shards_compared": perShard,
        ]
        return (figures, same && exitedByItself == nil)
    }

    // MARK: Shared

    /// Generates the rows into `workDir/folder` and writes a job over those shards.
    private func prepare(_ generator: SweepDataGenerator, folder: String) throws
        -> (job: String, paths: [String], expected: SweepDataGenerator.Expectation, seconds: Double) {
        let dir = "\(workDir)/\(folder)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let paths = (0..<shards).map { "\(dir)/shard-\($0).sqlite" }
        let started = ContinuousClock.now
        let expected = try generator.write(paths: paths)
        let seconds = (ContinuousClock.now - started).seconds
        // The job is only read for its shards: the source is never opened.
        let job = "\(dir)/job.toml"
        try """
            description = "seeder bench sweep"
            [source]
            kind = "wikipedia-abstracts"
            input = "\(dir)/unused.xml"
            [model]
            name = "minilm-l6"
            [provider]
            kind = "hash"
            [store]
            shards = [\(paths.map { "\"\($0)\"" }.joined(separator: ", "))]
            durability = "normal"
            """.write(toFile: job, atomically: true, encoding: .utf8)
        return (job, paths, expected, seconds)
    }

    static func describe(_ groups: [SweepDataGenerator.RowGroup: Int64]) -> String {
        groups.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }
}

/// What `seeder sweep --json` printed, per shard.
struct SweepOutput {
    var deleted: [String: Int64] = [:]
    var batches: [String: Int64] = [:]
    var longestBatchMS: [String: Double] = [:]
    var resumed: [String: Bool] = [:]

    init(path: String) throws {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        for shard in object?["shards"] as? [[String: Any]] ?? [] {
            guard let name = shard["shard"] as? String else { continue }
            deleted[name] = (shard["deleted"] as? NSNumber)?.int64Value
            batches[name] = (shard["batches"] as? NSNumber)?.int64Value
            longestBatchMS[name] = (shard["longest_batch_ms"] as? NSNumber)?.doubleValue
            resumed[name] = (shard["resumed"] as? NSNumber)?.boolValue
        }
    }
}
