import Foundation
import XCTest

@testable import SeederCore

/// seeder's WordPieceTokenizer must give exactly the ids of Hugging Face's tokenizer for all-MiniLM-L6-v2.
final class WordPieceTokenizerTests: XCTestCase {
    private struct Vector: Decodable {
        var text: String
        var ids: [Int32]
    }

    /// Texts and their HF ids, made by scripts/dev/make-tokenizer-vectors.
    private func vectors() throws -> [Vector] {
        let url = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/minilm-tokenizer-vectors.jsonl")
        let data = try Data(contentsOf: url)
        // Split on the newline byte: a text may hold U+2028 or U+0085, which Foundation would call line ends.
        return try data.split(separator: UInt8(ascii: "\n")).map {
            try JSONDecoder().decode(Vector.self, from: Data($0))
        }
    }

    private func assertMatches(
        _ tokenizer: WordPieceTokenizer, _ vectors: [Vector], file: StaticString = #filePath, line: UInt = #line
    ) {
        var failures = 0
        for vector in vectors {
            let ids = tokenizer.encode(vector.text, maxLength: 256)
            if ids != vector.ids {
                failures += 1
                if failures <= 5 {
                    let scalars = vector.text.unicodeScalars.prefix(40).map { String($0.value, radix: 16) }
                    let text = "\(vector.text.debugDescription.prefix(200)) [\(scalars.joined(separator: " "))]"
                    XCTFail("\(text)\n  HF:     \(vector.ids)\n  seeder: \(ids)", file: file, line: line)
                }
            }
        }
        XCTAssertEqual(
            failures, 0, "\(failures) of \(vectors.count) texts tokenized differently", file: file, line: line)
    }

    func testReferenceFixtureTokenIds() throws {
        let tokenizer = try WordPieceTokenizer.load(directory: LocalTestModel.directory())
        let references = try LocalTestModel.references()
        XCTAssertEqual(references.count, 28)
        for reference in references {
            XCTAssertEqual(tokenizer.encode(reference.text, maxLength: 256), reference.token_ids, reference.text)
        }
    }

    func testMatchesHuggingFaceOnTheVectorFile() throws {
        let tokenizer = try WordPieceTokenizer.load(directory: LocalTestModel.directory())
        let vectors = try vectors()
        XCTAssertGreaterThan(vectors.count, 1_500)
        assertMatches(tokenizer, vectors)
    }

    func testVocabTxtAloneGivesTheSameIds() throws {
        let model = try LocalTestModel.directory()
        let directory = try temporaryDirectory(self)
        for name in ["vocab.txt", "tokenizer_config.json"] {
            try FileManager.default.copyItem(atPath: model + "/" + name, toPath: directory + "/" + name)
        }
        let fromVocab = try WordPieceTokenizer.load(directory: directory)
        let fromJSON = try WordPieceTokenizer.load(directory: model)
        XCTAssertEqual(fromVocab.vocabularySize, fromJSON.vocabularySize)
        XCTAssertEqual(fromVocab.vocabularySize, 30_522)
        assertMatches(fromVocab, try vectors())

        // Without tokenizer_config.json the BERT defaults apply, which are this model's.
        try FileManager.default.removeItem(atPath: directory + "/tokenizer_config.json")
        assertMatches(try WordPieceTokenizer.load(directory: directory), Array(try vectors().prefix(300)))
    }

    func testTruncationKeepsSeparatorAndNeverPads() throws {
        let tokenizer = try WordPieceTokenizer.load(directory: LocalTestModel.directory())
        XCTAssertEqual(tokenizer.encode("", maxLength: 256), [101, 102])
        XCTAssertEqual(tokenizer.encode("hello world", maxLength: 256), [101, 7592, 2088, 102])
        XCTAssertEqual(tokenizer.encode("hello world", maxLength: 3), [101, 7592, 102])
        XCTAssertEqual(tokenizer.encode("hello world", maxLength: 2), [101, 102])
        XCTAssertEqual(tokenizer.encode("hello world", maxLength: 0), [101, 102])
        let long = tokenizer.encode(String(repeating: "hello ", count: 1_000), maxLength: 128)
        XCTAssertEqual(long.count, 128)
        XCTAssertEqual(long.last, 102)
    }

