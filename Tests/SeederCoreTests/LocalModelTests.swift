import COpenBLAS
import Foundation
import XCTest
@testable import SeederCore

/// Finding a model offline, reading its sentence-transformers settings, and the whole text → vector path against
/// the reference outputs and a semantic check.
final class LocalModelTests: XCTestCase {
    private func makeModelDirectory(_ path: String, files: [String: String] = [:]) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try "{}".write(toFile: path + "/config.json", atomically: true, encoding: .utf8)
        for (name, text) in files {
            let file = path + "/" + name
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: file, atomically: true, encoding: .utf8)
        }
    }

    // MARK: - Locating

    func testTheHuggingFaceCacheIsFoundThroughRefsMainUnderHFHubCacheOrHFHome() throws {
        let root = try temporaryDirectory(self)
        let repo = root + "/hub/models--org--tiny"
        try makeModelDirectory(repo + "/snapshots/abc123")
        try makeModelDirectory(repo + "/snapshots/old999")
        try FileManager.default.createDirectory(atPath: repo + "/refs", withIntermediateDirectories: true)
        try "abc123\n".write(toFile: repo + "/refs/main", atomically: true, encoding: .utf8)

        for environment in [["HF_HUB_CACHE": root + "/hub"], ["HF_HOME": root]] {
            let found = try ModelLocator(environment: environment, homeDirectory: "/nonexistent").locate(id: "org/tiny", alias: "tiny", explicitPath: nil)
            XCTAssertEqual(found.directory, repo + "/snapshots/abc123")
            XCTAssertEqual(found.revision, "abc123")
            XCTAssertEqual(found.foundBy, "Hugging Face cache")
        }
        let home = try ModelLocator(environment: [:], homeDirectory: root + "/home").huggingFaceHubCache
        XCTAssertEqual(home, root + "/home/.cache/huggingface/hub")
    }

    func testAPathWinsThenSEEDER_MODELSThenTheCache() throws {
        let root = try temporaryDirectory(self)
        try makeModelDirectory(root + "/explicit")
        try makeModelDirectory(root + "/models/org/tiny")
        try makeModelDirectory(root + "/hub/models--org--tiny/snapshots/only")
        let locator = ModelLocator(environment: ["SEEDER_MODELS": root + "/models", "HF_HUB_CACHE": root + "/hub"], homeDirectory: "/nonexistent")
        XCTAssertEqual(try locator.locate(id: "org/tiny", alias: "tiny", explicitPath: root + "/explicit").foundBy, "model.path")
        XCTAssertEqual(try locator.locate(id: "org/tiny", alias: "tiny", explicitPath: nil).directory, root + "/models/org/tiny")
        try FileManager.default.removeItem(atPath: root + "/models/org/tiny")
        try makeModelDirectory(root + "/models/tiny")
        XCTAssertEqual(try locator.locate(id: "org/tiny", alias: "t", explicitPath: nil).directory, root + "/models/tiny", "by name alone")
        try FileManager.default.removeItem(atPath: root + "/models/tiny")
        let cached = try locator.locate(id: "org/tiny", alias: "tiny", explicitPath: nil)
        XCTAssertEqual(cached.directory, root + "/hub/models--org--tiny/snapshots/only", "a single snapshot needs no refs/main")
    }

    func testAMissingModelSaysWhereSeederLookedAndHowToFetchIt() throws {
        let root = try temporaryDirectory(self)
        let locator = ModelLocator(environment: ["HF_HUB_CACHE": root], homeDirectory: "/nonexistent")
        XCTAssertThrowsError(try locator.locate(id: "sentence-transformers/all-MiniLM-L6-v2", alias: "minilm-l6", explicitPath: nil)) { error in
            let e = error as? LocalModelError
            XCTAssertEqual(e?.kind, .notFound)
            XCTAssertTrue(e?.path.contains(root + "/models--sentence-transformers--all-MiniLM-L6-v2") ?? false, "\(error)")
            XCTAssertTrue(e?.hint?.contains("scripts/fetch-model") ?? false, "\(error)")
            XCTAssertEqual(SeederExitCode.forError(error), .providerUnavailable)
        }
        XCTAssertThrowsError(try locator.locate(id: "org/x", alias: "x", explicitPath: root + "/nothing")) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .notFound)
            XCTAssertTrue("\(error)".contains(root + "/nothing"), "\(error)")
        }
    }

    func testABrokenCacheEntryIsNamedNotGuessedAround() throws {
        let root = try temporaryDirectory(self)
        let repo = root + "/models--org--tiny"
        try makeModelDirectory(repo + "/snapshots/a")
        try makeModelDirectory(repo + "/snapshots/b")
        let locator = ModelLocator(environment: ["HF_HUB_CACHE": root], homeDirectory: "/nonexistent")
        XCTAssertThrowsError(try locator.locate(id: "org/tiny", alias: "tiny", explicitPath: nil)) { error in
            XCTAssertTrue("\(error)".contains("2 snapshots"), "\(error)")
        }
        try FileManager.default.createDirectory(atPath: repo + "/refs", withIntermediateDirectories: true)
        try "gone".write(toFile: repo + "/refs/main", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try locator.locate(id: "org/tiny", alias: "tiny", explicitPath: nil)) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .missingFile)
            XCTAssertTrue("\(error)".contains("snapshots/gone"), "\(error)")
        }
    }

    // MARK: - sentence-transformers settings

    func testSentenceTransformersSettingsAreRead() throws {
        let real = try SentenceTransformerConfig.load(directory: LocalTestModel.directory())
        XCTAssertEqual(real, SentenceTransformerConfig(pooling: .mean, maxSequenceLength: 256, lowercaseInput: false))

        let dir = try temporaryDirectory(self)
        try makeModelDirectory(dir, files: [
            "modules.json": #"[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]"#,
            "1_Pooling/config.json": #"{"word_embedding_dimension":384,"pooling_mode_cls_token":true,"pooling_mode_mean_tokens":false}"#,
            "sentence_bert_config.json": #"{"max_seq_length":512,"do_lower_case":true}"#,
        ])
        XCTAssertEqual(try SentenceTransformerConfig.load(directory: dir), SentenceTransformerConfig(pooling: .cls, maxSequenceLength: 512, lowercaseInput: true))

        let bare = try temporaryDirectory(self)
        try makeModelDirectory(bare)
        XCTAssertEqual(try SentenceTransformerConfig.load(directory: bare), SentenceTransformerConfig(), "a plain BERT directory: mean pooling")
    }

    func testUnsupportedPoolingOrModulesAreNamed() throws {
        let dir = try temporaryDirectory(self)
        try makeModelDirectory(dir, files: [
            "modules.json": #"[{"path":"","type":"sentence_transformers.models.Transformer"},{"path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]"#,
            "1_Pooling/config.json": #"{"pooling_mode_max_tokens":true}"#,
        ])
        XCTAssertThrowsError(try SentenceTransformerConfig.load(directory: dir)) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .unsupported)
            XCTAssertTrue("\(error)".contains("max_tokens"), "\(error)")
        }
        try #"[{"path":"","type":"sentence_transformers.models.Transformer"},{"path":"2_Dense","type":"sentence_transformers.models.Dense"}]"#
            .write(toFile: dir + "/modules.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SentenceTransformerConfig.load(directory: dir)) { error in
            XCTAssertTrue("\(error)".contains("Dense"), "\(error)")
            XCTAssertEqual(SeederExitCode.forError(error), .configuration)
        }
        try "[{".write(toFile: dir + "/modules.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SentenceTransformerConfig.load(directory: dir)) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .malformed)
            XCTAssertTrue("\(error)".contains("modules.json"), "\(error)")
        }
    }

    // MARK: - Text to vector

    func testTextsBecomeTheReferenceTokensAndVectors() throws {
        let model = try LocalModel(directory: LocalTestModel.directory())
        let references = try LocalTestModel.references()
        XCTAssertEqual(references.count, 28)
        let (vectors, tokens) = try model.embed(references.map(\.text))
        XCTAssertEqual(tokens, references.reduce(0) { $0 + $1.token_ids.count })
        var worst: Float = 1
        for (i, reference) in references.enumerated() {
            XCTAssertEqual(model.tokenize(reference.text), reference.token_ids, reference.text)
            let vector = Array(vectors[(i * 384)..<((i + 1) * 384)])
            let cosine = zip(vector, reference.embedding).reduce(0) { $0 + $1.0 * $1.1 }
                / (vector.reduce(0) { $0 + $1 * $1 }.squareRoot() * reference.embedding.reduce(0) { $0 + $1 * $1 }.squareRoot())
            worst = min(worst, cosine)
            XCTAssertGreaterThanOrEqual(cosine, 0.9999, reference.text)
            XCTAssertEqual(vector.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-4, "L2-normalized")
        }
        print("local model: worst cosine against the reference \(worst)")
    }

    /// Among 1,000 Wikipedia paragraphs (scripts/dev/make-semantic-sample), each one's first sentence must find that
    /// paragraph as its nearest neighbour by cosine in at least 90% of cases.
    func testAFirstSentenceFindsItsOwnParagraph() throws {
        struct Item: Decodable { var text: String; var first_sentence: String }
        let url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/wikipedia-paragraphs-1000.jsonl")
        let items = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode(Item.self, from: Data($0.utf8)) }
        XCTAssertEqual(items.count, 1_000)
        let model = try LocalModel(directory: LocalTestModel.directory())
        let documents = try stride(from: 0, to: items.count, by: 250).flatMap {
            try model.embed(items[$0..<min($0 + 250, items.count)].map(\.text)).vectors
        }
        let queries = try model.embed(items.map(\.first_sentence)).vectors
        // Every query against every paragraph in one product: scores[q][doc] = queries[q] · documents[doc].
        let n = items.count
        var scores = [Float](repeating: 0, count: n * n)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), 384, 1, queries, 384, documents, 384, 0, &scores, Int32(n))
        var hits = 0
        for q in 0..<n {
            let row = scores[(q * n)..<((q + 1) * n)]
            if row.indices.max(by: { row[$0] < row[$1] }) == q * n + q { hits += 1 }
        }
        let rate = Double(hits) / Double(items.count)
        print("local model: a first sentence finds its own paragraph in \(hits) of \(items.count) cases")
        XCTAssertGreaterThanOrEqual(rate, 0.90)
    }
}
