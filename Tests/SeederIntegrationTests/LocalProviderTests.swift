import Foundation
import SeederCore
import XCTest

/// The local provider through the real binary: what lands in the shards is the MiniLM model's own output, and a
/// model that is missing or can't run stops the run before anything is written, saying why.
final class LocalProviderTests: XCTestCase {
    /// The weights scripts/test fetches; their absence fails the test (the error says how to fetch them).
    private func modelDirectory() throws -> String {
        do {
            return try ModelLocator().locate(id: "sentence-transformers/all-MiniLM-L6-v2", alias: "minilm-l6", explicitPath: nil).directory
        } catch {
            XCTFail("\(error)")
            throw error
        }
    }

    func testTheStoredVectorsAreTheModelsOwn() throws {
        let model = try LocalModel(directory: modelDirectory())
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let shards = (0..<3).map { "\(dir)/s\($0).sqlite" }
        try writeJob(at: dir + "/job.toml", input: Repo.abstractsSample, shards: shards)
        let run = try seeder.run(["run", dir + "/job.toml", "--provider", "local", "--threads", "2", "--quiet", "--summary-json", dir + "/summary.json"])
        XCTAssertEqual(run.status, 0, run.stderr)

        var texts: [String] = [], vectors: [[Float]] = []
        for shard in shards {
            let db = try SQLiteConnection(path: shard, readOnly: true)
            let rows = try db.cachedStatement("""
                SELECT t.text, e.vector, e.model, e.model_version, e.dimensions FROM embeddings e
                JOIN seeder_texts t USING (text_hash, model, model_version, tenant_id) ORDER BY e.text_hash
                """)
            while try rows.step() {
                texts.append(rows.string(at: 0) ?? "")
                let blob = rows.blob(at: 1)
                vectors.append(blob.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) })
                XCTAssertEqual(rows.string(at: 2), "sentence-transformers/all-MiniLM-L6-v2")
                XCTAssertEqual(rows.string(at: 3), "1")
                XCTAssertEqual(rows.int64(at: 4), 384)
            }
        }
        XCTAssertEqual(texts.count, 177)
        let expected = try model.embed(texts).vectors
        for (i, vector) in vectors.enumerated() {
            XCTAssertEqual(vector.count, 384)
            let reference = expected[(i * 384)..<((i + 1) * 384)]
            let cosine = zip(vector, reference).reduce(0) { $0 + $1.0 * $1.1 }
            XCTAssertGreaterThan(cosine, 0.99999, texts[i])
        }

        // The provider reports the tokens the model read: exactly what the tokenizer makes of the texts sent.
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json"))) as? [String: Any]
        let counters = summary?["counters"] as? [String: Any]
        XCTAssertEqual(counters?["tokensSent"] as? Int, texts.reduce(0) { $0 + model.tokenize($1).count }, "\(counters ?? [:])")
        XCTAssertEqual(counters?["tokensEstimated"] as? Int, 0, "nothing estimated")
    }

    func testAMissingModelStopsTheRunBeforeAnythingIsWrittenAndSaysHowToFetchIt() throws {
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        try writeJob(at: dir + "/job.toml", input: Repo.abstractsSample, shards: [dir + "/s0.sqlite"])
        let run = try seeder.run(["run", dir + "/job.toml", "--provider", "local"],
                                 environment: ["HF_HUB_CACHE": dir + "/empty-cache", "SEEDER_MODELS": dir + "/no-models"])
        XCTAssertEqual(run.status, SeederExitCode.providerUnavailable.rawValue, run.stderr)
        XCTAssertTrue(run.stderr.contains("sentence-transformers/all-MiniLM-L6-v2 is not on this machine"), run.stderr)
        XCTAssertTrue(run.stderr.contains("scripts/fetch-model"), run.stderr)
        XCTAssertTrue(run.stderr.contains(dir + "/empty-cache/models--sentence-transformers--all-MiniLM-L6-v2"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/s0.sqlite"), "nothing written")
    }

    func testAModelOfAnotherArchitectureIsNamedWithWhatIsSupported() throws {
        let seeder = try SeederBinary.locate()
        let dir = try makeTemporaryDirectory(self)
        let source = try modelDirectory()
        let other = dir + "/nomic"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        for file in ["tokenizer.json", "vocab.txt", "model.safetensors"] {
            try FileManager.default.createSymbolicLink(atPath: other + "/" + file, withDestinationPath: source + "/" + file)
        }
        try #"{"architectures":["NomicBertModel"],"model_type":"nomic_bert","n_embd":384,"n_layer":6,"n_head":12,"vocab_size":30528}"#
            .write(toFile: other + "/config.json", atomically: true, encoding: .utf8)
        try writeJob(at: dir + "/job.toml", input: Repo.abstractsSample, shards: [dir + "/s0.sqlite"])
        let run = try seeder.run(["run", dir + "/job.toml", "--provider", "local", "--model-path", other])
        XCTAssertEqual(run.status, SeederExitCode.configuration.rawValue, run.stderr)
        XCTAssertTrue(run.stderr.contains("nomic_bert"), run.stderr)
        XCTAssertTrue(run.stderr.lowercased().contains("bert"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/s0.sqlite"), "nothing written")
    }
}
