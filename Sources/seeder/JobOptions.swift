import ArgumentParser
import Foundation
import SeederCore

/// The job and the flags that override its settings: shared by `run` and `doctor`, so an operator checks exactly
/// what a run would use.
struct JobOptions: ParsableArguments {
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
    @Option(help: ArgumentHelp("Seed only part i of N (0-based): N workers with the same N and their own i seed disjoint parts into the same shards, each with its own checkpoint and lock.", valueName: "i/N"))
    var partition: String?
    @Option(help: ArgumentHelp("Seed part $JOB_COMPLETION_INDEX of N (what a Kubernetes Indexed Job gives each pod).", valueName: "N"))
    var partitions: Int?

    func validate() throws {
        if let durability, JobConfig.Durability(rawValue: durability) == nil { throw ValidationError("--durability must be full or normal") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let chunkRecords, chunkRecords < 1 { throw ValidationError("--chunk-records must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if partition != nil && partitions != nil { throw ValidationError("pass --partition i/N or --partitions N, not both") }
        if let partitions, partitions < 1 { throw ValidationError("--partitions must be at least 1") }
    }

    /// The job file with the flags applied.
    func load() throws -> JobConfig {
        let path = try JobLoader.locate(job, jobsDirectory: JobLoader.jobsDirectory())
        let overrides = JobOverrides(model: model, input: input, shards: shards.map(JobOverrides.shardList),
                                     provider: provider, dimensions: dimensions, tenant: tenant, batchSize: batchSize,
                                     chunkRecords: chunkRecords, durability: durability.flatMap(JobConfig.Durability.init(rawValue:)),
                                     modelPath: modelPath, threads: threads, baseURL: baseURL, serverModel: serverModel,
                                     apiKeyEnv: apiKeyEnv, apiKeyFile: apiKeyFile, concurrency: concurrency, rpm: rpm, tpm: tpm,
                                     timeoutSeconds: timeout, giveUpAfterSeconds: giveUpAfter, pricePerMillionTokens: price,
                                     encodingFormat: encodingFormat)
        try overrides.validate()
        return try JobLoader.load(path: path).applying(overrides)
    }

    /// The part of the job this process seeds, if any (a partition of one part is the whole job).
    func resolvedPartition(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Partition? {
        let part: Partition?
        if let partition {
            part = try Partition(parsing: partition)
        } else if let partitions {
            part = try Partition(count: partitions, environment: environment)
        } else {
            part = nil
        }
        return part.flatMap { $0.count == 1 ? nil : $0 }
    }
}
