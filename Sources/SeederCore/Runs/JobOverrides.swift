import Foundation

/// Command-line flags that override a job file's settings. Paths are taken as given (relative to the
/// working directory), as usual on a command line.
public struct JobOverrides: Sendable, Equatable {
    public var model: String?
    public var input: String?
    public var shards: [String]?
    public var provider: String?
    public var dimensions: Int?
    public var tenant: String?
    public var batchSize: Int?
    public var chunkRecords: Int?
    public var durability: JobConfig.Durability?
    public var modelPath: String?
    public var threads: Int?
    /// HTTP providers' settings (`provider.*` keys of the same names). An API key is never a flag: only the name of
    /// the variable or the file that holds it.
    public var baseURL: String?
    public var serverModel: String?
    public var apiKeyEnv: String?
    public var apiKeyFile: String?
    public var concurrency: Int?
    public var rpm: Int?
    public var tpm: Int?
    public var timeoutSeconds: Double?
    public var giveUpAfterSeconds: Double?
    public var pricePerMillionTokens: Double?
    public var encodingFormat: String?

    public init(model: String? = nil, input: String? = nil, shards: [String]? = nil, provider: String? = nil,
                dimensions: Int? = nil, tenant: String? = nil, batchSize: Int? = nil, chunkRecords: Int? = nil,
                durability: JobConfig.Durability? = nil, modelPath: String? = nil, threads: Int? = nil,
                baseURL: String? = nil, serverModel: String? = nil, apiKeyEnv: String? = nil, apiKeyFile: String? = nil,
                concurrency: Int? = nil, rpm: Int? = nil, tpm: Int? = nil, timeoutSeconds: Double? = nil,
                giveUpAfterSeconds: Double? = nil, pricePerMillionTokens: Double? = nil, encodingFormat: String? = nil) {
        self.baseURL = baseURL
        self.serverModel = serverModel
        self.apiKeyEnv = apiKeyEnv
        self.apiKeyFile = apiKeyFile
        self.concurrency = concurrency
        self.rpm = rpm
        self.tpm = tpm
        self.timeoutSeconds = timeoutSeconds
        self.giveUpAfterSeconds = giveUpAfterSeconds
        self.pricePerMillionTokens = pricePerMillionTokens
        self.encodingFormat = encodingFormat
        self.modelPath = modelPath
        self.threads = threads
        self.model = model
        self.input = input
        self.shards = shards
        self.provider = provider
        self.dimensions = dimensions
        self.tenant = tenant
        self.batchSize = batchSize
        self.chunkRecords = chunkRecords
        self.durability = durability
    }
}

extension JobOverrides {
    /// The shard files of a `--shards a,b,c` flag (spaces around names trimmed, empty entries dropped).
    public static func shardList(_ flag: String) -> [String] {
        flag.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Checks the flags the job loader would check in a file, with the same rules and messages.
    public func validate() throws {
        let file = "command line"
        for dsn in shards ?? [] where ShardLocation.isPostgresDSN(dsn) && ShardLocation.redacting(dsn) != dsn {
            throw ConfigurationError(file: file, position: "--shards",
                                     message: "a password on the command line shows in `ps` and in shell history (\(ShardLocation.redacting(dsn)))",
                                     hint: "drop it from the DSN and set PGPASSWORD, or put it in ~/.pgpass or the file PGPASSFILE names (libpq reads them)")
        }
        if let shards { try JobLoader.checkShardKinds(shards, file: file, position: "--shards") }
        if let url = baseURL { try JobLoader.checkBaseURL(url, file: file, position: "--base-url") }
        if let format = encodingFormat { try JobLoader.checkEncodingFormat(format, file: file, position: "--encoding-format") }
        if let price = pricePerMillionTokens { try JobLoader.checkPrice(price, file: file, position: "--price") }
        for (flag, value) in [("--rpm", rpm), ("--tpm", tpm)] {
            if let value, value < 1 { throw ConfigurationError(file: file, position: flag, message: "\(flag) must be at least 1", hint: nil) }
        }
        if let value = concurrency, !(1...1_024).contains(value) {
            throw ConfigurationError(file: file, position: "--concurrency", message: "--concurrency must be between 1 and 1024", hint: nil)
        }
        for (flag, value) in [("--timeout", timeoutSeconds), ("--give-up-after", giveUpAfterSeconds)] {
            if let value, !(value > 0 && value.isFinite) {
                throw ConfigurationError(file: file, position: flag, message: "\(flag) must be a positive number of seconds", hint: nil)
            }
        }
        if apiKeyEnv != nil && apiKeyFile != nil {
            throw ConfigurationError(file: file, position: "--api-key-env", message: "--api-key-env and --api-key-file name two places for one key",
                                     hint: "pass one of them")
        }
    }
}

extension JobConfig {
    /// The job with the flags applied.
    public func applying(_ o: JobOverrides) -> JobConfig {
        var job = self
        // Another model's size and weights don't carry over to this one.
        if let v = o.model { job.model.name = v; job.model.dimensions = nil; job.model.path = nil }
        if let v = o.modelPath { job.model.path = Self.absolute(v) }
        if let v = o.threads { job.provider.threads = v }
        if let v = o.dimensions { job.model.dimensions = v }
        if let v = o.input { job.source.input = Self.absolute(v) }
        if let v = o.shards {
            job.store.shards = v.enumerated().map { ShardLocation(name: String($0), path: Self.absolute($1)) }
            job.store.kind = job.store.shards.allSatisfy(\.isPostgres) ? "postgres" : "sqlite"
        }
        if let v = o.provider { job.provider.kind = v }
        if let v = o.tenant { job.store.tenant = v }
        if let v = o.batchSize { job.batch.maxItems = v }
        if let v = o.chunkRecords { job.batch.chunkRecords = v }
        if let v = o.durability { job.store.durability = v }
        if let v = o.baseURL { job.provider.baseURL = v }
        if let v = o.serverModel { job.provider.serverModel = v }
        // A key's place given on the command line replaces the file's, whichever kind the file named.
        if let v = o.apiKeyEnv { job.provider.apiKeyEnv = v; job.provider.apiKeyFile = nil }
        if let v = o.apiKeyFile { job.provider.apiKeyFile = Self.absolute(v); job.provider.apiKeyEnv = nil }
        if let v = o.concurrency { job.provider.concurrency = v }
        if let v = o.rpm { job.provider.rpm = v }
        if let v = o.tpm { job.provider.tpm = v }
        if let v = o.timeoutSeconds { job.provider.timeoutSeconds = v }
        if let v = o.giveUpAfterSeconds { job.provider.giveUpAfterSeconds = v }
        if let v = o.pricePerMillionTokens { job.provider.pricePerMillionTokens = v }
        if let v = o.encodingFormat { job.provider.encodingFormat = v }
        return job
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") || ShardLocation.isPostgresDSN(path) ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}

