import FakeEmbeddingServer
import Foundation
import SeederCore
import XCTest

/// nomic-v1.5 shortened client-side through servers that return full-size vectors.
final class HTTPProviderMatryoshkaTests: XCTestCase {
    func testNomicThroughOllamaIsShortenedClientSideAndStoredUnderDim() async throws {
        try await runNomicShortened(through: "ollama", path: "/api/embed")
    }

    func testNomicThroughTEIAndOpenAICompatibleServersIsShortenedClientSideToo() async throws {
        try await runNomicShortened(through: "tei", path: "/embed")
        try await runNomicShortened(through: "openai", path: "/v1/embeddings")
    }

    private func runNomicShortened(through kind: String, path embedPath: String) async throws {
        let server = try await startFakeServer(self) { $0.dimensions = 768 }
        let dir = try makeTemporaryDirectory(self)
        // The file names tei; --provider below picks the kind under test.
        let path = try writeHTTPJob(in: dir, kind: "tei", baseURL: server.baseURL, concurrency: nil, shards: 1)
        let run = try SeederBinary.locate().run(["run", path, "--model", "nomic-v1.5", "--dimensions", "256",
                                                 "--provider", kind, "--quiet"])
        XCTAssertEqual(run.status, 0, run.stderr)

        let db = try SQLiteConnection(path: "\(dir)/s0.sqlite", readOnly: true)
        let rows = try db.cachedStatement("""
            SELECT t.text, e.vector, e.model, e.dimensions FROM embeddings e
            JOIN seeder_texts t USING (text_hash, model, model_version, tenant_id)
            """)
        var count = 0
        while try rows.step() {
            let text = rows.string(at: 0) ?? ""
            let vector = rows.blob(at: 1).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            XCTAssertEqual(rows.string(at: 2), "nomic-ai/nomic-embed-text-v1.5|task=search_document|dim=256")
            XCTAssertEqual(rows.int64(at: 3), 256)
            // The server embedded the prefixed text; seeder_texts holds it without the prefix.
            let full = FakeVectors.vector(for: "search_document: " + text, dimensions: 768)
            let expected = MatryoshkaTruncation.truncate(full, to: 256)
            XCTAssertEqual(vector.count, 256)
            for (got, want) in zip(vector, expected) { XCTAssertEqual(got, want, accuracy: 1e-6, text) }
            count += 1
        }
        XCTAssertEqual(count, 177)
        XCTAssertTrue(server.log.records.contains { $0.path == embedPath && $0.status == 200 }, kind)
    }
}
