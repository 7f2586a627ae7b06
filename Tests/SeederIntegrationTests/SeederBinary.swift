import FakeEmbeddingServer
import Foundation
import XCTest

/// Runs the built `seeder` executable, as a user would.
struct SeederBinary {
    let path: String

    /// The executable next to the test bundle (SwiftPM builds it: this target depends on it), or $SEEDER_BIN.
    static func locate() throws -> SeederBinary {
        if let path = ProcessInfo.processInfo.environment["SEEDER_BIN"] { return SeederBinary(path: path) }
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("seeder").path,
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("seeder").path,
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("seeder").path,
        ]
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            return SeederBinary(path: candidate)
        }
        XCTFail("the seeder executable was not found next to the tests (\(candidates)); build it or set SEEDER_BIN")
        throw CocoaError(.fileNoSuchFile)
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs to completion; standard output and error are collected through files (no pipe to drain).
    func run(_ arguments: [String], environment: [String: String] = [:], cwd: String? = nil) throws -> Output {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("seeder-out-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let process = start(arguments, environment: environment, cwd: cwd,
                            stdout: FileHandle(forWritingAtPath: base + ".out"), stderr: FileHandle(forWritingAtPath: base + ".err"))
        try process.run()
        process.waitUntilExit()
        return Output(status: process.terminationStatus,
                      stdout: (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
    }

    /// A configured, not yet started process; output goes to the given handles (default: discarded).
    func start(_ arguments: [String], environment: [String: String] = [:], cwd: String? = nil,
               stdout: FileHandle? = nil, stderr: FileHandle? = nil) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        process.standardOutput = stdout ?? FileHandle.nullDevice
        process.standardError = stderr ?? FileHandle.nullDevice
        return process
    }
}

extension SeederBinary {
    /// `seeder shards digest JOB` (over `shards` when given): one "name<TAB>rows<TAB>sha256" a shard, the DSN left
    /// out, so that two sets of shards of one job compare equal when they hold the same rows and vector bytes.
    func digests(_ job: String, shards: [String]? = nil) throws -> [String] {
        let out = try run(["shards", "digest", job] + (shards.map { ["--shards", $0.joined(separator: ",")] } ?? []))
        XCTAssertEqual(out.status, 0, out.stderr)
        return out.stdout.split(separator: "\n").map { $0.split(separator: "\t").prefix(3).joined(separator: "\t") }
    }
}

/// Polls `condition` until it holds; fails the test after `timeout` seconds.
func waitUntil(_ what: String, timeout: TimeInterval = 60, _ condition: () throws -> Bool) rethrows {
    let deadline = Date().addingTimeInterval(timeout)
    while try !condition() {
        guard Date() < deadline else { return XCTFail("timed out waiting for \(what)") }
        usleep(10_000)
    }
}

/// Paths of the repository, from this file's location.
enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var abstractsSample: String { root.appendingPathComponent("datasets/wikipedia/enwiki-abstract-sample.xml").path }
}

/// A fresh temporary folder, removed at the end of the test.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("seeder-it-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// Writes a job file reading `input` into `shards`, with the hash provider.
func writeJob(at path: String, input: String, shards: [String], extra: String = "", chunkRecords: Int = 100, minChars: Int = 20) throws {
    let list = shards.map { "\"\($0)\"" }.joined(separator: ", ")
    try """
        description = "integration test job"
        [source]
        kind = "wikipedia-abstracts"
        input = "\(input)"
        min_chars = \(minChars)
        [model]
        name = "minilm-l6"
        [provider]
        kind = "hash"
        [store]
        shards = [\(list)]
        durability = "normal"
        [batch]
        max_items = 64
        chunk_records = \(chunkRecords)
        \(extra)
        """.write(toFile: path, atomically: true, encoding: .utf8)
}

/// Writes `dir/job.toml`: the abstracts sample through an HTTP provider (`kind` at `baseURL`) into `shards` shards
/// under `dir`, batches of 16, chunks of 100 records. Returns its path.
func writeHTTPJob(in dir: String, kind: String, baseURL: String, concurrency: Int? = 4, shards: Int = 2, extra: String = "") throws -> String {
    let path = dir + "/job.toml"
    let list = (0..<shards).map { "\"\(dir)/s\($0).sqlite\"" }.joined(separator: ", ")
    try """
        [source]
        kind = "wikipedia-abstracts"
        input = "\(Repo.abstractsSample)"
        [model]
        name = "minilm-l6"
        [provider]
        kind = "\(kind)"
        base_url = "\(baseURL)"
        \(concurrency.map { "concurrency = \($0)" } ?? "")
        \(extra)
        [store]
        shards = [\(list)]
        durability = "normal"
        [batch]
        max_items = 16
        chunk_records = 100
        """.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// A fake embedding server on loopback for the rest of `test`, configured by `configure`.
func startFakeServer(_ test: XCTestCase, _ configure: (inout FakeServerConfiguration) -> Void = { _ in }) async throws -> FakeEmbeddingServer {
    var config = FakeServerConfiguration()
    config.dimensions = 384
    configure(&config)
    let server = FakeEmbeddingServer(config)
    try await server.start()
    test.addTeardownBlock { try? await server.shutdown() }
    return server
}

/// Lines in a file so far (0 when it doesn't exist yet): how far a run's provider journal has got.
func lineCount(_ path: String) -> Int {
    guard let data = FileManager.default.contents(atPath: path) else { return 0 }
    return data.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
}
