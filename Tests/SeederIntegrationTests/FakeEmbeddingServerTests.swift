import FakeEmbeddingServer
import Foundation
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The fake embedding server itself, through a plain HTTP client: each protocol's shapes, the faults, and the log
/// that RPM/TPM assertions rely on.
final class FakeEmbeddingServerTests: XCTestCase {
    var server: FakeEmbeddingServer!
    let session = URLSession(configuration: .ephemeral)

    override func setUp() async throws {
        var config = FakeServerConfiguration()
        config.dimensions = 16
        config.seed = 7
        server = FakeEmbeddingServer(config)
        try await server.start()
    }

    override func tearDown() async throws {
        try await server.shutdown()
    }

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: Data
        var json: Any? { try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
    }

    private func call(_ path: String, _ body: [String: Any]? = nil, method: String = "POST",
                      headers: [String: String] = [:]) async throws -> Reply {
        var request = URLRequest(url: try XCTUnwrap(URL(string: server.baseURL + path)))
        request.httpMethod = method
        if let body { request.httpBody = try JSONSerialization.data(withJSONObject: body) }
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await session.data(for: request)
        let http = try XCTUnwrap(response as? HTTPURLResponse)
        var lowered: [String: String] = [:]
        for (k, v) in http.allHeaderFields { lowered[String(describing: k).lowercased()] = String(describing: v) }
        return Reply(status: http.statusCode, headers: lowered, body: data)
    }

    private func floats(_ any: Any?) -> [Float] {
        (any as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.floatValue }
    }

    func testOpenAIAnswersFloatAndBase64WithUsage() async throws {
        let texts = ["alpha", "héllo wörld", "a much longer text of several words"]
        let reply = try await call("/v1/embeddings", ["model": "m", "input": texts])
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.object["object"] as? String, "list")
        let data = try XCTUnwrap(reply.object["data"] as? [[String: Any]])
        XCTAssertEqual(data.count, 3)
        for (i, item) in data.enumerated() {
            XCTAssertEqual(item["index"] as? Int, i)
            XCTAssertEqual(floats(item["embedding"]), FakeVectors.vector(for: texts[i], dimensions: 16))
        }
        let usage = try XCTUnwrap(reply.object["usage"] as? [String: Any])
        XCTAssertEqual(usage["prompt_tokens"] as? Int, texts.map(FakeVectors.tokens(for:)).reduce(0, +))

