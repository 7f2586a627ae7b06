import ArgumentParser
import Foundation
import SeederCore

extension BenchCommand {
    /// `seeder bench encoder`: the native encoder against the machine's own sgemm rate, then `seeder run` end to end.
    struct Encoder: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The local model: encoder tokens/s against the FLOP-bound limit from this machine's sgemm rate, and texts/s through `seeder run`.",
            discussion: """
                Texts are Wikipedia-abstract-like: a dump generated from the bundled sample (as `bench generate` makes it), \
                normalized and tokenized as a run does, cut into the local provider's batches. sgemm and the encoder are \
                timed alternately, round after round, so a noisy machine slows both alike. See BENCHMARKS.md.
                """)
        @Option(help: "Documents in the generated dump (the end-to-end run reads them all).") var docs = 3_000
        @Option(help: "Encoder rounds (medians are reported).") var rounds = 5
        @Option(name: .customLong("model-path"), help: "The model directory (default: found as the local provider finds it).") var modelPath: String?
        @Option(help: "Compute threads (default: one per core).") var threads: Int?
        @Option(help: "Work folder (the generated dump is kept and reused).") var workDir = "/tmp/seeder-bench"
        @Option(help: "The real sample to generate the dump from.") var sample = "datasets/wikipedia/enwiki-abstract-sample.xml"
        @Flag(name: .customLong("skip-run"), help: "Measure the encoder only, not `seeder run`.") var skipRun = false

        func run() throws {
            do {
                try runBench()
            } catch let e as ExitCode { throw e } catch { throw fail(error) }
        }

        func runBench() throws {
            guard let spec = ModelCatalog.lookup("minilm-l6") else { throw ValidationError("minilm-l6 is not in the catalog") }
            let located = try ModelLocator().locate(id: spec.canonicalID, alias: spec.alias, explicitPath: modelPath)
            let model = try LocalModel(directory: located.directory, threads: threads)
            try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
            let input = "\(workDir)/abstracts-\(docs).xml.gz"
            if !FileManager.default.fileExists(atPath: input) {
                try AbstractsDumpGenerator(samplePath: sample, repeatFraction: 0.10).write(count: docs, to: input)
            }

            // The texts a run would embed: normalized, long enough, each once.
            var texts: [String] = [], seen = Set<String>()
            try WikipediaAbstractsSource(path: input).read(resumeAfter: SourceCheckpoint(items: 0), chunkSize: 4096) { chunk in
                for record in chunk.records {
                    let text = TextNormalizer.normalize(record.body)
                    if text.unicodeScalars.count >= 20, seen.insert(text).inserted { texts.append(text) }
                }
            }
            let tokenizeStart = DispatchTime.now().uptimeNanoseconds
            let sequences = texts.map(model.tokenize)
            let tokenizeSeconds = Double(DispatchTime.now().uptimeNanoseconds - tokenizeStart) / 1e9
            let batchSize = 256
            let batches = stride(from: 0, to: sequences.count, by: batchSize).map { Array(sequences[$0..<min($0 + batchSize, sequences.count)]) }
            let figures = try EncoderBenchmark.run(encoder: model.encoder, batches: batches, rounds: rounds)

            var report: [String: Any] = [
                "benchmark": "encoder", "model": spec.canonicalID, "model_directory": located.directory,
                "cores": ProcessInfo.processInfo.activeProcessorCount, "texts": texts.count, "batch_size": batchSize,
                "tokenizer_mb_per_second": round3(Double(texts.reduce(0) { $0 + $1.utf8.count }) / 1_048_576 / tokenizeSeconds),
                "encoder": try JSONSerialization.jsonObject(with: JSONEncoder().encode(figures)),
                "targets": ["ratio": ">= 0.60"],
            ]
            if !skipRun {
                report["seeder_run"] = try endToEnd(input: input, encoderTextsPerSecond: figures.sequencesPerSecond)
            }
            let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }

        /// `seeder run` over the same dump with the local provider, as a child process: texts embedded per second of
        /// wall time, against the encoder's own rate measured just before.
        private func endToEnd(input: String, encoderTextsPerSecond: Double) throws -> [String: Any] {
            let shardDir = "\(workDir)/encoder-shards"
            try? FileManager.default.removeItem(atPath: shardDir)
            try FileManager.default.createDirectory(atPath: shardDir, withIntermediateDirectories: true)
            let jobPath = "\(workDir)/bench-encoder.toml"
            let shardList = (0..<4).map { "\"\(shardDir)/shard-\($0).sqlite\"" }.joined(separator: ", ")
            try """
                description = "local-model benchmark over \(docs) documents"
                [source]
                kind = "wikipedia-abstracts"
                input = "\(input)"
                [model]
                name = "minilm-l6"
                \(modelPath.map { "path = \"\($0)\"" } ?? "")
                [provider]
                kind = "local"
                \(threads.map { "threads = \($0)" } ?? "")
                [store]
                shards = [\(shardList)]
                """.write(toFile: jobPath, atomically: true, encoding: .utf8)
            let summaryPath = "\(workDir)/summary-encoder.json"
            let r = try ChildProcess.run([try selfPath(), "run", jobPath, "--quiet", "--summary-json", summaryPath])
            guard r.status == 0 else { throw ValidationError("seeder run exited \(r.status) on \(input)") }
            let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summaryPath))) as? [String: Any] ?? [:]
            let counters = summary["counters"] as? [String: Any] ?? [:]
            let embedded = (counters["embedded"] as? NSNumber)?.doubleValue ?? 0
            let tokens = (counters["tokensSent"] as? NSNumber)?.doubleValue ?? 0
            return [
                "wall_seconds": round3(r.wallSeconds), "texts_embedded": Int(embedded), "tokens": Int(tokens),
                "texts_per_second": round3(embedded / r.wallSeconds), "tokens_per_second": Int(tokens / r.wallSeconds),
                "ratio_to_encoder_alone": round3(embedded / r.wallSeconds / encoderTextsPerSecond),
                "peak_rss_mb": round3(Double(r.maxRSSBytes) / 1_048_576),
                "stage_seconds": (summary["stageSeconds"] as? [String: Double] ?? [:]).mapValues(round3),
            ]
        }
    }
}
