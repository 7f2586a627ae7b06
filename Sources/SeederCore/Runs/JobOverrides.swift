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

    public init(model: String? = nil, input: String? = nil, shards: [String]? = nil, provider: String? = nil,
                dimensions: Int? = nil, tenant: String? = nil, batchSize: Int? = nil, chunkRecords: Int? = nil,
                durability: JobConfig.Durability? = nil, modelPath: String? = nil, threads: Int? = nil) {
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
        if let v = o.shards { job.store.shards = v.enumerated().map { ShardLocation(name: String($0), path: Self.absolute($1)) } }
        if let v = o.provider { job.provider.kind = v }
        if let v = o.tenant { job.store.tenant = v }
        if let v = o.batchSize { job.batch.maxItems = v }
        if let v = o.chunkRecords { job.batch.chunkRecords = v }
        if let v = o.durability { job.store.durability = v }
        return job
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}

import Foundation
