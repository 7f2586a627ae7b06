import Foundation
import SeederCore
import XCTest

/// The all-MiniLM-L6-v2 weights the local-model tests run against, as `scripts/fetch-model` puts them in the
/// Hugging Face cache (scripts/test and .ci/run call it). A test that needs them fails, loudly, when they are missing.
enum LocalTestModel {
    static func directory(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        do {
            return try ModelLocator().locate(id: "sentence-transformers/all-MiniLM-L6-v2", alias: "minilm-l6", explicitPath: nil).directory
        } catch {
            XCTFail("\(error)", file: file, line: line)
            throw error
        }
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
