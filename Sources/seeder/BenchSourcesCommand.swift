import ArgumentParser
import Foundation
import SeederCore

extension BenchCommand {
    struct Sources: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wikipedia pages-articles multistream → normalize → dedup → hash vectors, against `bzip2 -dc` and a Python reader.",
            discussion: """
                Builds a multistream dump of --pages pages (100 a stream, a page-size mix like enwiki's) and its index from the \
                bundled sample, then times, alternating, in one run: `bzip2 -dc FILE > /dev/null`, seeder's source stage \
                (with the index, every core), and scripts/python-pages-reader.py (bz2 + iterparse). See BENCHMARKS.md.
                """)
        @Option(help: "Pages in the generated dump.") var pages = 50_000
        @Option(help: "Work folder (the dump is kept and reused).") var workDir = "/tmp/seeder-bench-sources"
        @Option(help: "The real sample to draw pages from.") var sample = "datasets/wikipedia/enwiki-pages-articles-sample.xml.bz2"
        @Option(help: "The Python baseline.") var pythonReader = "scripts/python-pages-reader.py"
        @Option(help: "Decompress-and-parse threads (default: one per core).") var threads: Int?
        @Option(name: .customLong("repeat"), help: "Rounds (best and median are reported).") var repeats = 3
        @Flag(help: "Skip the Python baseline (it takes about twice as long as bzip2).") var noPython = false

        func run() throws {
            do { try runBench() } catch let e as ExitCode { throw e } catch { throw fail(error) }
        }

        func runBench() throws {
            let fm = FileManager.default
            try fm.createDirectory(atPath: workDir, withIntermediateDirectories: true)
            let dump = "\(workDir)/enwiki-bench\(pages)-pages-articles-multistream.xml.bz2"
            let index = "\(workDir)/enwiki-bench\(pages)-pages-articles-multistream-index.txt.bz2"
            if !fm.fileExists(atPath: dump) || !fm.fileExists(atPath: index) {
                let generator = try MultistreamDumpGenerator(samplePath: sample)
                try generator.write(pages: generator.syntheticPages(count: pages), pagesPerStream: 100, to: dump, indexPath: index)
            }
            let compressedBytes = (try fm.attributesOfItem(atPath: dump)[.size] as? NSNumber)?.int64Value ?? 0
            let cores = ProcessInfo.processInfo.activeProcessorCount
            var bzip2: [Double] = [], seeder: [Double] = [], oneThread: [Double] = [], python: [Double] = []
            var last: SourceBenchmark.Result?
            var pythonCounts: [String: Any] = [:]
            var uncompressed: Int64 = 0
            for _ in 0..<max(1, repeats) {
                let b = try ChildProcess.run(["/bin/sh", "-c", "bzip2 -dc '\(dump)' > /dev/null"])
                guard b.status == 0 else { throw ValidationError("bzip2 -dc failed on \(dump)") }
                bzip2.append(b.wallSeconds)
                let result = try SourceBenchmark.run(WikipediaPagesSource(path: dump, options: .init(threads: threads)))
                seeder.append(result.seconds)
                last = result
                oneThread.append(try SourceBenchmark.run(WikipediaPagesSource(path: dump, options: .init(threads: 1))).seconds)
                if !noPython {
                    let out = "\(workDir)/python.json"
                    let p = try ChildProcess.run(["/bin/sh", "-c", "python3 '\(pythonReader)' '\(dump)' > '\(out)'"])
                    guard p.status == 0 else { throw ValidationError("\(pythonReader) failed on \(dump)") }
                    python.append(p.wallSeconds)
                    pythonCounts = (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out)))) as? [String: Any] ?? [:]
                }
            }
            if uncompressed == 0 {
                let r = try ChildProcess.run(["/bin/sh", "-c", "bzip2 -dc '\(dump)' | wc -c > '\(workDir)/size.txt'"])
                if r.status == 0 { uncompressed = Int64((try? String(contentsOfFile: "\(workDir)/size.txt", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0 }
            }
            func stats(_ xs: [Double]) -> [String: Double] {
                let s = xs.sorted()
                return ["best": round3(s.first ?? .nan), "median": round3(s.isEmpty ? .nan : s[s.count / 2])]
            }
            func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s.isEmpty ? .nan : s[s.count / 2] }
            // Ratios per round (the same machine state for each pair), then their median.
            let ratioBzip2 = zip(seeder, bzip2).map { $0 / $1 }
            let speedupPython = zip(python, seeder).map { $0 / $1 }
            guard let last else { return }
            var report: [String: Any] = [
                "benchmark": "sources", "cores": cores, "threads": threads ?? cores, "rounds": seeder.count,
                "pages": last.items, "records": last.records, "texts": last.texts, "duplicates": last.duplicates,
                "skipped": Dictionary(uniqueKeysWithValues: last.skipped.map { ($0.key.rawValue, $0.value) }),
                "compressed_bytes": compressedBytes, "uncompressed_bytes": uncompressed,
                "average_page_bytes": uncompressed > 0 ? Int(uncompressed / max(1, last.items)) : 0,
                "bzip2_dc_seconds": stats(bzip2),
                "seeder_seconds": stats(seeder),
                "seeder_one_thread_seconds": stats(oneThread),
                "seeder_pages_per_second": ["median": Int(Double(last.items) / median(seeder))],
                "seeder_to_bzip2_dc": ["median": round3(median(ratioBzip2)), "best": round3(ratioBzip2.min() ?? .nan)],
                "targets": ["seeder_to_bzip2_dc": "<= 0.6", "python_to_seeder": ">= 3"],
                "dump": dump,
            ]
            if !python.isEmpty {
                report["python_seconds"] = stats(python)
                report["python_to_seeder"] = ["median": round3(median(speedupPython)), "best": round3(speedupPython.max() ?? .nan)]
                report["python_counts"] = pythonCounts
            }
            let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
