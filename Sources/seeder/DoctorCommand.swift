import ArgumentParser
import Foundation
import Logging
import SeederCore

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check that a job can run here: its input, the provider (one small call), every shard and the run lock.",
        discussion: """
            Takes the same job and flags as `seeder run`. Prints one line per check, in plain words, and exits 0 when
            every check passes, else with the exit code `seeder run` would have stopped with (docs/exit-codes.md).
            Nothing is written: a shard that doesn't exist yet is checked for whether it can be created.
            """
    )

    @OptionGroup var job: JobOptions
    @Flag(help: "Print JSON.") var json = false

    /// One check's outcome.
    struct Check {
        var name: String
        var problem: Error?
        var detail: String
        /// Not run, because a check it needs failed.
        var skipped = false
        var ok: Bool { problem == nil }
    }

    func run() async throws {
        LogFormat.bootstrap(.text, level: .error)
        var checks: [Check] = []
        func record(_ name: String, _ body: () async throws -> String) async {
            do {
                checks.append(Check(name: name, problem: nil, detail: try await body()))
            } catch {
                checks.append(Check(name: name, problem: error, detail: String(describing: error)))
            }
        }

        let config: JobConfig, partition: Partition?
        do {
            config = try job.load()
            partition = try job.resolvedPartition()
        } catch {
            print(Self.line(Check(name: "job", problem: error, detail: String(describing: error))))
            throw ExitCode(SeederExitCode.forError(error).rawValue)
        }
        checks.append(Check(name: "job", problem: nil, detail: "\(config.name) (\(config.file ?? "command line"))"
                            + (partition.map { ", partition \($0)" } ?? "")))

        await record("input") { try await Self.checkInput(config, partition: partition) }

        var stored: StoredModel?
        await record("provider") {
            let (model, detail) = try await Self.checkProvider(config)
            stored = model
            return detail
        }

        for location in config.store.shards {
            await record("shard \(location.name)") { try await Self.checkShard(location, settings: config.store) }
        }

        if let stored {
            await record("lock") { try await Self.checkLock(config, model: stored, partition: partition) }
        } else {
            checks.append(Check(name: "lock", problem: nil, detail: "not checked: the run lock is per model, and the provider check failed", skipped: true))
        }

        if json {
            let items: [[String: Any]] = checks.map { check in
                ["check": check.name, "ok": check.ok, "skipped": check.skipped, "detail": check.detail,
                 "exit_code": check.problem.map { Int(SeederExitCode.forError($0).rawValue) } ?? 0]
            }
            let data = try JSONSerialization.data(withJSONObject: ["job": config.name, "checks": items], options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for check in checks { print(Self.line(check)) }
            let failed = checks.filter { !$0.ok }.count
            print(failed == 0 ? "all \(checks.count) checks passed" : "\(failed) of \(checks.count) checks failed")
        }
        if let first = checks.first(where: { !$0.ok })?.problem {
            throw ExitCode(SeederExitCode.forError(first).rawValue)
        }
    }

    static func line(_ check: Check) -> String {
        (check.skipped ? "--    " : check.ok ? "ok    " : "FAIL  ") + check.name.padding(toLength: 12, withPad: " ", startingAt: 0) + " " + check.detail
    }

    // MARK: Checks

    /// Reads the input's first chunk for real: the file opens, decompresses and parses, and gives records.
    static func checkInput(_ job: JobConfig, partition: Partition?) async throws -> String {
        let path = job.source.input
        guard let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64 else {
            throw SourceError(.missing, file: path, message: "no such input file", hint: "check source.input in \(job.file ?? "the job"), or pass --input")
        }
        var source = SourceCatalog.make(job.source)
        var split = ""
        if let partition {
            if let part = (source as? PartitionableSource)?.reading(partition) {
                source = part
                split = "; partition \(partition) reads its own streams"
            } else {
                split = "; partition \(partition) reads the whole input and keeps its part's texts"
            }
        }
        if let wikipedia = source as? WikipediaPagesSource {
            split += wikipedia.indexPath.map { "; multistream index \($0)" } ?? "; no multistream index (read start to end; resumes replay)"
        }
        // The read blocks (file I/O, decompression): off Swift's cooperative pool, like every source.
        let reader = source
        let first = try await StoreOpener.offPool { () throws -> RecordChunk? in
            var chunk: RecordChunk?
            do {
                try reader.read(resumeAfter: .start, chunkSize: 8) { delivered in
                    chunk = delivered
                    throw CancellationError()
                }
            } catch is CancellationError {}
            return chunk
        }
        guard let first else {
            throw SourceError(.empty, file: path, message: "the input holds no records", hint: "check that this is the file the job expects (source.kind = \(job.source.kind))")
        }
        return "\(path): \(ByteCountFormatter.string(fromByteCount: size, countStyle: .file)), \(job.source.kind); "
            + "read its first \(first.checkpoint.items) items: \(first.records.count) records" + split
    }

    /// One small embedding call: the provider answers, with vectors of the size the shards will store.
    static func checkProvider(_ job: JobConfig) async throws -> (StoredModel, String) {
        // Loading a local model's weights blocks: off the cooperative pool.
        var (_, provider) = try await StoreOpener.offPool { try JobAssembly.makeProvider(job) }
        do {
            if let http = provider as? HTTPEmbeddingProvider, http.settings.kind == .tei {
                provider = try await http.readingServerInfo()
            }
            let started = ContinuousClock.now
            let text = "seeder doctor: a short text to embed"
            let matrix = try await provider.embed([EmbeddingInput(text: text, hash: TextHash(normalized: text), estimatedTokens: 10)])
            let seconds = (ContinuousClock.now - started).seconds
            let stored = provider.storedModel
            guard matrix.rows == 1, matrix.dimensions == stored.dimensions, matrix.values.count == stored.dimensions else {
                throw ProviderError(provider: provider.kind, message: "answered \(matrix.rows) vector(s) of \(matrix.dimensions) dimensions for one text; expected one of \(stored.dimensions)")
            }
            try? await provider.shutdown()
            return (stored, "\(provider.kind): embedded a test text in \(String(format: "%.2f", seconds)) s, \(stored.dimensions) dimensions (\(stored.model))")
        } catch {
            try? await provider.shutdown()
            throw error
        }
    }

    /// The shard answers, its tables are as the cache expects, and this process may write it.
    static func checkShard(_ location: ShardLocation, settings: JobConfig.StoreSettings) async throws -> String {
        if !location.isPostgres && !FileManager.default.fileExists(atPath: location.path) {
            if let problem = SQLiteShard.writeProblem(path: location.path) {
                throw StoreError(shard: location, message: "can't be created: \(problem)", hint: "create the folder, or make it writable by this user")
            }
            return "\(location.displayPath): not created yet; its folder is writable, the first run creates it"
        }
        let store = try await StoreOpener.offPool { try StoreOpener.shard(location, settings: settings, inspecting: true) }
        do {
            let inspection = try await store.inspect()
            if !inspection.schemaProblems.isEmpty {
                throw StoreError(shard: location, message: "its tables are not as the cache expects: \(inspection.schemaProblems.joined(separator: "; "))",
                                 hint: "see `seeder shards check` and docs/schema.md")
            }
            if let problem = try await store.writeProblem() {
                throw StoreError(shard: location, message: "not writable: \(problem)", hint: nil)
            }
            await store.close()
            let version = inspection.schemaVersion < inspection.expectedSchemaVersion
                ? "schema v\(inspection.schemaVersion) (the next run migrates it to v\(inspection.expectedSchemaVersion))"
                : "schema v\(inspection.schemaVersion)"
            return "\(location.displayPath): \(version), \(inspection.rows) rows, writable"
        } catch {
            await store.close()
            throw error
        }
    }

    /// Whether another run of this job, model, tenant and partition holds the run lock now.
    static func checkLock(_ job: JobConfig, model: StoredModel, partition: Partition?) async throws -> String {
        let control = job.store.controlLocation, tenant = job.store.tenant, part = partition?.description ?? ""
        let holder: String?
        if control.isPostgres {
            holder = try await StoreOpener.offPool {
                try PostgresRunStore.lockHolder(location: control, job: job.name, model: model, tenant: tenant, partition: part)
            }
        } else {
            holder = SQLiteRunStore.lockHolder(path: SQLiteRunStore.lockPath(control: control, job: job.name, model: model, tenant: tenant, partition: part))
        }
        if let holder {
            throw RunLockHeld(job: job.name, model: model.model, holder: holder, partition: part)
        }
        return "free: no other run of \(job.name)\(part.isEmpty ? "" : " partition \(part)") with this model and tenant \(tenant) is running"
    }
}
