import ArgumentParser
import Foundation
import SeederCore

extension BenchCommand {
    /// `seeder bench providers`: `seeder run` through the openai HTTP provider against the fake embedding server.
    struct Providers: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "HTTP providers: texts/s through `seeder run` against a fake server with a fixed latency, and RPM/TPM pacing as the server measures it.",
            discussion: """
                Starts `fake-embedding-server` (found next to this binary, or --server) as a child process, generates an \
                abstracts dump, and runs `seeder run` as a child with the openai provider. Throughput phase: texts \
                embedded per second of wall time against concurrency × batch / latency, and against the requests the \
                server actually saw (requests × latency / concurrency). Pacing phase: the job sets provider.rpm and \
                provider.tpm, the server does not enforce them, and its log gives the peak requests and tokens in any \
                60 s and any 1 s window. See BENCHMARKS.md.
                """)
        @Option(help: "Documents in the throughput phase's dump.") var docs = 300_000
        @Option(name: .customLong("latency-ms"), help: "The server's fixed latency per request.") var latencyMs = 50
        @Option(help: "Texts per request (batch.max_items).") var batch = 64
        @Option(help: "Requests in flight (provider.concurrency).") var concurrency = 8
        @Option(name: .customLong("chunk-records"), help: "Records per pipeline chunk (batch.chunk_records).") var chunkRecords = 8_192
        @Option(name: .customLong("repeat"), help: "Runs of the throughput phase (best and median are reported).") var repeats = 3
        @Option(name: .customLong("rate-docs"), help: "Documents in the pacing phase's dump (0 skips the phase).") var rateDocs = 30_000
        @Option(help: "provider.rpm of the pacing phase.") var rpm = 120
        @Option(help: "provider.tpm of the pacing phase.") var tpm = 400_000
        @Option(name: .customLong("encoding-format"), help: "provider.encoding_format: float (JSON numbers) or base64 (the provider's default is base64).") var encodingFormat = "base64"
        @Option(help: "The fake-embedding-server executable (default: next to this binary).") var server: String?
        @Option(help: "Work folder (generated dumps are kept and reused).") var workDir = "/tmp/seeder-bench"
        @Option(help: "The real sample to generate inputs from.") var sample = "datasets/wikipedia/enwiki-abstract-sample.xml"

        func run() throws {
            do {
                try runBench()
            } catch let e as ExitCode { throw e } catch { throw fail(error) }
        }

        func runBench() throws {
            try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
            let me = try selfPath()
            let serverPath = server ?? (URL(fileURLWithPath: me).deletingLastPathComponent().path + "/fake-embedding-server")
            guard FileManager.default.isExecutableFile(atPath: serverPath) else {
                throw ValidationError("no fake-embedding-server at \(serverPath): build it (swift build -c release) or pass --server PATH")
            }
            let ideal = Double(concurrency * batch) / (Double(latencyMs) / 1000)
            var runs: [[String: Any]] = []
            for attempt in 0..<max(1, repeats) {
                runs.append(try phase(name: "throughput-\(attempt)", serverPath: serverPath, docs: docs, limits: nil))
            }
            func tps(_ r: [String: Any]) -> Double { (r["texts_per_second"] as? Double) ?? 0 }
            let ordered = runs.sorted { tps($0) > tps($1) }
            let best = ordered[0], median = ordered[ordered.count / 2]
            var report: [String: Any] = [
                "benchmark": "providers", "protocol": "openai", "encoding_format": encodingFormat, "latency_ms": latencyMs, "batch": batch,
                "concurrency": concurrency, "chunk_records": chunkRecords, "cores": ProcessInfo.processInfo.activeProcessorCount,
                "ideal_texts_per_second": round3(ideal),
                "throughput": [
                    "docs": docs, "runs": runs,
                    "texts_per_second": ["best": round3(tps(best)), "median": round3(tps(median))],
                    "ratio_to_ideal": ["best": round3(tps(best) / ideal), "median": round3(tps(median) / ideal)],
                ] as [String: Any],
                "targets": ["ratio_to_ideal": ">= 0.90", "pacing.never_exceeded": "true"],
            ]
            // The same number of requests, bare, for the machine's own limit.
            if let requests = best["requests"] as? Int {
                report["baseline_bare_requests"] = try baseline(serverPath: serverPath, requests: requests)
            }
            if rateDocs > 0 {
                report["pacing"] = try phase(name: "pacing", serverPath: serverPath, docs: rateDocs, limits: (rpm, tpm))
            }
            let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }

        /// One `seeder run` against a fresh fake server; `limits` (rpm, tpm) go into the job, never into the server.
        private func phase(name: String, serverPath: String, docs: Int, limits: (rpm: Int, tpm: Int)?) throws -> [String: Any] {
            let fm = FileManager.default
            let input = "\(workDir)/abstracts-\(docs).xml.gz"
            if !fm.fileExists(atPath: input) {
                try AbstractsDumpGenerator(samplePath: sample, repeatFraction: 0.10).write(count: docs, to: input)
            }
            let logPath = "\(workDir)/providers-\(name)-server.json"
            let (fake, port) = try startServer(serverPath, logPath: logPath)
            defer { if fake.isRunning { fake.terminate(); fake.waitUntilExit() } }

            let shardDir = "\(workDir)/providers-shards-\(name)"
            try? fm.removeItem(atPath: shardDir)
            try fm.createDirectory(atPath: shardDir, withIntermediateDirectories: true)
            let shardList = (0..<4).map { "\"\(shardDir)/shard-\($0).sqlite\"" }.joined(separator: ", ")
            let jobPath = "\(workDir)/bench-providers-\(name).toml"
            try """
                description = "HTTP provider benchmark (\(name)) over \(docs) documents"
                [source]
                kind = "wikipedia-abstracts"
                input = "\(input)"
                [model]
                name = "minilm-l6"
                [provider]
                kind = "openai"
                base_url = "http://127.0.0.1:\(port)"
                concurrency = \(concurrency)
                encoding_format = "\(encodingFormat)"
                \(limits.map { "rpm = \($0.rpm)\ntpm = \($0.tpm)" } ?? "")
                [store]
                shards = [\(shardList)]
                durability = "normal"
                [batch]
                max_items = \(batch)
                chunk_records = \(chunkRecords)
                """.write(toFile: jobPath, atomically: true, encoding: .utf8)
            let summaryPath = "\(workDir)/summary-providers-\(name).json"
            let r = try ChildProcess.run([try selfPath(), "run", jobPath, "--quiet", "--summary-json", summaryPath])
            let serverCPU = Self.cpuSeconds(pid: fake.processIdentifier)
            fake.terminate()
            fake.waitUntilExit()
            guard r.status == 0 else { throw ValidationError("seeder run exited \(r.status) (\(name)); job \(jobPath)") }
            let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summaryPath))) as? [String: Any] ?? [:]
            let log = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: logPath))) as? [String: Any] ?? [:]
            let counters = summary["counters"] as? [String: Any] ?? [:]
            func n(_ d: [String: Any], _ k: String) -> Double { (d[k] as? NSNumber)?.doubleValue ?? 0 }
            let embedded = n(counters, "embedded")
            let records = log["records"] as? [[String: Any]] ?? []
            let served = records.filter { ($0["path"] as? String ?? "").hasSuffix("/embeddings") && n($0, "status") == 200 }
            let arrivals = served.map { n($0, "arrival") }
            let serverSpan = (arrivals.max() ?? 0) - (arrivals.min() ?? 0) + Double(latencyMs) / 1000
            let requests = Double(served.count)
            // The wall time the requests made would take at exactly `concurrency` in flight, back to back.
            let idealSeconds = requests * Double(latencyMs) / 1000 / Double(concurrency)
            var result: [String: Any] = [
                "wall_seconds": round3(r.wallSeconds), "texts_embedded": Int(embedded), "records": Int(n(counters, "records")),
                "texts_per_second": round3(embedded / r.wallSeconds),
                "requests": Int(requests), "items_per_request": round3(n(log, "items") / max(1, requests)),
                "ideal_seconds_for_these_requests": round3(idealSeconds),
                "ratio_to_ideal_for_these_requests": round3(idealSeconds / r.wallSeconds),
                "server_busy_span_seconds": round3(serverSpan),
                "ratio_in_server_span": round3(idealSeconds / max(serverSpan, 1e-9)),
                "server_tokens": Int(n(log, "tokens")), "server_failures": Int(n(log, "failures")),
                "peak_rss_mb": round3(Double(r.maxRSSBytes) / 1_048_576),
                "cpu_seconds": ["seeder_user": round3(r.userSeconds), "seeder_system": round3(r.systemSeconds),
                                "server_user_and_system": round3(serverCPU)],
                "stage_seconds": (summary["stageSeconds"] as? [String: Double] ?? [:]).mapValues(round3),
            ]
            if let limits {
                let rpmMinute = Int(n(log, "peakRequestsPerMinute")), tpmMinute = Int(n(log, "peakTokensPerMinute"))
                let rpsScaled = Int(n(log, "peakRequestsPerSecond")) * 60, tpsScaled = Int(n(log, "peakTokensPerSecond")) * 60
                result["limits"] = ["rpm": limits.rpm, "tpm": limits.tpm]
                result["peak_in_any_60s"] = ["requests": rpmMinute, "tokens": tpmMinute]
                result["peak_in_any_1s_times_60"] = ["requests": rpsScaled, "tokens": tpsScaled]
                result["never_exceeded"] = rpmMinute <= limits.rpm && tpmMinute <= limits.tpm
                result["never_exceeded_pro_rata_per_second"] = rpsScaled <= limits.rpm && tpsScaled <= limits.tpm
                result["seeder_tokens_sent"] = Int(n(counters, "tokensSent"))
            }
            return result
        }

        /// Starts the fake server (openai, 384 dims, the latency); returns it and its port.
        private func startServer(_ serverPath: String, logPath: String) throws -> (Process, Int) {
            try? FileManager.default.removeItem(atPath: logPath)
            let fake = Process()
            fake.executableURL = URL(fileURLWithPath: serverPath)
            fake.arguments = ["--protocol", "openai", "--latency-ms", "\(latencyMs)", "--dimensions", "384", "--log", logPath]
            let out = Pipe()
            fake.standardOutput = out
            try fake.run()
            // The first line is {"port":N}.
            var line = Data()
            while !line.contains(UInt8(ascii: "\n")) {
                let more = out.fileHandleForReading.availableData
                guard !more.isEmpty else { throw ValidationError("fake-embedding-server exited before printing its port") }
                line.append(more)
            }
            guard let head = try JSONSerialization.jsonObject(with: line.split(separator: UInt8(ascii: "\n"))[0]) as? [String: Any],
                  let port = (head["port"] as? NSNumber)?.intValue else {
                fake.terminate()
                throw ValidationError("fake-embedding-server printed \(String(decoding: line, as: UTF8.self))")
            }
            return (fake, port)
        }

        /// The limit on this machine: `concurrency` loops of bare requests (the same 64-text request, built once,
        /// answers not decoded) against the same fake server, with nothing else running. Texts/s and its ratio to
        /// concurrency × batch / latency.
        private func baseline(serverPath: String, requests: Int) throws -> [String: Any] {
            let (fake, port) = try startServer(serverPath, logPath: "\(workDir)/providers-baseline-server.json")
            defer { if fake.isRunning { fake.terminate(); fake.waitUntilExit() } }
            // Texts of the dump's typical length (about 300 bytes), distinct so the server hashes each.
            let texts = (0..<batch).map { "Baseline text \($0): " + String(repeating: "a plain sentence of an abstract, ", count: 9) }
            let request = try EmbeddingWireFormat(kind: .openai, model: "bench", encoding: .base64).request(texts)
            let transport = AsyncHTTPClientTransport(baseURL: "http://127.0.0.1:\(port)", concurrency: concurrency, connectTimeout: .seconds(10))
            let result = LockedBox<Result<Double, Error>?>(nil)
            let done = DispatchSemaphore(value: 0)
            let workers = concurrency, total = requests
            Task {
                let next = LockedBox(0)
                let start = ContinuousClock.now
                do {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0..<workers {
                            group.addTask {
                                while next.update({ $0 += 1; return $0 }) <= total {
                                    let response = try await transport.send(request, timeout: .seconds(60))
                                    guard response.status == 200 else { throw ValidationError("baseline request answered \(response.status)") }
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                    let wall = (ContinuousClock.now - start)
                    result.update { $0 = .success(Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18) }
                } catch {
                    result.update { $0 = .failure(error) }
                }
                try? await transport.shutdown()
                done.signal()
            }
            done.wait()
            let wall = try result.update { $0 }!.get()
            let ideal = Double(concurrency * batch) / (Double(latencyMs) / 1000)
            let tps = Double(requests * batch) / wall
            return ["requests": requests, "wall_seconds": round3(wall), "texts_per_second": round3(tps), "ratio_to_ideal": round3(tps / ideal)]
        }

        /// utime + stime of a running process, from /proc (0 where /proc is missing).
        static func cpuSeconds(pid: Int32) -> Double {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return 0 }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 13, let u = Double(fields[11]), let s = Double(fields[12]) else { return 0 }
            return (u + s) / Double(sysconf(Int32(_SC_CLK_TCK)))
        }
    }
}

/// A value behind a lock, shared by the baseline's tasks.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func update<T>(_ body: (inout Value) throws -> T) rethrows -> T { try lock.withLock { try body(&value) } }
}
