import Foundation
import XCTest

/// The all-MiniLM-L6-v2 weights the local-model tests run against, as `scripts/fetch-model` puts them in the
/// Hugging Face cache (scripts/test and .ci/run call it). A test that needs them fails, loudly, when they are missing.
enum LocalTestModel {
    static func directory(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let env = ProcessInfo.processInfo.environment
        let hub = env["HF_HUB_CACHE"] ?? ((env["HF_HOME"] ?? (NSHomeDirectory() + "/.cache/huggingface")) + "/hub")
        let repo = hub + "/models--sentence-transformers--all-MiniLM-L6-v2"
        guard let revision = try? String(contentsOfFile: repo + "/refs/main", encoding: .utf8) else {
            XCTFail("all-MiniLM-L6-v2 is not in the Hugging Face cache at \(repo): run scripts/fetch-model", file: file, line: line)
            throw XCTSkip("model missing")
        }
        return repo + "/snapshots/" + revision.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The reference outputs of ../shared/fixtures (copied into Fixtures/): text, token ids, embedding.
    struct Reference: Decodable {
        var text: String
        var token_ids: [Int32]
        var embedding: [Float]
    }

    static func references() throws -> [Reference] {
        let url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/all-MiniLM-L6-v2.reference.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Reference.self, from: Data($0.utf8)) }
    }
}
