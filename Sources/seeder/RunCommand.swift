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

            --max-records, --max-duration, SIGTERM and SIGINT stop the run cleanly at a checkpoint (state paused):
            the next `seeder run` continues. Exit codes: 0 done, 3 budget reached, 130/143 stopped by SIGINT/SIGTERM,
            75 another run holds the lock; the rest in docs/exit-codes.md. Running unattended: docs/operations.md.
            """
    )

    @OptionGroup var job: JobOptions

    @Option(name: .customLong("max-records"), help: "Stop cleanly at the first checkpoint after this many input items; run again to continue.")
    var maxRecords: Int64?
    @Option(name: .customLong("limit"), help: .hidden) var limit: Int64?
    @Option(name: .customLong("max-duration"), help: ArgumentHelp("Stop cleanly at a checkpoint once this much time has passed (3600, 45m, 6h, 1h30m); run again to continue.", valueName: "duration"))
    var maxDuration: DurationArgument?
    @Option(name: .customLong("stop-grace"), help: "Seconds the batches in flight may take to finish after a stop (SIGTERM, SIGINT, --max-duration) before they are abandoned (kept, not paid twice).")
    var stopGrace: Double = 30
    @Flag(help: "Abandon an unfinished run of this job and model and start over.") var restart = false
    @Option(help: ArgumentHelp("Re-embed, hottest first, the texts `seeder sweep --reseed` queued for this model (an alias) in the job's shards, instead of reading the job's input (a run of its own: JOB-reseed).", valueName: "model"))
    var reseed: String?

    @Option(help: ArgumentHelp("auto (a live line on a terminal, else a logged line every --progress-interval), line, log or off.", valueName: "mode"))
    var progress: RunReporter.Mode = .auto
    @Option(name: .customLong("progress-interval"), help: "Seconds between logged progress lines and metrics updates.")
    var progressInterval: Double = 60
    @Option(name: .customLong("log-format"), help: "text, or json (one JSON object a line on standard error, for log shippers).")
    var logFormat: LogFormat = .text
    @Option(name: .customLong("metrics-file"), help: "Write Prometheus metrics to this file (atomically, for node_exporter's textfile collector) every --progress-interval and at the end.")
    var metricsFile: String?
    @Option(help: "Push Prometheus metrics to this Pushgateway (e.g. http://pushgateway:9091) every --progress-interval and at the end.")
    var pushgateway: String?
    @Option(name: .customLong("summary-json"), help: "Also write the run summary as JSON to this file.") var summaryJSON: String?
    @Flag(name: .customLong("dry-run"), help: "Check the job and flags, print what would run, and exit: no shard, provider or input is touched.")
    var dryRun = false
    @Flag(help: "Print only errors.") var quiet = false

    func validate() throws {
        if maxRecords != nil && limit != nil { throw ValidationError("--limit is the old name of --max-records: pass one of them") }
        if let n = maxRecords ?? limit, n < 1 { throw ValidationError("--max-records must be at least 1") }
        if !(stopGrace >= 0) { throw ValidationError("--stop-grace must be 0 or more seconds") }
        if !(progressInterval >= 1) { throw ValidationError("--progress-interval must be at least 1 second") }
    }

    func run() async throws {
        LogFormat.bootstrap(logFormat, level: quiet ? .error : .notice)
        let logger = Logger(label: "seeder.run")
        // Signals ask the run to stop at a checkpoint; a second one abandons the batches in flight.
        let stop = RunStop()
        let signals = SignalWatcher { signo in
            let second = stop.reason != nil
            logger.notice("\(signo == SIGTERM ? "SIGTERM" : "SIGINT"): \(second ? "abandoning the batches in flight" : "stopping at the next checkpoint (again to stop sooner)")")
            stop.request(.signal(signo))
        }
        defer { withExtendedLifetime(signals) {} }
        var reporter: RunReporter?
        do {
            var config = try job.load()
            if let reseed {
                // The queue is the model's: the run embeds with it, whatever model the job names.
                config.model.name = try ModelCatalog.resolve(reseed, context: "--reseed").alias
                config = JobAssembly.reseeding(config)
            }
            let partition = try job.resolvedPartition()
            if dryRun {
                print(try DryRunPlan(job: config, partition: partition, options: self).text)
                return
            }
            let assembly = try await JobAssembly.assemble(config, partition: partition)
            let summary: RunSummary
            do {
                let pipeline = try assembly.pipeline()
                let label = partition.map { "\(config.name) [\($0)]" } ?? config.name
                let output = RunReporter(mode: quiet ? .off : progress, interval: .milliseconds(Int64(progressInterval * 1000)),
                                         inputSize: assembly.source.inputSize, label: label, logger: logger,
                                         textfile: metricsFile.map(MetricsTextfile.init(path:)),
                                         pushgateway: try pushgateway.map { try Pushgateway(url: $0) })
                reporter = output
                output.start(lastSuccess: try await lastSuccess(assembly, partition: partition))
                let options = RunOptions(maxRecords: maxRecords ?? limit, maxDuration: maxDuration?.duration, stop: stop,
                                         stopGrace: .milliseconds(Int64(stopGrace * 1000)), restart: restart,
                                         onCheckpoint: { output.update($0) })
                summary = try await pipeline.run(options)
                // The run's final state came through onCheckpoint.
                await output.finish(nil, stageSeconds: summary.stageSeconds)
            } catch {
                await reporter?.finish((error as? RunStopped)?.run, stageSeconds: [:])
                try? await assembly.provider.shutdown()
                throw error
            }
            // Close the provider's connections cleanly (async-http-client) before printing the summary.
            try? await assembly.provider.shutdown()
            if reseed != nil && summary.state == RunRecord.State.done.rawValue {
                // Every queued text is now stored with the current version: the queue is emptied of them.
                var cleared = 0
                for shard in assembly.shards {
                    cleared += try await shard.clearReseeded(model: assembly.spec.canonicalID, tenant: config.store.tenant,
                                                             stored: assembly.provider.storedModel)
                }
                logger.notice("re-embedding queue: \(cleared) texts done and removed")
            }
            if let summaryJSON {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(summary).write(to: URL(fileURLWithPath: summaryJSON))
            }
            if !quiet {
                if logFormat == .json {
                    logger.notice("run \(summary.state)", metadata: SummaryFormatter.metadata(summary))
                } else {
                    print(SummaryFormatter.text(summary, job: config))
                }
            }
            if let reason = summary.stopReason, summary.state == RunRecord.State.paused.rawValue {
                throw ExitCode(Self.exitCode(stopReason: reason).rawValue)
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw fail(error)
        }
    }

    /// The exit status of a run stopped early: 3 for a budget, 128 + the signal for a signal, as shells report it.
    static func exitCode(stopReason: String) -> SeederExitCode {
        switch stopReason {
        case StopReason.signal(SIGINT).description: .interrupted
        case StopReason.signal(SIGTERM).description: .terminated
        default: .budgetReached
        }
    }

    /// When an invocation of this job, model, tenant and partition last ended cleanly — its run done, or paused at a
    /// budget or on a signal — for `seeder_last_success_timestamp_seconds`. Read before this invocation resumes the
    /// paused run (which moves its time).
    private func lastSuccess(_ assembly: JobAssembly, partition: Partition?) async throws -> Date? {
        let stored = assembly.provider.storedModel, tenant = assembly.job.store.tenant, part = partition?.description ?? ""
        return try await assembly.runs.runs(job: assembly.job.name)
            .filter { $0.stored == stored && $0.tenant == tenant && $0.partition == part }
            .compactMap { $0.state == .done ? $0.finishedAt : $0.state == .paused ? $0.updatedAt : nil }.max()
    }
}

extension RunReporter.Mode: ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}
