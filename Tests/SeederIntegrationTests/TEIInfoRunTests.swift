import FakeEmbeddingServer
import Foundation
import SeederCore
import XCTest

/// A TEI run reads `/info` once at startup: its limits size the batches, its model is recorded with the run.
final class TEIInfoRunTests: XCTestCase {
    private func job(at dir: String, baseURL: String, extra: String = "") throws -> String {
        try writeHTTPJob(in: dir, kind: "tei", baseURL: baseURL, extra: extra)
    }

    func testInfoLimitsSizeTheBatchesAndTheServedModelIsRecordedWithTheRun() async throws {
        let server = try await startFakeServer(self) { config in
            config.modelName = "sentence-transformers/all-MiniLM-L6-v2"
            config.modelSHA = "8b3219a92973c328a8e22fadcfa821b5dc75636a"
            config.faults.maxItems = 5
        }
        let dir = try makeTemporaryDirectory(self)
        let path = try job(at: dir, baseURL: server.baseURL)
        let seeder = try SeederBinary.locate()
        let run = try seeder.run(["run", path, "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)

        let records = server.log.records
        XCTAssertEqual(records.filter { $0.path == "/info" }.count, 1, "read once")
        let embeds = records.filter(\.isEmbedding)
        XCTAssertEqual(embeds.map(\.items).reduce(0, +), 177, "each text sent once")
        XCTAssertTrue(embeds.allSatisfy { $0.status == 200 }, "no batch over /info's max_client_batch_size: \(embeds.map(\.status))")
        XCTAssertLessThanOrEqual(embeds.map(\.items).max() ?? 0, 5)

        let status = try seeder.run(["status", path, "--json"])
        XCTAssertEqual(status.status, 0, status.stderr)
        let runs = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
        let served = try XCTUnwrap(runs.first?["provider_model"] as? [String: Any], status.stdout)
        XCTAssertEqual(served["model_id"] as? String, "sentence-transformers/all-MiniLM-L6-v2")
        XCTAssertEqual(served["model_sha"] as? String, "8b3219a92973c328a8e22fadcfa821b5dc75636a")
    }

    func testATEIServerThatDoesNotAnswerInfoAtStartupStopsTheRunWithExit69() async throws {
        let dir = try makeTemporaryDirectory(self)
        let run = try SeederBinary.locate().run(["run", try job(at: dir, baseURL: "http://127.0.0.1:9")])
        XCTAssertEqual(run.status, SeederExitCode.providerUnavailable.rawValue, run.stderr)
        XCTAssertTrue(run.stderr.contains("nothing listens on 127.0.0.1:9"), run.stderr)
    }
}
