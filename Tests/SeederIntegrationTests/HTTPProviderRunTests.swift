import FakeEmbeddingServer
import Foundation
import SeederCore
import XCTest

/// `seeder run` through the HTTP providers against the fake server on loopback: every stored vector is the server's
/// for its text, each text is paid for once, and faults the server throws end in the same complete shards.
final class HTTPProviderRunTests: XCTestCase {
    private func startServer(_ configure: (inout FakeServerConfiguration) -> Void = { _ in }) async throws -> FakeEmbeddingServer {
        try await startFakeServer(self, configure)
    }

    private func job(at dir: String, kind: String, baseURL: String, concurrency: Int = 4, extra: String = "") throws -> String {
        try writeHTTPJob(in: dir, kind: kind, baseURL: baseURL, concurrency: concurrency, extra: extra)
    }

    /// Every row's vector is the fake server's for the stored text; returns the texts.
    private func assertShardsHoldTheServersVectors(_ dir: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        var texts: [String] = []
        for shard in ["\(dir)/s0.sqlite", "\(dir)/s1.sqlite"] {
            let db = try SQLiteConnection(path: shard, readOnly: true)
            let rows = try db.cachedStatement("""
                SELECT t.text, e.vector FROM embeddings e JOIN seeder_texts t USING (text_hash, model, model_version, tenant_id)
                """)
            while try rows.step() {
                let text = rows.string(at: 0) ?? ""
                let vector = rows.blob(at: 1).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                XCTAssertEqual(vector, FakeVectors.vector(for: text, dimensions: 384), text, file: file, line: line)
                texts.append(text)
            }
        }
        return texts
    }

    func testEachProtocolStoresTheServersVectorsAndPaysForEachTextOnce() async throws {
        // openai twice: base64 (the default) and JSON numbers.
        for (kind, extra) in [("openai", ""), ("openai", "encoding_format = \"float\""), ("ollama", ""), ("tei", "")] {
            let server = try await startServer()
            let dir = try makeTemporaryDirectory(self)
            let run = try SeederBinary.locate().run(["run", try job(at: dir, kind: kind, baseURL: server.baseURL, extra: extra), "--quiet"])
            XCTAssertEqual(run.status, 0, "\(kind): \(run.stderr)")
            let texts = try assertShardsHoldTheServersVectors(dir)
            XCTAssertEqual(texts.count, 177, kind)
            XCTAssertEqual(Set(server.log.itemsReceived.values), [1], "\(kind): each text sent once")
            XCTAssertEqual(server.log.itemsReceived.count, 177, kind)
        }
    }

