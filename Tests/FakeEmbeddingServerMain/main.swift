import FakeEmbeddingServer
import Foundation

// fake-embedding-server: the test suite's fake embedding service as a process, for benchmarks run from the CLI.
// Prints {"port": N} on stdout once bound; on SIGTERM or SIGINT writes the request log summary to --log and exits.

let usage = """
    usage: fake-embedding-server [--port N] [--protocol openai|ollama|tei|all] [--latency-ms N] [--jitter-ms N]
                                 [--dimensions N] [--rpm N] [--tpm N] [--burst-window-ms N] [--max-items N] [--max-tokens N]
                                 [--fail-rate P] [--seed N] [--api-key KEY] [--log PATH]
    """

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("fake-embedding-server: \(message)\n\(usage)\n".utf8))
    exit(64)
}

var config = FakeServerConfiguration()
var logPath: String?
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard let value = arguments.popFirst() else { fail("\(flag) needs a value") }
    func int() -> Int {
        guard let n = Int(value), n >= 0 else { fail("\(flag) takes a whole number, not \(value)") }
        return n
    }
    switch flag {
    case "--port": config.port = int()
    case "--protocol":
        if value == "all" { config.apis = Set(FakeServerConfiguration.API.allCases); continue }
        guard let api = FakeServerConfiguration.API(rawValue: value) else { fail("unknown protocol \(value)") }
        config.apis = [api]
    case "--latency-ms": config.faults.latencyMs = int()
    case "--jitter-ms": config.faults.jitterMs = int()
    case "--dimensions": config.dimensions = int()
    case "--rpm": config.faults.rpm = int()
    case "--tpm": config.faults.tpm = int()
    case "--burst-window-ms": config.faults.rateBurstWindow = Double(int()) / 1000
    case "--max-items": config.faults.maxItems = int()
    case "--max-tokens": config.faults.maxTokens = int()
    case "--fail-rate":
        guard let p = Double(value), (0...1).contains(p) else { fail("--fail-rate takes a probability, not \(value)") }
        config.faults.serverError = .probability(p)
    case "--seed": config.seed = UInt64(int())
    case "--api-key": config.faults.expectedAPIKey = value
    case "--log": logPath = value
    default: fail("unknown flag \(flag)")
    }
}

let server = FakeEmbeddingServer(config)
do {
    try await server.start()
} catch {
    fail("cannot bind \(config.host):\(config.port): \(error)")
}
FileHandle.standardOutput.write(Data("{\"port\":\(server.port)}\n".utf8))

// Signals arrive on dispatch sources rather than a C handler, so the summary is written from ordinary code.
let (stop, stopContinuation) = AsyncStream.makeStream(of: Int32.self)
let signalSources = [SIGTERM, SIGINT].map { signo -> any DispatchSourceSignal in
    signal(signo, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: signo, queue: .main)
    source.setEventHandler { stopContinuation.yield(signo) }
    source.resume()
    return source
}
for await _ in stop { break }

let log = server.log
try? await server.shutdown()
if let logPath {
    let summary = LogSummary(log)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    do {
        try encoder.encode(summary).write(to: URL(fileURLWithPath: logPath))
    } catch {
        FileHandle.standardError.write(Data("fake-embedding-server: cannot write \(logPath): \(error)\n".utf8))
        exit(1)
    }
}
exit(0)