    func testLongTextsGiveThePiecesOfTheirParts() throws {
        // A long text is read in chunks; its pieces must be those of its parts encoded one by one.
        let tokenizer = try WordPieceTokenizer.load(directory: LocalTestModel.directory())
        let parts = (0..<1_500).map { "naïve café \($0) 中文\u{301} [SEP] x\u{200B}y " }
        let whole = tokenizer.encode(parts.joined(), maxLength: .max)
        let pieces = parts.flatMap { tokenizer.encode($0, maxLength: .max).dropFirst().dropLast() }
        XCTAssertEqual(whole, [101] + pieces + [102])
        XCTAssertEqual(tokenizer.encode(parts.joined(), maxLength: 1_000), Array(whole.prefix(999)) + [102])
    }

    func testVocabularyInitializer() throws {
        let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "a", "##ि", "ह", ",", "##a"]
        let tokenizer = try WordPieceTokenizer(vocabulary: vocabulary, options: .init())
        XCTAssertEqual(tokenizer.vocabularySize, vocabulary.count)
        XCTAssertEqual(tokenizer.encode("Unaffable, a", maxLength: 64), [2, 4, 5, 6, 10, 7, 3])
        XCTAssertEqual(tokenizer.encode("unaffablex", maxLength: 64), [2, 1, 3], "no piece for the end: one [UNK]")
        XCTAssertEqual(tokenizer.encode("हि", maxLength: 64), [2, 9, 8, 3], "a prefix that joins the next scalar")
        XCTAssertEqual(tokenizer.encode("x[SEP]a", maxLength: 64), [2, 1, 3, 7, 3])
        var options = WordPieceTokenizer.Options()
        options.maxInputCharsPerWord = 3
        XCTAssertEqual(
            try WordPieceTokenizer(vocabulary: vocabulary, options: options).encode("aaa aaaa", maxLength: 64),
            [2, 7, 11, 11, 1, 3])
        options.unknownToken = "<unk>"
        XCTAssertThrowsError(try WordPieceTokenizer(vocabulary: vocabulary, options: options)) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .malformed)
            XCTAssertTrue("\(error)".contains("<unk>"), "\(error)")
        }
    }

    func testNormalizedAddedTokensMatchAfterLowercasing() throws {
        var json = try tokenizerJSON()
        var added = json["added_tokens"] as? [[String: Any]] ?? []
        added.append([
            "id": 30_522, "content": "Hello World", "single_word": false, "lstrip": false, "rstrip": false,
            "normalized": true, "special": false,
        ])
        added.append([
            "id": 30_523, "content": "zz", "single_word": true, "lstrip": false, "rstrip": false,
            "normalized": false, "special": false,
        ])
        json["added_tokens"] = added
        let tokenizer = try WordPieceTokenizer.load(directory: write(json))
        XCTAssertEqual(tokenizer.vocabularySize, 30_524)
        // The ids HF gives with the same two tokens added (tokenizers 0.23.3).
        let expected: [(String, [Int32])] = [
            ("say HELLO WORLD!", [101, 2360, 30_522, 999, 102]),  // matched once lowercased
            ("hello world", [101, 30_522, 102]),
            ("Héllo  World", [101, 7592, 2088, 102]),  // two spaces: no match
            ("zz", [101, 30_523, 102]),
            ("a zz.", [101, 1037, 30_523, 1012, 102]),
            ("zz-zz", [101, 30_523, 1011, 30_523, 102]),
            ("azz", [101, 17207, 2480, 102]),  // single_word: a word character before it
            ("zzé", [101, 1062, 4371, 102]),
            ("zz_", [101, 1062, 2480, 1035, 102]),  // "_" is a word character to a regex
            ("x zz\u{301}", [101, 1060, 1062, 2480, 102]),  // so is a combining mark
            ("ZZ", [101, 1062, 2480, 102]),  // not normalized: case matters
        ]
        for (text, ids) in expected { XCTAssertEqual(tokenizer.encode(text, maxLength: 64), ids, text) }
    }

    func testVocabularyKeepsCanonicallyEquivalentTokensApart() throws {
        var json = try tokenizerJSON()
        var normalizer = try XCTUnwrap(json["normalizer"] as? [String: Any])
        normalizer["strip_accents"] = false
        normalizer["lowercase"] = false
        json["normalizer"] = normalizer
        var model = try XCTUnwrap(json["model"] as? [String: Any])
        var vocab = try XCTUnwrap(model["vocab"] as? [String: Any])
        vocab["caf\u{E9}"] = 30_522
        model["vocab"] = vocab
        json["model"] = model
        // JSONSerialization would merge the two spellings as well, so the second goes in as text.
        let directory = try write(json)
        let path = directory + "/tokenizer.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let patched = text.replacingOccurrences(of: "\"[PAD]\":0", with: "\"[PAD]\":0,\"cafe\\u0301\":30523")
        XCTAssertNotEqual(patched, text)
        try patched.write(toFile: path, atomically: true, encoding: .utf8)
        let tokenizer = try WordPieceTokenizer.load(directory: directory)
        // HF: 30522 for the precomposed spelling, 30523 for the decomposed one, [UNK] for "Café" (no lowercasing).
        XCTAssertEqual(tokenizer.encode("caf\u{E9}", maxLength: 8), [101, 30_522, 102])
        XCTAssertEqual(tokenizer.encode("cafe\u{301}", maxLength: 8), [101, 30_523, 102])
        XCTAssertEqual(tokenizer.encode("Caf\u{E9}", maxLength: 8), [101, 100, 102])
        XCTAssertEqual(tokenizer.vocabularySize, 30_524)
    }

    // MARK: - Errors

    func testMissingDirectory() {
        XCTAssertThrowsError(try WordPieceTokenizer.load(directory: "/nonexistent/model")) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .notFound)
            XCTAssertEqual((error as? LocalModelError)?.path, "/nonexistent/model")
        }
    }

    func testMissingVocabulary() throws {
        let directory = try temporaryDirectory(self)
        XCTAssertThrowsError(try WordPieceTokenizer.load(directory: directory)) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .missingFile)
            XCTAssertEqual((error as? LocalModelError)?.path, directory + "/vocab.txt")
        }
    }

    func testMalformedTokenizerJSON() throws {
        let directory = try temporaryDirectory(self)
        try Data("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0".utf8).write(
            to: URL(fileURLWithPath: directory + "/tokenizer.json"))
        XCTAssertThrowsError(try WordPieceTokenizer.load(directory: directory)) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .malformed)
            XCTAssertEqual((error as? LocalModelError)?.path, directory + "/tokenizer.json")
        }
        var json = try tokenizerJSON()
        json["model"] = ["type": "WordPiece", "vocab": ["a": "zero"]]
        XCTAssertThrowsError(try WordPieceTokenizer.load(directory: write(json))) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .malformed, "\(error)")
        }
    }

    func testOtherTokenizersAreUnsupported() throws {
        var bpe = try tokenizerJSON()
        bpe["model"] = ["type": "BPE", "vocab": ["a": 0], "merges": [String]()]
        XCTAssertThrowsError(try WordPieceTokenizer.load(directory: write(bpe))) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .unsupported)
            XCTAssertTrue("\(error)".contains("BPE") && "\(error)".contains("WordPiece"), "\(error)")
        }
        var nfkc = try tokenizerJSON()
        nfkc["normalizer"] = ["type": "NFKC"]
        XCTAssertThrowsError(try WordPieceTokenizer.load(directory: write(nfkc))) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .unsupported)
            XCTAssertTrue("\(error)".contains("NFKC") && "\(error)".contains("BertNormalizer"), "\(error)")
        }
        var whitespace = try tokenizerJSON()
        whitespace["pre_tokenizer"] = ["type": "Whitespace"]
        XCTAssertThrowsError(try WordPieceTokenizer.load(directory: write(whitespace))) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .unsupported)
            XCTAssertTrue("\(error)".contains("Whitespace"), "\(error)")
        }
        var roberta = try tokenizerJSON()
        roberta["post_processor"] = ["type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0]]
        XCTAssertThrowsError(try WordPieceTokenizer.load(directory: write(roberta))) { error in
            XCTAssertEqual((error as? LocalModelError)?.kind, .unsupported)
            XCTAssertTrue("\(error)".contains("RobertaProcessing"), "\(error)")
        }
    }

    func testBertProcessingIsAccepted() throws {
        var json = try tokenizerJSON()
        json["post_processor"] = ["type": "BertProcessing", "sep": ["[SEP]", 102], "cls": ["[CLS]", 101]]
        let tokenizer = try WordPieceTokenizer.load(directory: write(json))
        XCTAssertEqual(
            tokenizer.encode("A man is eating food.", maxLength: 256), [101, 1037, 2158, 2003, 5983, 2833, 1012, 102])
    }

    // MARK: - Helpers

    private func tokenizerJSON() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: LocalTestModel.directory() + "/tokenizer.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// A model directory holding only `json` as its tokenizer.json.
    private func write(_ json: [String: Any]) throws -> String {
        let directory = try temporaryDirectory(self)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: directory + "/tokenizer.json"))
        return directory
    }
}