        let b64 = try await call("/v1/embeddings", ["model": "m", "input": "alpha", "encoding_format": "base64", "dimensions": 4])
        let item = try XCTUnwrap((b64.object["data"] as? [[String: Any]])?.first)
        let bytes = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(item["embedding"] as? String)))
        XCTAssertEqual(Self.decodeFloat32LE(bytes), FakeVectors.vector(for: "alpha", dimensions: 4))
    }

    func testOllamaAnswersAndReportsUnknownModel() async throws {
        let reply = try await call("/api/embed", ["model": "nomic", "input": ["x", "y"], "truncate": true, "options": ["num_ctx": 512]])
        XCTAssertEqual(reply.status, 200)
        let vectors = try XCTUnwrap(reply.object["embeddings"] as? [Any])
        XCTAssertEqual(floats(vectors[1]), FakeVectors.vector(for: "y", dimensions: 16))
        XCTAssertEqual(reply.object["prompt_eval_count"] as? Int, 2)
        XCTAssertNotNil(reply.object["total_duration"] as? Int)

        let long = String(repeating: "q", count: 4 * 100)
        let truncated = try await call("/api/embed", ["model": "nomic", "input": long, "options": ["num_ctx": 64]])
        XCTAssertEqual(truncated.object["prompt_eval_count"] as? Int, 64)
        let refused = try await call("/api/embed", ["model": "nomic", "input": long, "truncate": false, "options": ["num_ctx": 64]])
        XCTAssertEqual(refused.status, 400)
        XCTAssertEqual(refused.object["error"] as? String, "the input length exceeds the context length")

        server.updateFaults { $0.knownModels = ["nomic"] }
        let missing = try await call("/api/embed", ["model": "other", "input": "x"])
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(missing.object["error"] as? String, "model \"other\" not found, try pulling it first")
    }

    func testTEIInfoEmbedAndItsLimits() async throws {
        server.updateFaults { $0.maxItems = 2 }
        let info = try await call("/info", method: "GET")
        XCTAssertEqual(info.object["max_client_batch_size"] as? Int, 2)
        XCTAssertEqual(info.object["max_input_length"] as? Int, 512)
        XCTAssertNotNil(info.object["model_id"] as? String)

        let ok = try await call("/embed", ["inputs": ["p", "q"], "normalize": true])
        let vectors = try XCTUnwrap(ok.json as? [Any])
        XCTAssertEqual(floats(vectors[0]), FakeVectors.vector(for: "p", dimensions: 16))

        let tooMany = try await call("/embed", ["inputs": ["p", "q", "r"]])
        XCTAssertEqual(tooMany.status, 413)
        XCTAssertEqual(tooMany.object["error_type"] as? String, "Validation")

        let long = String(repeating: "z", count: 4 * 600)
        let tooLong = try await call("/embed", ["inputs": long])
        XCTAssertEqual(tooLong.status, 422)
        XCTAssertEqual(tooLong.object["error"] as? String, "`inputs` must have less than 512 tokens. Given: 600")
    }

    func testInjected429sCarryRetryHintsThenRecover() async throws {
        server.updateFaults { $0.rateLimit = .next(2); $0.retryAfter = .milliseconds(250) }
        let first = try await call("/v1/embeddings", ["model": "m", "input": "t"])
        XCTAssertEqual(first.status, 429)
        XCTAssertEqual(first.headers["retry-after-ms"], "250")
        XCTAssertEqual(first.headers["retry-after"], "1")
        XCTAssertEqual((first.object["error"] as? [String: Any])?["code"] as? String, "rate_limit_exceeded")
        let second = try await call("/v1/embeddings", ["model": "m", "input": "t"])
        XCTAssertEqual(second.status, 429)
        let third = try await call("/v1/embeddings", ["model": "m", "input": "t"])
        XCTAssertEqual(third.status, 200)
        let log = server.log
        XCTAssertEqual(log.failures, 2)
        XCTAssertEqual(log.itemsReceived["t"], 3)
        XCTAssertEqual(log.itemsServed["t"], 1)
    }

    func testAPIKeyIsCheckedAndNeverRecorded() async throws {
        server.updateFaults { $0.expectedAPIKey = "sk-secret-123" }
        let none = try await call("/v1/embeddings", ["model": "m", "input": "t"])
        XCTAssertEqual(none.status, 401)
        XCTAssertFalse(String(decoding: none.body, as: UTF8.self).contains("sk-secret"))
        let wrong = try await call("/v1/embeddings", ["model": "m", "input": "t"], headers: ["Authorization": "Bearer nope"])
        XCTAssertEqual(wrong.status, 401)
        let right = try await call("/v1/embeddings", ["model": "m", "input": "t"], headers: ["Authorization": "Bearer sk-secret-123"])
        XCTAssertEqual(right.status, 200)
        XCTAssertEqual(server.log.records.map(\.authorization), [.missing, .mismatched, .matched])
    }

    func testDropsFailTheClientAndAreLogged() async throws {
        server.updateFaults { $0.drop = .next(1); $0.dropPoint = .midResponse }
        do {
            let reply = try await call("/v1/embeddings", ["model": "m", "input": "t"])
            XCTFail("a half-written response was accepted: \(reply.status)")
        } catch {}
        server.updateFaults { $0.drop = .next(1); $0.dropPoint = .midRequest }
        do {
            let reply = try await call("/api/embed", ["model": "m", "input": "t"])
            XCTFail("a closed connection was answered: \(reply.status)")
        } catch {}
        let ok = try await call("/embed", ["inputs": "t"])
        XCTAssertEqual(ok.status, 200)
        XCTAssertEqual(server.log.records.map(\.status), [0, 0, 200])
        XCTAssertEqual(server.log.records.map(\.fault), ["drop.midResponse", "drop.midRequest", nil])
    }

    func testCorruptionsLookAsDocumented() async throws {
        server.updateFaults { $0.corruption = .always; $0.corruptionKind = .nan }
        let json = try await call("/api/embed", ["model": "m", "input": ["a"]])
        XCTAssertTrue(String(decoding: json.body, as: UTF8.self).contains("[[NaN,"))
        let b64 = try await call("/v1/embeddings", ["model": "m", "input": "a", "encoding_format": "base64"])
        let encoded = try XCTUnwrap((b64.object["data"] as? [[String: Any]])?.first?["embedding"] as? String)
        XCTAssertTrue(try XCTUnwrap(Self.decodeFloat32LE(try XCTUnwrap(Data(base64Encoded: encoded))).first).isNaN)

        server.updateFaults { $0.corruptionKind = .malformedJSON }
        let broken = try await call("/embed", ["inputs": ["a", "b"]])
        XCTAssertEqual(broken.status, 200)
        XCTAssertNil(broken.json)

        server.updateFaults { $0.corruptionKind = .missingVector }
        let short = try await call("/embed", ["inputs": ["a", "b"]])
        XCTAssertEqual((short.json as? [Any])?.count, 1)

        server.updateFaults { $0.corruptionKind = .wrongDimensions }
        let narrow = try await call("/embed", ["inputs": ["a"]])
        XCTAssertEqual(floats((narrow.json as? [Any])?.first).count, 15)
    }

    func testLatencyAndSeededServerErrors() async throws {
        server.updateFaults { $0.latencyMs = 50 }
        let start = Date()
        _ = try await call("/embed", ["inputs": "t"])
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.05)
        server.updateFaults { $0.latencyMs = 0; $0.serverError = .always }
        for _ in 0..<4 {
            let reply = try await call("/v1/embeddings", ["model": "m", "input": "t"])
            XCTAssertTrue([500, 502, 503].contains(reply.status), "\(reply.status)")
        }
    }

    func testRPMAndTPMAreEnforcedWithOpenAIHeadersAndTheLogShowsPeaks() async throws {
        server.updateFaults { $0.rpm = 5 }
        var statuses: [Int] = []
        var last: Reply?
        for i in 0..<8 {
            let reply = try await call("/v1/embeddings", ["model": "m", "input": "text \(i)"])
            statuses.append(reply.status)
            if i == 0 { XCTAssertEqual(reply.headers["x-ratelimit-remaining-requests"], "4") }
            if reply.status == 429 { last = reply }
        }
        XCTAssertEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429])
        let limited = try XCTUnwrap(last)
        XCTAssertEqual(limited.headers["x-ratelimit-limit-requests"], "5")
        XCTAssertEqual(limited.headers["x-ratelimit-remaining-requests"], "0")
        XCTAssertNotNil(limited.headers["x-ratelimit-reset-requests"])
        XCTAssertNotNil(limited.headers["retry-after-ms"])
        XCTAssertEqual(server.log.peak(window: 60) { $0.status == 200 }.requests, 5)
        XCTAssertEqual(server.log.peak(window: 60).requests, 8)

        server.resetLog()
        server.updateFaults { $0.rpm = nil; $0.tpm = 10 }
        let fourTokens = String(repeating: "w", count: 16)
        var tokenStatuses: [Int] = []
        for _ in 0..<3 {
            tokenStatuses.append(try await call("/v1/embeddings", ["model": "m", "input": fourTokens]).status)
        }
        XCTAssertEqual(tokenStatuses, [200, 200, 429])
        let admitted = server.log.peak(window: 60) { $0.status == 200 }
        XCTAssertEqual(admitted.tokens, 8)
        XCTAssertLessThanOrEqual(admitted.tokens, 10)
        XCTAssertEqual(server.log.records.last?.fault, "tpm")
    }

    func testBurstWindowEnforcesTheLimitsProRata() async throws {
        server.updateFaults { $0.rpm = 120; $0.rateBurstWindow = 1 }
        var statuses: [Int] = []
        for i in 0..<3 { statuses.append(try await call("/v1/embeddings", ["model": "m", "input": "b\(i)"]).status) }
        XCTAssertEqual(statuses, [200, 200, 429])
        XCTAssertLessThanOrEqual(server.log.peak(window: 1) { $0.status == 200 }.requests, 2)
        XCTAssertEqual(server.log.records.last?.fault, "rpm")
    }

    func testTooManyTokensUsesOpenAIsCode() async throws {
        server.updateFaults { $0.maxTokens = 3 }
        let reply = try await call("/v1/embeddings", ["model": "m", "input": ["aaaa", "bbbb", "cccc", "dddd"]])
        XCTAssertEqual(reply.status, 400)
        let error = try XCTUnwrap(reply.object["error"] as? [String: Any])
        XCTAssertEqual(error["code"] as? String, "max_tokens_per_request")
        XCTAssertEqual(error["message"] as? String, "Requested 4 tokens, max 3 tokens per request")
    }

    static func decodeFloat32LE(_ data: Data) -> [Float] {
        let bytes = [UInt8](data)
        var out: [Float] = []
        for i in stride(from: 0, to: bytes.count - 3, by: 4) {
            var bits = UInt32(bytes[i])
            bits |= UInt32(bytes[i + 1]) << 8
            bits |= UInt32(bytes[i + 2]) << 16
            bits |= UInt32(bytes[i + 3]) << 24
            out.append(Float(bitPattern: bits))
        }
        return out
    }
}
