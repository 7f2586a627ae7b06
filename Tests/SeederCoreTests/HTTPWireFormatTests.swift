import Foundation
import XCTest
@testable import SeederCore

final class HTTPWireFormatTests: XCTestCase {
    private func json(_ data: Data) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testOpenAIRequest() throws {
        let format = EmbeddingWireFormat(kind: .openai, model: "text-embedding-3-small", encoding: .base64, dimensions: 256)
        let request = try format.request(["a", "b"])
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.path, "/v1/embeddings")
        let body = try json(request.body)
        XCTAssertEqual(body["model"] as? String, "text-embedding-3-small")
        XCTAssertEqual(body["input"] as? [String], ["a", "b"])
        XCTAssertEqual(body["encoding_format"] as? String, "base64")
        XCTAssertEqual(body["dimensions"] as? Int, 256)
        let plain = try json(EmbeddingWireFormat(kind: .openai, model: "m").request(["x"]).body)
        XCTAssertNil(plain["dimensions"])
        XCTAssertEqual(plain["encoding_format"] as? String, "base64", "the default, as openai-python's")
        let float = try json(EmbeddingWireFormat(kind: .openai, model: "m", encoding: .float).request(["x"]).body)
        XCTAssertEqual(float["encoding_format"] as? String, "float")
    }

    func testOllamaAndTEIRequests() throws {
        let ollama = try EmbeddingWireFormat(kind: .ollama, model: "nomic-embed-text", numCtx: 8192, keepAlive: "5m").request(["t"])
        XCTAssertEqual(ollama.path, "/api/embed")
        let body = try json(ollama.body)
        XCTAssertEqual(body["truncate"] as? Bool, true)
        XCTAssertEqual((body["options"] as? [String: Any])?["num_ctx"] as? Int, 8192)
        XCTAssertEqual(body["keep_alive"] as? String, "5m")
        // Ollama parses a string as a Go duration, which needs a unit: a bare number goes as seconds.
        let forever = try json(EmbeddingWireFormat(kind: .ollama, model: "m", keepAlive: "-1").request(["t"]).body)
        XCTAssertEqual(forever["keep_alive"] as? Int, -1)
        let tei = try EmbeddingWireFormat(kind: .tei, model: "", truncate: false, normalize: true).request(["u", "v"])
        XCTAssertEqual(tei.path, "/embed")
        let teiBody = try json(tei.body)
        XCTAssertEqual(teiBody["inputs"] as? [String], ["u", "v"])
        XCTAssertEqual(teiBody["truncate"] as? Bool, false)
        XCTAssertEqual(teiBody["normalize"] as? Bool, true)
        XCTAssertNil(teiBody["model"])
    }

    func testOpenAIDecodeSortsByIndexAndReadsUsage() throws {
        let body = Data(#"{"object":"list","data":[{"index":1,"embedding":[3,4]},{"index":0,"embedding":[1,2]}],"usage":{"prompt_tokens":7,"total_tokens":7}}"#.utf8)
        let decoded = try EmbeddingWireFormat(kind: .openai, model: "m").decode(body)
        XCTAssertEqual(decoded.vectors, [[1, 2], [3, 4]])
        XCTAssertEqual(decoded.tokensUsed, 7)
        // Numbers where base64 was asked for (servers that ignore encoding_format), and the other way round.
        XCTAssertEqual(try EmbeddingWireFormat(kind: .openai, model: "m", encoding: .base64).decode(body), decoded)
        let base64 = Data(#"{"data":[{"index":0,"embedding":"AACAPw=="}]}"#.utf8)
        XCTAssertEqual(try EmbeddingWireFormat(kind: .openai, model: "m", encoding: .float).decode(base64).vectors, [[1]])
    }

    func testOpenAIBase64() throws {
        let floats: [Float] = [1.5, -2, 0.25]
        var bytes = Data()
        for value in floats { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        let body = Data(#"{"data":[{"index":0,"embedding":"\#(bytes.base64EncodedString())"}]}"#.utf8)
        let decoded = try EmbeddingWireFormat(kind: .openai, model: "m", encoding: .base64).decode(body)
        XCTAssertEqual(decoded.vectors, [floats])
        XCTAssertNil(decoded.tokensUsed)
        XCTAssertNil(EmbeddingWireFormat.floats(base64: "AAAA AA=="))
        XCTAssertNil(EmbeddingWireFormat.floats(base64: Data([1, 2, 3]).base64EncodedString()), "not a multiple of 4 bytes")
    }

    func testOllamaAndTEIDecode() throws {
        let ollama = try EmbeddingWireFormat(kind: .ollama, model: "m")
            .decode(Data(#"{"model":"m","embeddings":[[0.1,0.2]],"prompt_eval_count":3}"#.utf8))
        XCTAssertEqual(ollama.vectors, [[0.1, 0.2]])
        XCTAssertEqual(ollama.tokensUsed, 3)
        let tei = try EmbeddingWireFormat(kind: .tei, model: "").decode(Data("[[1,2],[3,4]]".utf8))
        XCTAssertEqual(tei.vectors, [[1, 2], [3, 4]])
    }

    func testMalformedBodiesSayWhatAndQuote() {
        let openai = EmbeddingWireFormat(kind: .openai, model: "m")
        let cases: [(EmbeddingWireFormat, String, String)] = [
            (openai, "<html>Bad Gateway</html>", "<html>Bad Gateway"),
            (openai, #"{"data":[{"index":0}]}"#, "data[0].embedding is missing"),
            (openai, #"{"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[2]}]}"#, "repeated"),
            (openai, #"{"data":[{"index":5,"embedding":[1]}]}"#, "out of range"),
            (openai, #"{"data":[{"index":0,"embedding":"@@@"}]}"#, "not base64"),
            (EmbeddingWireFormat(kind: .ollama, model: "m"), #"{"embedding":[1]}"#, "embeddings is missing"),
            (EmbeddingWireFormat(kind: .tei, model: ""), #"{"error":"x"}"#, "not a TEI /embed response"),
            (openai, "", "<empty>"),
        ]
        for (format, body, expected) in cases {
            XCTAssertThrowsError(try format.decode(Data(body.utf8)), body) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error) should mention \(expected)")
            }
        }
        let long = Data(String(repeating: "x", count: 1000).utf8)
        XCTAssertLessThan(WireDecodingError("p", body: long).bodyPrefix.count, 210)
    }

    func testServerErrorMessages() {
        XCTAssertEqual(ServerErrorMessage.parse(Data(#"{"error":{"message":"Too many tokens","type":"invalid_request_error","code":"max_tokens_per_request"}}"#.utf8)),
                       ServerErrorMessage(message: "Too many tokens", code: "max_tokens_per_request"))
        XCTAssertEqual(ServerErrorMessage.parse(Data(#"{"error":"model not found"}"#.utf8)), ServerErrorMessage(message: "model not found"))
        XCTAssertEqual(ServerErrorMessage.parse(Data(#"{"error":"batch size 64 > maximum allowed batch size 32","error_type":"Validation"}"#.utf8)).code, "Validation")
        XCTAssertEqual(ServerErrorMessage.parse(Data("oops".utf8)).message, "\"oops\"")
    }

    func testTEIInfo() throws {
        let body = Data(#"{"model_id":"BAAI/bge-small-en-v1.5","model_sha":"5c38ec7c","model_dtype":"float32","model_type":{"embedding":{"pooling":"cls"}},"max_concurrent_requests":512,"max_input_length":512,"max_batch_tokens":16384,"max_batch_requests":null,"max_client_batch_size":32,"auto_truncate":false,"tokenization_workers":4,"version":"1.5.0","sha":null,"docker_label":null}"#.utf8)
        let info = try TEIInfo.decode(body)
        XCTAssertEqual(info, TEIInfo(modelID: "BAAI/bge-small-en-v1.5", modelSHA: "5c38ec7c", maxClientBatchSize: 32, maxBatchTokens: 16384, maxInputLength: 512))
        XCTAssertEqual(info.batchLimits, BatchLimits(maxItems: 32, maxTokens: 16384, maxInputTokens: 512))
        XCTAssertThrowsError(try TEIInfo.decode(Data(#"{"model_id":"x"}"#.utf8))) { XCTAssertTrue("\($0)".contains("is missing")) }
    }

    func testValidator() {
        func problem(_ vectors: [[Float]], _ count: Int, _ dims: Int?) -> String? {
            if case .failure(let p) = EmbeddingResponseValidator.validate(vectors, expectedCount: count, expectedDimensions: dims) { return p.problem }
            return nil
        }
        XCTAssertNil(problem([[1, 0], [0, 1]], 2, 2))
        XCTAssertNil(problem([[1, 0, 0]], 1, nil))
        XCTAssertEqual(problem([[1, 0]], 2, 2), "1 vectors for 2 inputs")
        XCTAssertEqual(problem([[1, 0], [1]], 2, nil), "vector 1 has 1 dimensions, expected 2")
        XCTAssertEqual(problem([[1, 0, 1]], 1, 2), "vector 0 has 3 dimensions, expected 2")
        XCTAssertEqual(problem([[1, .nan]], 1, 2), "vector 0 holds a non-finite value (nan)")
        XCTAssertEqual(problem([[1, 1], [0, 0]], 2, 2), "vector 1 is all zeros")
        if case .success(let ok) = EmbeddingResponseValidator.validate([[1, 2], [3, 4]], expectedCount: 2, expectedDimensions: nil) {
            XCTAssertEqual(ok.dimensions, 2)
            XCTAssertEqual(ok.values, [1, 2, 3, 4])
        } else { XCTFail() }
    }
}
