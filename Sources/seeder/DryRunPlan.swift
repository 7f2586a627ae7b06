import Foundation
import SeederCore

/// What `seeder run --dry-run` prints: the job as the flags resolve it, checked without touching a shard, the
/// provider or the input. A deployment file's command line is proven by running it with `--dry-run` appended.
struct DryRunPlan {
    let text: String

    init(job: JobConfig, partition: Partition?, options: RunCommand) throws {
        let file = job.file ?? "command line"
        let spec = try ModelCatalog.resolve(job.model.name, context: file)
        let kind = job.provider.kind ?? spec.defaultProvider
        guard JobAssembly.providerKinds.contains(kind) else {
            throw ConfigurationError(file: file, position: "provider.kind", message: "unknown provider '\(kind)'",
                                     hint: "known providers: \(JobAssembly.providerKinds.joined(separator: ", "))")
        }
        // Builds the source without reading it: its own keys are checked here.
        let source = SourceCatalog.make(job.source)
        let inputHere = FileManager.default.fileExists(atPath: job.source.input)
        var split = "the whole job"
        if let partition {
            let byStream = (source as? PartitionableSource)?.reading(partition) != nil
            split = "part \(partition) — " + (byStream ? "the dump's bzip2 streams \(partition.index), \(partition.index + partition.count), …"
                                                       : "the texts whose key falls in part \(partition.index) (every worker reads the whole input)")
        }
        var lines = ["dry run: nothing was read, embedded or written", ""]
        func row(_ name: String, _ value: String) { lines.append(name.padding(toLength: 14, withPad: " ", startingAt: 0) + value) }
        row("job", "\(job.name) (\(file))")
        row("model", "\(spec.alias) = \(spec.canonicalID), \(job.model.dimensions ?? spec.dimensions) dimensions")
        row("provider", kind + (job.provider.baseURL.map { " at \($0)" } ?? ""))
        row("source", "\(job.source.kind): \(job.source.input)\(inputHere ? "" : " (not on this machine)")")
        row("shards", job.store.shards.map(\.displayPath).joined(separator: ", "))
        row("control", job.store.controlLocation.displayPath)
        row("tenant", job.store.tenant)
        row("partition", split)
        var limits: [String] = []
        if let n = options.maxRecords ?? options.limit { limits.append("--max-records \(n)") }
        if let d = options.maxDuration { limits.append("--max-duration \(d)") }
        row("stops at", (limits.isEmpty ? "the end of the input" : limits.joined(separator: ", ")) + String(format: "; %.0f s grace after a stop", options.stopGrace))
        var outputs = ["progress \(options.progress.rawValue)", "logs \(options.logFormat.rawValue)"]
        if let path = options.metricsFile { outputs.append("metrics file \(path)") }
        if let url = options.pushgateway {
            _ = try Pushgateway.validated(url)
            outputs.append("pushgateway \(url)")
        }
        row("reports", outputs.joined(separator: ", "))
        text = lines.joined(separator: "\n")
    }
}
