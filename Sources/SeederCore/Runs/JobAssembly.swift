import Dispatch
import Foundation

/// Builds the parts of a run from a job: the model, the provider, the source and the shards.
/// Every check that can fail before any work starts fails here, with a configuration error.
public struct JobAssembly: Sendable {
    public let job: JobConfig
    public let spec: ModelSpec
    public private(set) var provider: EmbeddingProvider
    public let source: RecordSource
    public let shards: [ShardStore]
    public let runs: RunStore
    /// The part of the job this run seeds (`--partition`), nil for all of it.
    public let partition: Partition?
    /// Whether `source` reads only that part (a multistream dump, by stream); else the pipeline picks texts by key.
    public let sourceIsPartitioned: Bool

    /// Provider kinds a job may name; `hash` and `local` are built into this version.
    public static let providerKinds = ["hash", "local", "openai", "ollama", "tei"]

    public init(job: JobConfig, partition: Partition? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.job = job
        self.partition = partition
        let file = job.file ?? "command line"
        (spec, provider) = try Self.makeProvider(job, environment: environment)
        if job.source.kind == Self.reseedKind {
            // The sweep's queue in the job's own shards (`seeder run --reseed`).
            (shards, runs) = try StoreOpener.open(job.store)
            source = ReseedQueueSource(model: spec.canonicalID, tenant: job.store.tenant, shards: shards)
            sourceIsPartitioned = false
            return
        }
        let whole = SourceCatalog.make(job.source)
        if let partition, let part = (whole as? PartitionableSource)?.reading(partition) {
            source = part
            sourceIsPartitioned = true
        } else {
            source = whole
            sourceIsPartitioned = false
        }
        guard FileManager.default.fileExists(atPath: job.source.input) else {
            throw SourceError(.missing, file: job.source.input, message: "no such input file",
                              hint: "check source.input in \(file), or pass --input")
        }
        (shards, runs) = try StoreOpener.open(job.store)
    }

    /// The `model` and `model_version` values a job's runs write, without building its provider (no model loaded, no
    /// server asked): what `seeder report` and `seeder hits replay` look rows up with.
    public static func storedModel(_ job: JobConfig) throws -> (ModelSpec, StoredModel) {
        let spec = try ModelCatalog.resolve(job.model.name, context: job.file ?? "command line")
        let dimensions = job.model.dimensions ?? spec.dimensions
        let kind = job.provider.kind ?? spec.defaultProvider
        return (spec, kind == "hash" ? .hashStandIn(for: spec, dimensions: dimensions) : .real(spec, dimensions: dimensions))
    }

    /// The source kind of a job that re-embeds what a sweep queued (``reseeding(_:)``).
    public static let reseedKind = "reseed"

    /// `job` turned into the run that re-embeds the texts `seeder sweep --reseed` queued for its model and tenant,
    /// in its shards, hottest first (`seeder run JOB --reseed`): a run of its own (`<job>-reseed`), whose texts
    /// are those seeder stored, taken as they are, each keeping the source and category it was first seeded from.
    public static func reseeding(_ job: JobConfig) -> JobConfig {
        var out = job
        out.name = job.name + "-reseed"
        out.source.kind = reseedKind
        out.source.input = "seeder_reseed"
        out.source.texts = ["{body}"]
        out.source.minChars = 1
        out.source.maxChars = max(job.source.maxChars, 100_000_000)
        out.selection = nil
        return out
    }

    /// The job's model and its provider, checked (model alias, provider kind, dimensions, the HTTP provider's settings
    /// and API key, the local model's files) without touching the input or the shards: what `seeder doctor` calls
    /// on its own.
    public static func makeProvider(_ job: JobConfig, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (ModelSpec, EmbeddingProvider) {
        let file = job.file ?? "command line"
        let provider: EmbeddingProvider
        let spec = try ModelCatalog.resolve(job.model.name, context: file)
        let dimensions = job.model.dimensions ?? spec.dimensions
        let kind = job.provider.kind ?? spec.defaultProvider
        guard Self.providerKinds.contains(kind) else {
            var message = "unknown provider '\(kind)'"
            if let near = Spelling.closest(to: kind, among: Self.providerKinds) { message += " — did you mean '\(near)'?" }
            throw ConfigurationError(file: file, position: "provider.kind", message: message, hint: "known providers: \(Self.providerKinds.joined(separator: ", "))")
        }
        if kind != "hash" && dimensions != spec.dimensions {
            guard let minimum = spec.minimumDimensions, dimensions >= minimum, dimensions < spec.dimensions else {
                throw ConfigurationError(file: file, position: "model.dimensions",
                                         message: "\(spec.alias) can't produce \(dimensions) dimensions",
                                         hint: spec.minimumDimensions.map { "it supports \($0) to \(spec.dimensions) (Matryoshka)" } ?? "it has a fixed size of \(spec.dimensions)")
            }
        }

        switch kind {
        case "hash":
            let journal = try environment["SEEDER_HASH_JOURNAL"].map { try ProviderJournal(path: $0) }
            provider = HashEmbeddingProvider(spec: spec, dimensions: dimensions, journal: journal)
        case "local":
            guard dimensions == spec.dimensions else {
                throw ConfigurationError(file: file, position: "model.dimensions", message: "the local provider makes \(spec.alias)'s native \(spec.dimensions) dimensions only",
                                         hint: "drop model.dimensions / --dimensions")
            }
            provider = try LocalEmbeddingProvider(spec: spec, explicitPath: job.model.path, threads: job.provider.threads,
                                                  locator: ModelLocator(environment: environment))
        case "openai", "ollama", "tei":
            provider = try HTTPProviderFactory.make(kind: EmbeddingServerKind(rawValue: kind) ?? .openai, spec: spec, dimensions: dimensions,
                                                    job: job, environment: environment)
        default:
            throw ConfigurationError(file: file, position: "provider.kind",
                                     message: "the '\(kind)' provider is not in this version of seeder yet (model \(spec.alias) defaults to it)",
                                     hint: "use --provider hash for a dry run with stand-in vectors")
        }
        return (spec, provider)
    }

    /// Assembles a job on a Dispatch thread: opening and migrating shards (SQLite files, PostgreSQL connections)
    /// blocks, and must not hold up a thread of Swift's cooperative pool.
    /// A TEI provider then reads the server's `/info` once: its batch limits replace the defaults, and the model it
    /// serves is recorded with the run; a server that doesn't answer stops here (exit 69).
    public static func assemble(_ job: JobConfig, partition: Partition? = nil) async throws -> JobAssembly {
        var assembly = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try JobAssembly(job: job, partition: partition) }) }
        }
        if let http = assembly.provider as? HTTPEmbeddingProvider, http.settings.kind == .tei {
            assembly.provider = try await http.readingServerInfo()
        }
        return assembly
    }

    /// A pipeline over these parts.
    public func pipeline() throws -> Pipeline {
        try Pipeline(job: job, spec: spec, source: source, provider: provider, shards: shards, runs: runs,
                     partition: partition, sourceIsPartitioned: sourceIsPartitioned)
    }
}