    func testRandomFailuresDroppedConnectionsAnd429sEndInTheSameCompleteShards() async throws {
        let server = try await startServer { config in
            config.seed = 7
            config.faults.serverError = .probability(0.2)
            config.faults.drop = .probability(0.1)
            config.faults.rateLimit = .next(3)
            config.faults.retryAfter = .milliseconds(200)
            config.faults.corruption = .probability(0.1)
            config.faults.corruptionKind = .malformedJSON
        }
        let dir = try makeTemporaryDirectory(self)
        let run = try SeederBinary.locate().run(["run", try job(at: dir, kind: "openai", baseURL: server.baseURL), "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try assertShardsHoldTheServersVectors(dir).count, 177)
        XCTAssertGreaterThan(server.log.failures, 0, "faults were served")
    }

    func testBatchesOverTheServersLimitAreSplitAndATextRefusedAloneIsRecorded() async throws {
        let server = try await startServer { $0.faults.maxItems = 5 }
        let dir = try makeTemporaryDirectory(self)
        let run = try SeederBinary.locate().run(["run", try job(at: dir, kind: "tei", baseURL: server.baseURL), "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try assertShardsHoldTheServersVectors(dir).count, 177)
        XCTAssertLessThanOrEqual(server.log.records.filter { $0.status == 200 }.map(\.items).max() ?? 0, 5)
    }

    func testNothingListeningStopsTheRunWithTheProvidersExitCodeAndSaysWhatToStart() async throws {
        let dir = try makeTemporaryDirectory(self)
        // The default give_up_after_seconds (300): a server that never answered is reported at once.
        let path = try job(at: dir, kind: "ollama", baseURL: "http://127.0.0.1:9")
        let started = Date()
        let run = try SeederBinary.locate().run(["run", path])
        XCTAssertLessThan(Date().timeIntervalSince(started), 60)
        XCTAssertEqual(run.status, SeederExitCode.providerUnavailable.rawValue, run.stderr)
        XCTAssertTrue(run.stderr.contains("nothing listens on 127.0.0.1:9"), run.stderr)
        XCTAssertTrue(run.stderr.contains("ollama serve"), run.stderr)
    }

    func testCorruptAnswersAreRetriedAndNeverStored() async throws {
        let kinds: [Faults.Corruption] = [.wrongDimensions, .nan, .infinity, .zeroVector, .missingVector, .extraVector, .malformedJSON]
        for (n, corruption) in kinds.enumerated() {
            let server = try await startServer { config in
                config.seed = UInt64(n + 1)
                // The first two answers spoiled, whichever requests they answer: retried, never stored (random
                // corruption could spoil more answers in a row than the retry budget, by chance).
                config.faults.corruption = .next(2)
                config.faults.corruptionKind = corruption
            }
            let dir = try makeTemporaryDirectory(self)
            let run = try SeederBinary.locate().run(["run", try job(at: dir, kind: "openai", baseURL: server.baseURL, extra: "encoding_format = \"base64\""), "--quiet"])
            XCTAssertEqual(run.status, 0, "\(corruption): \(run.stderr)")
            XCTAssertEqual(try assertShardsHoldTheServersVectors(dir).count, 177, "\(corruption)")
            XCTAssertEqual(server.log.corrupted, 2, "\(corruption) was served twice")
        }
    }

    func testRetryAfterIsWaitedOut() async throws {
        let server = try await startServer { config in
            config.faults.rateLimit = .next(1)
            config.faults.retryAfter = .seconds(1)
        }
        let dir = try makeTemporaryDirectory(self)
        let run = try SeederBinary.locate().run(["run", try job(at: dir, kind: "openai", baseURL: server.baseURL, concurrency: 1), "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let records = server.log.records.filter(\.isEmbedding)
        let limited = try XCTUnwrap(records.firstIndex { $0.status == 429 })
        let next = try XCTUnwrap(records.indices.first { $0 > limited })
        XCTAssertGreaterThanOrEqual(records[next].arrival - records[limited].arrival, 0.95, "the next request waited for Retry-After")
    }

    func testTextsOverTheServersTokenLimitAloneAreRecordedAndTheRestStored() async throws {
        let server = try await startServer { $0.faults.maxTokens = 40 }
        let dir = try makeTemporaryDirectory(self)
        let run = try SeederBinary.locate().run(["run", try job(at: dir, kind: "openai", baseURL: server.baseURL), "--quiet", "--summary-json", dir + "/summary.json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let stored = try assertShardsHoldTheServersVectors(dir)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json"))) as? [String: Any]
        let counters = summary?["counters"] as? [String: Any] ?? [:]
        let refused = (counters["skipped"] as? [String: Any])?["provider_refused"] as? Int ?? 0
        XCTAssertGreaterThan(refused, 0, "some abstracts are over 40 tokens alone")
        XCTAssertEqual(stored.count + refused, 177, "every text stored or accounted for")
        XCTAssertTrue(stored.allSatisfy { FakeVectors.tokens(for: $0) <= 40 })
        let db = try SQLiteConnection(path: dir + "/s0.sqlite", readOnly: true)
        let failures = try db.cachedStatement("SELECT count(*), min(detail) FROM seeder_failures WHERE reason = 'provider_refused'")
        XCTAssertTrue(try failures.step())
        XCTAssertEqual(Int(failures.int64(at: 0)), refused)
        XCTAssertFalse((failures.string(at: 1) ?? "").isEmpty, "the server's message is recorded")
    }

    func testTheAPIKeyComesFromTheEnvironmentAndNeverShows() async throws {
        let secret = "sk-test-\(UUID().uuidString)"
        let server = try await startServer { $0.faults.expectedAPIKey = secret }
        let dir = try makeTemporaryDirectory(self)
        let path = try job(at: dir, kind: "openai", baseURL: server.baseURL, extra: "api_key_env = \"SEEDER_TEST_API_KEY\"")
        let good = try SeederBinary.locate().run(["run", path], environment: ["SEEDER_TEST_API_KEY": secret])
        XCTAssertEqual(good.status, 0, good.stderr)
        XCTAssertFalse(good.stdout.contains(secret) || good.stderr.contains(secret))
        let status = try SeederBinary.locate().run(["status", path, "--json"])
        XCTAssertFalse(status.stdout.contains(secret))

        let wrongDir = try makeTemporaryDirectory(self)
        let wrong = try SeederBinary.locate().run(["run", try job(at: wrongDir, kind: "openai", baseURL: server.baseURL, extra: "api_key_env = \"SEEDER_TEST_API_KEY\"")],
                                                  environment: ["SEEDER_TEST_API_KEY": secret + "-wrong"])
        XCTAssertEqual(wrong.status, SeederExitCode.providerUnavailable.rawValue, wrong.stderr)
        XCTAssertFalse(wrong.stderr.contains(secret), wrong.stderr)
        let unset = try SeederBinary.locate().run(["run", path], environment: ["SEEDER_TEST_API_KEY": ""])
        XCTAssertEqual(unset.status, SeederExitCode.configuration.rawValue, unset.stderr)
        XCTAssertTrue(unset.stderr.contains("SEEDER_TEST_API_KEY"), unset.stderr)
    }

    func testFlagsSetTheServerItsKeyAndThePriceWithoutTouchingTheJobFile() async throws {
        let secret = "sk-flag-\(UUID().uuidString)"
        let server = try await startServer { $0.faults.expectedAPIKey = secret }
        let dir = try makeTemporaryDirectory(self)
        // The file points at a port nothing listens on; the flags put the run on the fake server.
        let path = try job(at: dir, kind: "openai", baseURL: "http://127.0.0.1:9")
        let keyFile = dir + "/key"
        try (secret + "\n").write(toFile: keyFile, atomically: true, encoding: .utf8)
        let summary = dir + "/summary.json"
        let result = try SeederBinary.locate().run(["run", path, "--base-url", server.baseURL, "--api-key-file", keyFile,
                                                   "--concurrency", "2", "--price", "0.02", "--summary-json", summary])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(result.stdout.contains(secret) || result.stderr.contains(secret))
        XCTAssertEqual(try assertShardsHoldTheServersVectors(dir).count, 177)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as? [String: Any]
        let tokens = try XCTUnwrap((json?["counters"] as? [String: Any])?["tokensSent"] as? Int)
        XCTAssertEqual(try XCTUnwrap(json?["cost"] as? Double), Double(tokens) * 0.02 / 1_000_000, accuracy: 1e-12)
        XCTAssertLessThanOrEqual(server.log.peakConcurrency, 2)
        // The price given on the command line is the run's: status prices its tokens with it.
        let status = try SeederBinary.locate().run(["status", path, "--json"])
        let runs = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        let cost = try XCTUnwrap(runs.first?["cost"] as? [String: Any])
        XCTAssertEqual(cost["price_per_million_tokens"] as? Double, 0.02)
        XCTAssertEqual(try XCTUnwrap(cost["spent"] as? Double), Double(tokens) * 0.02 / 1_000_000, accuracy: 1e-12)

        let bad = try SeederBinary.locate().run(["run", path, "--base-url", "localhost:11434"])
        XCTAssertEqual(bad.status, SeederExitCode.configuration.rawValue, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("--base-url"), bad.stderr)
    }

    func testAProviderThatStaysDownStopsTheRunAtItsCheckpointAndAResumeFinishesIt() async throws {
        let server = try await startServer { $0.faults.latencyMs = 20 }
        let dir = try makeTemporaryDirectory(self)
        let path = try job(at: dir, kind: "openai", baseURL: server.baseURL, concurrency: 1, extra: "give_up_after_seconds = 1")
        let seeder = try SeederBinary.locate()
        let errors = dir + "/stderr.txt"
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        let process = seeder.start(["run", path], stderr: FileHandle(forWritingAtPath: errors))
        try process.run()
        // Let part of the input through (progress, not time: the machine's speed varies), then take the server down.
        let deadline = Date().addingTimeInterval(60)
        while server.log.records.filter({ $0.status == 200 }).count < 4 && Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
        server.updateFaults { $0.serverError = .always }
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        XCTAssertFalse(process.isRunning)
        let message = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
        XCTAssertEqual(process.terminationStatus, SeederExitCode.providerUnavailable.rawValue, message)
        let before = try assertShardsHoldTheServersVectors(dir)
        XCTAssertLessThan(before.count, 177, "stopped part-way")

        server.updateFaults { $0.serverError = .never }
        let resumed = try seeder.run(["run", path, "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try assertShardsHoldTheServersVectors(dir).count, 177)
        // What the stopped chunk had embedded was written past the checkpoint and found by the resume: nothing the
        // server answered is paid for twice.
        XCTAssertEqual(server.log.itemsServed.values.max(), 1)
        XCTAssertEqual(server.log.itemsServed.count, 177)
    }
}
