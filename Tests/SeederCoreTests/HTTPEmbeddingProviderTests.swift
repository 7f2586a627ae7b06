import Foundation
import XCTest
@testable import SeederCore

final class HTTPEmbeddingProviderTests: XCTestCase {
    private let model = StoredModel(model: "test/model", version: "1", dimensions: 2)

    private func inputs(_ texts: [String]) -> [EmbeddingInput] {
        texts.map { EmbeddingInput(text: $0, hash: TextHash(normalized: $0), estimatedTokens: $0.count) }
    }

    private func provider(_ transport: ScriptedTransport, kind: EmbeddingServerKind = .openai, clock: FakeClock = FakeClock(),
                          pacing: PacingClock? = nil, requestsPerMinute: Int? = nil, concurrency: Int = 4,
                          giveUpAfter: Duration = .seconds(300), apiKey: String? = "sk-secret") -> HTTPEmbeddingProvider {
        let settings = HTTPProviderSettings(kind: kind, baseURL: "http://user:pw@localhost:9999/base?x=1", apiKey: apiKey.map(APIKey.init),
                                            serverModel: "m", concurrency: concurrency, requestsPerMinute: requestsPerMinute,
                                            giveUpAfter: giveUpAfter)
        return HTTPEmbeddingProvider(storedModel: model, settings: settings, transport: transport, clock: pacing ?? clock.pacing, seed: 1)
    }

