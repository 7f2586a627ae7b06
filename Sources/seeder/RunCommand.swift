import ArgumentParser
import Foundation
import Logging
import SeederCore

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run (or resume) a job: read, normalize, deduplicate, embed and store.",
        discussion: """
            An unfinished run of the same job and model is resumed from its last checkpoint; --restart starts over.
            A finished job run again stores nothing and calls the provider for nothing.
            """
    )

    @Argument(help: "A job name from ./jobs (e.g. wikipedia) or a path to a job file.")
    var job: String

    @Option(help: "Model alias or canonical id (see `seeder models`).") var model: String?
    @Option(help: "Input file, overriding source.input.") var input: String?
    @Option(help: "Comma-separated shard files or postgres:// DSNs (no password: PGPASSWORD or ~/.pgpass), overriding store.shards.") var shards: String?
    @Option(help: "Provider kind: local (the native MiniLM model), openai, ollama, tei, or hash (stand-in vectors).") var provider: String?
    @Option(name: .customLong("model-path"), help: "The local provider's Hugging Face model directory (default: $SEEDER_MODELS, then the Hugging Face cache).") var modelPath: String?
    @Option(help: "The local provider's compute threads (default: one per core).") var threads: Int?
    @Option(help: "Matryoshka-truncated dimensions.") var dimensions: Int?
    @Option(help: "Tenant id written with every row.") var tenant: String?
    @Option(name: .customLong("base-url"), help: "HTTP providers: the server, e.g. http://localhost:11434 (provider.base_url).") var baseURL: String?
    @Option(name: .customLong("server-model"), help: "HTTP providers: the model's name on the server (provider.server_model).") var serverModel: String?
    @Option(name: .customLong("api-key-env"), help: "HTTP providers: the environment variable holding the API key (never the key itself).") var apiKeyEnv: String?
    @Option(name: .customLong("api-key-file"), help: "HTTP providers: a file holding the API key.") var apiKeyFile: String?
    @Option(help: "HTTP providers: requests in flight at once (provider.concurrency).") var concurrency: Int?
    @Option(help: "HTTP providers: requests per minute to stay under (provider.rpm).") var rpm: Int?
    @Option(help: "HTTP providers: tokens per minute to stay under (provider.tpm).") var tpm: Int?
    @Option(help: "HTTP providers: seconds to wait for one response (provider.timeout_seconds).") var timeout: Double?
    @Option(name: .customLong("give-up-after"), help: "HTTP providers: seconds the server may stay unavailable before the run stops at its checkpoint.") var giveUpAfter: Double?
    @Option(help: "Dollars per million tokens, for the cost figures (provider.price_per_million_tokens).") var price: Double?
    @Option(name: .customLong("encoding-format"), help: "OpenAI-compatible servers: base64 or float (provider.encoding_format).") var encodingFormat: String?
    @Option(name: .customLong("batch-size"), help: "Texts per provider request at most.") var batchSize: Int?
    @Option(name: .customLong("chunk-records"), help: "Records per checkpoint.") var chunkRecords: Int?
    @Option(help: "full (fsync every commit) or normal.") var durability: String?
    @Option(help: "Stop cleanly at the first checkpoint after this many input items; run again to continue.") var limit: Int64?
    @Flag(help: "Abandon an unfinished run of this job and model and start over.") var restart = false
    @Option(name: .customLong("summary-json"), help: "Also write the run summary as JSON to this file.") var summaryJSON: String?
    @Flag(help: "Print only errors.") var quiet = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let durability, JobConfig.Durability(rawValue: durability) == nil { throw ValidationError("--durability must be full or normal") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let chunkRecords, chunkRecords < 1 { throw ValidationError("--chunk-records must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = quiet ? .error : .notice
            return handler
        }
        do {
            let path = try JobLoader.locate(job, jobsDirectory: JobLoader.jobsDirectory())
            let overrides = JobOverrides(model: model, input: input, shards: shards.map(JobOverrides.shardList),
                                         provider: provider, dimensions: dimensions, tenant: tenant, batchSize: batchSize,
                                         chunkRecords: chunkRecords, durability: durability.flatMap(JobConfig.Durability.init(rawValue:)),
                                         modelPath: modelPath, threads: threads, baseURL: baseURL, serverModel: serverModel,
                                         apiKeyEnv: apiKeyEnv, apiKeyFile: apiKeyFile, concurrency: concurrency, rpm: rpm, tpm: tpm,
                                         timeoutSeconds: timeout, giveUpAfterSeconds: giveUpAfter, pricePerMillionTokens: price,
                                         encodingFormat: encodingFormat)
            try overrides.validate()
            let config = try JobLoader.load(path: path).applying(overrides)
            let assembly = try await JobAssembly.assemble(config)
            let summary: RunSummary
            do {
                let pipeline = try assembly.pipeline()
                let progress = ProgressPrinter(enabled: !quiet, inputSize: assembly.source.inputSize)
                summary = try await pipeline.run(RunOptions(limit: limit, restart: restart, onCheckpoint: { progress.update($0) }))
                progress.finish()
            } catch {
                try? await assembly.provider.shutdown()
                throw error
            }
            // Close the provider's connections cleanly (async-http-client) before printing the summary.
            try? await assembly.provider.shutdown()
            if let summaryJSON {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(summary).write(to: URL(fileURLWithPath: summaryJSON))
            }
            if !quiet { print(SummaryFormatter.text(summary, job: config)) }
            if summary.state == RunRecord.State.paused.rawValue { throw ExitCode(SeederExitCode.budgetReached.rawValue) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw fail(error)
        }
    }
}

/// A progress line on standard error after each checkpoint, at most twice a second.
final class ProgressPrinter: @unchecked Sendable {
    private let enabled: Bool
    private let inputSize: Int64?
    private let lock = NSLock()
    private var last = ContinuousClock.now - .seconds(10)
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var printed = false

    init(enabled: Bool, inputSize: Int64?) {
        self.enabled = enabled
        self.inputSize = inputSize
    }

    func update(_ run: RunRecord) {
        guard enabled else { return }
        lock.lock(); defer { lock.unlock() }
        let now = ContinuousClock.now
        guard now - last > .milliseconds(isTerminal ? 500 : 10_000) else { return }
        last = now
        let c = run.counters
        var line = "items \(c.itemsRead)  embedded \(c.embedded)  stored \(c.stored)  dup \(c.duplicatesInRun)  already \(c.alreadyStored)  skipped \(c.skippedTotal)  \(Int(run.rate))/s"
        if let size = inputSize, size > 0 {
            line += String(format: "  %.1f%%", 100 * Double(c.inputBytesRead) / Double(size))
        }
        FileHandle.standardError.write(Data((isTerminal ? "\r\u{1B}[K" + line : line + "\n").utf8))
        printed = true
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if printed && isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
