import ArgumentParser
import Foundation
import SeederCore

struct ShardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "shards", abstract: "Inspect a job's shards.",
                                                    subcommands: [Digest.self])

    struct Digest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rows and an order-independent SHA-256 of every row's key and vector bytes, per shard.",
            discussion: "Two stores with equal digests hold the same rows, byte for byte.")

        @Argument(help: "A job name or job file.") var job: String
        @Option(help: "Comma-separated shard files, overriding the job's store.shards.") var shards: String?

        func run() throws {
            do {
                var config = try JobLoader.load(path: try JobLoader.locate(job, jobsDirectory: JobLoader.jobsDirectory()))
                if let shards { config = config.applying(JobOverrides(shards: JobOverrides.shardList(shards))) }
                for location in config.store.shards {
                    let shard = try SQLiteShard(location: location, durability: .normal, readOnly: true)
                    let (rows, sha) = try shard.digest()
                    print("\(location.name)\t\(rows)\t\(sha)\t\(location.path)")
                }
            } catch {
                throw fail(error)
            }
        }
    }
}