    private static func badRequest(_ message: String) -> WireResponse {
        WireResponse(status: 400, body: Data(#"{"error":{"message":"\#(message)","type":"invalid_request_error"}}"#.utf8))
    }

    /// An OpenAI answer embedding each text as [length, 1].
    static func openAIAnswer(_ request: WireRequest) -> WireResponse {
        let texts = ((try? JSONSerialization.jsonObject(with: request.body) as? [String: Any])?["input"] as? [String]) ?? []
        let data = texts.enumerated().map { ["index": $0.offset, "embedding": [Double($0.element.count), 1]] as [String: Any] }
        let body = (try? JSONSerialization.data(withJSONObject: ["data": data, "usage": ["prompt_tokens": texts.count]])) ?? Data()
        return WireResponse(status: 200, body: body)
    }

    func testEmbedsAndSendsTheKey() async throws {
        let transport = ScriptedTransport { request, _ in Self.openAIAnswer(request) }
        let matrix = try await provider(transport).embed(inputs(["a", "bb"]))
        XCTAssertEqual(matrix, EmbeddingMatrix(rows: 2, dimensions: 2, values: [1, 1, 2, 1], tokensUsed: 2))
        XCTAssertEqual(transport.requests.first?.headers["authorization"], "Bearer sk-secret")
        XCTAssertEqual(transport.requests.first?.path, "/v1/embeddings")
    }

    func testSplitsUntilTheBadInputFailsAlone() async throws {
        // The server refuses any request holding "long"; the others must still come back, in order.
        let transport = ScriptedTransport { request, _ in
            let body = String(decoding: request.body, as: UTF8.self)
            if body.contains("\"long\"") {
                return WireResponse(status: 400, body: Data(#"{"error":{"message":"This model's maximum context length is 8192 tokens","code":null}}"#.utf8))
            }
            return Self.openAIAnswer(request)
        }
        let matrix = try await provider(transport).embed(inputs(["a", "bb", "long", "dddd", "eeeee"]))
        XCTAssertEqual(matrix.rows, 4)
        XCTAssertEqual(matrix.failed.keys.sorted(), [2])
        XCTAssertTrue(matrix.failed[2]?.contains("maximum context length") == true)
        XCTAssertEqual(matrix.values, [1, 1, 2, 1, 4, 1, 5, 1])
        XCTAssertEqual(matrix.inputIndices(batchSize: 5), [0, 1, 3, 4])
        XCTAssertEqual(matrix.tokensUsed, 4)
    }

    func testAPlain400SplitsTheBatchAndRefusesOnlyTheBadInput() async throws {
        // OpenAI answers 400 for a whole batch when one input is empty; only that input may end up refused.
        let transport = ScriptedTransport { request, _ in
            String(decoding: request.body, as: UTF8.self).contains(#""""#) ? Self.badRequest("'$.input' is invalid") : Self.openAIAnswer(request)
        }
        let provider = provider(transport)
        let matrix = try await provider.embed(inputs(["a", "bb", "", "dddd"]))
        XCTAssertEqual(matrix.failed.keys.sorted(), [2])
        XCTAssertTrue(matrix.failed[2]?.contains("HTTP 400: '$.input' is invalid") == true, "\(matrix.failed)")
        XCTAssertEqual(matrix.values, [1, 1, 2, 1, 4, 1])
        // The bad input first in a new provider's first batch: judged after the batch, which succeeded otherwise.
        let first = try await self.provider(transport).embed(inputs(["", "bb", "ccc"]))
        XCTAssertEqual(first.failed.keys.sorted(), [0])
        XCTAssertEqual(first.values, [2, 1, 3, 1])
    }

    func testPlain400sForEveryInputStopTheRunAsAConfigurationProblem() async throws {
        let transport = ScriptedTransport { _, _ in Self.badRequest("This model does not support specifying dimensions.") }
        do {
            _ = try await provider(transport).embed(inputs(["a", "bb", "ccc"]))
            XCTFail("must throw")
        } catch let error as ProviderError {
            XCTAssertEqual(error.kind, .failed)
            XCTAssertTrue(error.message.contains("does not support specifying dimensions"), error.message)
            XCTAssertTrue(error.message.contains("before any request succeeded"), error.message)
            XCTAssertTrue(error.hint?.contains("server_model ('m')") == true, "\(error)")
        }
        for code in [401, 403, 404] {
            let refusing = ScriptedTransport { _, _ in WireResponse(status: code, body: Data(#"{"error":{"message":"no"}}"#.utf8)) }
            do {
                _ = try await provider(refusing).embed(inputs(["a", "bb"]))
                XCTFail("\(code) must throw")
            } catch let error as ProviderError {
                XCTAssertTrue(error.message.contains("HTTP \(code)"), error.message)
                XCTAssertEqual(refusing.requests.count, 1, "\(code) fails at once, without splitting")
            }
        }
    }

    func testTooManyRefusalsInARowStopTheRun() async throws {
        let transport = ScriptedTransport { request, _ in
            String(decoding: request.body, as: UTF8.self).contains("bad") ? Self.badRequest("invalid input") : Self.openAIAnswer(request)
        }
        let provider = provider(transport)
        _ = try await provider.embed(inputs(["ok"]))
        let bad = (0..<RefusalGuard.standardLimit).map { "bad\($0)" }
        let refused = try await provider.embed(inputs(bad))
        XCTAssertEqual(refused.failed.count, RefusalGuard.standardLimit, "up to the limit, refusals are the inputs' fault")
        do {
            _ = try await provider.embed(inputs(["bad again"]))
            XCTFail("must throw")
        } catch let error as ProviderError {
            XCTAssertTrue(error.message.contains("refused 17 inputs in a row"), error.message)
            XCTAssertTrue(error.message.contains("invalid input"), error.message)
        }
        _ = try await provider.embed(inputs(["ok"]))
        let again = try await provider.embed(inputs(bad))
        XCTAssertEqual(again.failed.count, RefusalGuard.standardLimit, "a success starts the count again")
    }

    func testA429HoldsEveryConcurrentRequestUntilTheServersTime() async throws {
        // 60 rpm books the four requests at 0, 1, 2 and 3 s; the first gets a 429 saying come back in 2 s.
        let clock = VirtualClock(participants: 4)
        let sentAt = LockedList<Double>()
        let transport = ScriptedTransport { request, call in
            sentAt.append(clock.now)
            if call == 0 { return WireResponse(status: 429, headers: ["retry-after": "2"], body: Data(#"{"error":{"message":"slow down"}}"#.utf8)) }
            return Self.openAIAnswer(request)
        }
        let provider = provider(transport, pacing: clock.pacing, requestsPerMinute: 60, concurrency: 4)
        let batches = ["a", "bb", "ccc", "dddd"].map { inputs([$0]) }
        let matrices = try await withThrowingTaskGroup(of: EmbeddingMatrix.self) { group in
            for batch in batches {
                group.addTask {
                    defer { clock.finished() }
                    return try await provider.embed(batch)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(matrices.count, 4)
        XCTAssertTrue(matrices.allSatisfy { $0.rows == 1 && $0.failed.isEmpty })
        let times = sentAt.items
        XCTAssertEqual(times.count, 5)
        XCTAssertEqual(times.first, 0)
        XCTAssertTrue(times.dropFirst().allSatisfy { $0 >= 2 }, "nothing goes during the 429's pause: \(times)")
    }

    func testARequestWaitingForTheSlotDoesNotSlipOutBetweenA429AndItsPause() async throws {
        // One slot, two batches: the second waits for the slot while the first is answered 429. It must go after
        // the server's time, not in the moment between the slot being freed and the pause being set. The real
        // clock: a virtual one can't see a task blocked on the slot, and would deadlock.
        let started = Date()
        let sentAt = LockedList<Double>()
        let transport = ScriptedTransport { request, call in
            sentAt.append(Date().timeIntervalSince(started))
            if call == 0 { return WireResponse(status: 429, headers: ["retry-after-ms": "300"], body: Data(#"{"error":{"message":"slow down"}}"#.utf8)) }
            return Self.openAIAnswer(request)
        }
        let provider = provider(transport, pacing: .system, concurrency: 1)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for batch in [inputs(["a"]), inputs(["bb"])] {
                group.addTask { _ = try await provider.embed(batch) }
            }
            try await group.waitForAll()
        }
        let times = sentAt.items
        XCTAssertEqual(times.count, 3)
        XCTAssertTrue(times.dropFirst().allSatisfy { $0 - times[0] >= 0.29 }, "nothing goes during the 429's pause: \(times)")
    }

    func testTEIMaxInputLengthCapsTheTokenEstimates() async throws {
        let tei = ScriptedTransport { _, _ in
            WireResponse(status: 200, body: Data(#"{"model_id":"m","max_client_batch_size":16,"max_batch_tokens":8192,"max_input_length":128}"#.utf8))
        }
        let provider = try await provider(tei, kind: .tei).readingServerInfo()
        XCTAssertEqual(provider.batchLimits, BatchLimits(maxItems: 16, maxTokens: 8192, maxInputTokens: 128))
        let batcher = Batcher(maxItems: 16, maxTokens: 8192, maxInputTokens: provider.batchLimits.maxInputTokens)
        XCTAssertEqual(batcher.estimateTokens(utf8Count: 3000, maxInputTokens: 512), 128, "the server's cap is below the model's")
        XCTAssertEqual(batcher.estimateTokens(utf8Count: 30, maxInputTokens: 512), 12, "short inputs keep their estimate")
        XCTAssertEqual(batcher.estimateTokens(utf8Count: 3000, maxInputTokens: 64), 64, "the model's cap is below the server's")
    }

    func testRetriesServerErrorsHonouringRetryAfter() async throws {
        let clock = FakeClock()
        let transport = ScriptedTransport { request, call in
            switch call {
            case 0: return WireResponse(status: 503, body: Data("<html>busy</html>".utf8))
            case 1: return WireResponse(status: 429, headers: ["Retry-After": "3"], body: Data(#"{"error":{"message":"slow down"}}"#.utf8))
            case 2: throw TransportError(.broken, detail: "reset by peer")
            case 3: return WireResponse(status: 200, body: Data(#"{"data":[{"index":0,"embedding":[0,0]}]}"#.utf8))
            default: return Self.openAIAnswer(request)
            }
        }
        let matrix = try await provider(transport, clock: clock).embed(inputs(["abc"]))
        XCTAssertEqual(matrix.values, [3, 1])
        XCTAssertEqual(transport.requests.count, 5, "503, 429, reset and an all-zero vector are all retried")
        XCTAssertTrue(clock.slept.contains(3))
    }

    func testClientErrorsFailAtOnceWithoutTheKey() async throws {
        let transport = ScriptedTransport { _, _ in
            WireResponse(status: 401, body: Data(#"{"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}"#.utf8))
        }
        do {
            _ = try await provider(transport).embed(inputs(["a"]))
            XCTFail("must throw")
        } catch let error as ProviderError {
            XCTAssertEqual(error.kind, .failed)
            XCTAssertTrue(error.message.contains("Incorrect API key"))
            XCTAssertTrue(error.message.contains("http://localhost:9999/base"), error.message)
            XCTAssertFalse("\(error)".contains("sk-secret"))
            XCTAssertFalse("\(error)".contains("pw"))
            XCTAssertEqual(transport.requests.count, 1)
        }
    }

    func testSaysAtOnceThatNothingListensWhenTheServerNeverAnswered() async throws {
        let clock = FakeClock()
        let transport = ScriptedTransport { _, _ in throw TransportError(.refused, detail: "connection refused") }
        do {
            _ = try await provider(transport, kind: .ollama, clock: clock, giveUpAfter: .seconds(300)).embed(inputs(["a"]))
            XCTFail("must throw")
        } catch let error as ProviderError {
            XCTAssertEqual(error.kind, .unavailable)
            XCTAssertTrue(error.hint?.contains("ollama serve") == true, "\(error)")
            XCTAssertTrue(error.hint?.contains("localhost:9999") == true, "\(error)")
            XCTAssertEqual(clock.elapsed, 0, "no retries: nothing has ever listened there")
            XCTAssertEqual(transport.requests.count, 1)
        }
    }

    func testARefusalAfterTheServerHasAnsweredIsARestartWaitedOutUntilGiveUp() async throws {
        let clock = FakeClock()
        let transport = ScriptedTransport { _, call in
            if call == 0 { return WireResponse(status: 200, body: Data(#"{"embeddings":[[0.6,0.8]]}"#.utf8)) }
            throw TransportError(.refused, detail: "connection refused")
        }
        let provider = provider(transport, kind: .ollama, clock: clock, giveUpAfter: .seconds(30), apiKey: nil)
        _ = try await provider.embed(inputs(["a"]))
        do {
            _ = try await provider.embed(inputs(["b"]))
            XCTFail("must throw")
        } catch let error as ProviderError {
            XCTAssertEqual(error.kind, .unavailable)
            XCTAssertLessThanOrEqual(clock.elapsed, 30)
            XCTAssertGreaterThan(transport.requests.count, 3, "retried while the outage lasted")
        }
    }

    func testA408ForeverCountsAsAnOutage() async throws {
        let clock = FakeClock()
        let transport = ScriptedTransport { _, _ in WireResponse(status: 408, body: Data()) }
        do {
            _ = try await provider(transport, clock: clock, giveUpAfter: .seconds(20)).embed(inputs(["a"]))
            XCTFail("must throw")
        } catch let error as ProviderError {
            XCTAssertEqual(error.kind, .unavailable)
            XCTAssertTrue(error.message.contains("HTTP 408"), error.message)
            XCTAssertLessThanOrEqual(clock.elapsed, 20)
        }
    }

    func testPersistentGarbageFailsNamingTheProblem() async throws {
        let transport = ScriptedTransport { _, _ in WireResponse(status: 200, body: Data(#"{"data":[{"index":0,"embedding":[1,2,3]}]}"#.utf8)) }
        do {
            _ = try await provider(transport).embed(inputs(["a"]))
            XCTFail("must throw")
        } catch let error as ProviderError {
            XCTAssertTrue(error.message.contains("3 dimensions, expected 2"), error.message)
            XCTAssertEqual(transport.requests.count, 1 + RetryPolicy.standard.maxBadResponses)
        }
    }

    func testTEIInfoAndOllama() async throws {
        let tei = ScriptedTransport { request, _ in
            XCTAssertEqual(request.path, "/info")
            return WireResponse(status: 200, body: Data(#"{"model_id":"BAAI/bge-small-en-v1.5","max_client_batch_size":16,"max_batch_tokens":8192,"max_input_length":512}"#.utf8))
        }
        let info = try await provider(tei, kind: .tei).teiInfo()
        XCTAssertEqual(info.batchLimits, BatchLimits(maxItems: 16, maxTokens: 8192, maxInputTokens: 512))
        let ollama = ScriptedTransport { _, _ in WireResponse(status: 200, body: Data(#"{"embeddings":[[0.5,0.5]],"prompt_eval_count":4}"#.utf8)) }
        let matrix = try await provider(ollama, kind: .ollama, apiKey: nil).embed(inputs(["x"]))
        XCTAssertEqual(matrix.values, [0.5, 0.5])
        XCTAssertEqual(matrix.tokensUsed, 4)
        XCTAssertNil(ollama.requests.first?.headers["authorization"])
    }
}

/// A clock for concurrent tasks: time stands still while any of them runs; when all are asleep it jumps to the
/// earliest wake-up and wakes that one. `participants` tasks use it; each calls `finished()` when done.
final class VirtualClock: @unchecked Sendable {
    private struct Sleeper {
        var deadline: Double
        var order: Int
        var wake: CheckedContinuation<Void, Never>
    }
    private let lock = NSLock()
    private var time = 0.0
    private var running: Int
    private var booked = 0
    private var sleepers: [Sleeper] = []

    init(participants: Int) { running = participants }

    var now: Double { lock.withLock { time } }

    var pacing: PacingClock {
        PacingClock(now: { self.now }, date: { Date(timeIntervalSince1970: 1_700_000_000 + self.now) },
                    sleep: { await self.sleep($0) })
    }

    func sleep(_ seconds: Double) async {
        await withCheckedContinuation { (wake: CheckedContinuation<Void, Never>) in
            lock.withLock {
                sleepers.append(Sleeper(deadline: time + max(seconds, 0), order: booked, wake: wake))
                booked += 1
                running -= 1
                wakeNextIfAllAsleep()
            }
        }
    }

    func finished() {
        lock.withLock {
            running -= 1
            wakeNextIfAllAsleep()
        }
    }

    private func wakeNextIfAllAsleep() {
        guard running == 0, let next = sleepers.indices.min(by: {
            (sleepers[$0].deadline, sleepers[$0].order) < (sleepers[$1].deadline, sleepers[$1].order)
        }) else { return }
        let sleeper = sleepers.remove(at: next)
        time = max(time, sleeper.deadline)
        running += 1
        sleeper.wake.resume()
    }
}

/// A list appended to from concurrent tasks.
final class LockedList<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var elements: [Element] = []
    func append(_ element: Element) { lock.withLock { elements.append(element) } }
    var items: [Element] { lock.withLock { elements } }
}

/// A transport answering from a closure, given the request and the call's number; it records what it was sent.
final class ScriptedTransport: EmbeddingTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var sent: [WireRequest] = []
    private let answer: @Sendable (WireRequest, Int) throws -> WireResponse

    init(_ answer: @escaping @Sendable (WireRequest, Int) throws -> WireResponse) { self.answer = answer }

    var requests: [WireRequest] { lock.withLock { sent } }

    func send(_ request: WireRequest, timeout: Duration) async throws -> WireResponse {
        let call = lock.withLock { sent.append(request); return sent.count - 1 }
        return try answer(request, call)
    }

    func shutdown() async throws {}
}
