import ArgumentParser
import Foundation
import SeederCore

extension BenchCommand {
    /// `seeder bench wire`: decoding embedding responses, seeder's reader against Foundation's JSONDecoder.
    struct Wire: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decoding embedding responses: ms per response and ns per number, JSONByteReader against JSONDecoder.",
            discussion: """
                Builds realistic bodies (openai with JSON numbers and with base64, ollama, tei; unknown keys as the \
                servers send them) of --batch vectors for each of --dimensions, checks that both decoders agree, then \
                times them alternately, round after round, so a noisy machine slows both alike. Medians are reported. \
                See BENCHMARKS.md.
                """)
        @Option(help: "Vectors per response.") var batch = 64
        @Option(help: "Comma-separated vector sizes.") var dimensions = "384,768"
        @Option(help: "Rounds (medians are reported).") var rounds = 9
        @Option(help: "Decodes of each body per round with the reader (JSONDecoder does a tenth as many, at least 1).") var iterations = 50
        @Option(help: "Seed of the vectors.") var seed: UInt64 = 42

        func run() throws {
            do {
                try runBench()
            } catch let e as ExitCode { throw e } catch { throw fail(error) }
        }

        func runBench() throws {
            var cases: [[String: Any]] = []
            var generator = SplitMix64(seed: seed)
            for size in dimensions.split(separator: ",").compactMap({ Int($0) }) {
                let vectors = (0..<batch).map { _ in Self.unitVector(size, &generator) }
                for (name, kind, body) in Self.bodies(vectors) {
                    let format = EmbeddingWireFormat(kind: kind, model: "m")
                    let fast = try format.decode(body), reference = try format.decodeWithFoundation(body)
                    guard fast == reference else { throw ValidationError("\(name) \(size): the decoders disagree") }
                    let slowIterations = max(1, iterations / 10)
                    var fastTimes: [Double] = [], slowTimes: [Double] = []
                    for _ in 0..<max(1, rounds) {
                        fastTimes.append(try Self.secondsPerDecode(iterations) { try format.decode(body) })
                        slowTimes.append(try Self.secondsPerDecode(slowIterations) { try format.decodeWithFoundation(body) })
                    }
                    let numbers = Double(batch * size)
                    let fastMedian = median(fastTimes), slowMedian = median(slowTimes)
                    cases.append([
                        "body": name, "dimensions": size, "vectors": batch, "body_bytes": body.count,
                        "json_byte_reader": ["ms_per_response": round3(fastMedian * 1e3), "ns_per_number": round3(fastMedian * 1e9 / numbers)],
                        "json_decoder": ["ms_per_response": round3(slowMedian * 1e3), "ns_per_number": round3(slowMedian * 1e9 / numbers)],
                        "speedup": round3(slowMedian / fastMedian),
                    ])
                }
            }
            let report: [String: Any] = [
                "benchmark": "wire", "cores": ProcessInfo.processInfo.activeProcessorCount, "rounds": rounds,
                "iterations_per_round": ["json_byte_reader": iterations, "json_decoder": max(1, iterations / 10)],
                "cases": cases,
            ]
            let data = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }

        /// The bodies the servers send for `vectors`, with the keys each adds. Numbers are written as each server
        /// writes them: openai-python's servers print ~10 significant digits; Ollama (Go) and TEI (Rust serde) print
        /// the shortest text that reads back as the same float32.
        static func bodies(_ vectors: [[Float]]) -> [(String, EmbeddingServerKind, Data)] {
            let tokens = vectors.count * 61
            func list(_ vector: [Float], _ text: (Float) -> String) -> String { "[" + vector.map(text).joined(separator: ",") + "]" }
            let openAINumber: (Float) -> String = { String(format: "%.10g", Double($0)) }
            let shortest: (Float) -> String = { "\($0)" }
            let openAIFloat = #"{"object":"list","data":["# + vectors.enumerated().map { i, v in
                #"{"object":"embedding","index":\#(i),"embedding":\#(list(v, openAINumber))}"#
            }.joined(separator: ",") + #"],"model":"text-embedding-3-small","usage":{"prompt_tokens":\#(tokens),"total_tokens":\#(tokens)}}"#
            let openAIBase64 = #"{"object":"list","data":["# + vectors.enumerated().map { i, v in
                var bytes = Data()
                for value in v { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
                return #"{"object":"embedding","index":\#(i),"embedding":"\#(bytes.base64EncodedString())"}"#
            }.joined(separator: ",") + #"],"model":"text-embedding-3-small","usage":{"prompt_tokens":\#(tokens),"total_tokens":\#(tokens)}}"#
            let ollama = #"{"model":"nomic-embed-text","embeddings":["# + vectors.map { list($0, shortest) }.joined(separator: ",")
                + #"],"total_duration":14143917,"load_duration":1019500,"prompt_eval_count":\#(tokens)}"#
            let tei = "[" + vectors.map { list($0, shortest) }.joined(separator: ",") + "]"
            return [("openai_float", .openai, Data(openAIFloat.utf8)), ("openai_base64", .openai, Data(openAIBase64.utf8)),
                    ("ollama", .ollama, Data(ollama.utf8)), ("tei", .tei, Data(tei.utf8))]
        }

        /// A random unit vector, as embedding models produce (components around ±1/√n).
        static func unitVector(_ size: Int, _ generator: inout SplitMix64) -> [Float] {
            let raw = (0..<size).map { _ in Float(Double(generator.next() >> 11) / Double(1 << 53) * 2 - 1) }
            let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return raw.map { $0 / norm }
        }

        static func secondsPerDecode(_ count: Int, _ decode: () throws -> WireEmbeddings) throws -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            var dimensions = 0
            for _ in 0..<count { dimensions &+= try decode().vectors.count }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            precondition(dimensions > 0)
            return seconds / Double(count)
        }

        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    }
}
