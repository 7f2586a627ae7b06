import Foundation
import XCTest
@testable import SeederCore

final class HTTPRetryPacingTests: XCTestCase {
    private let now = Date(timeIntervalSince1970: 1_700_000_000)

    private func decide(_ outcome: RequestOutcome, attempt: Int = 0, bad: Int = 0, policy: RetryPolicy = .standard) -> RetryDecision {
        var random = SeededRandom(seed: 1)
        return policy.decide(outcome, attempt: attempt, badResponses: bad, now: now, random: &random)
    }

    private func status(_ code: Int, _ headers: [String: String] = [:], _ message: String = "x", code errorCode: String? = nil) -> RequestOutcome {
        .status(code, headers: headers, error: ServerErrorMessage(message: message, code: errorCode))
    }

    private func isRetry(_ decision: RetryDecision) -> Bool { if case .retry = decision { true } else { false } }

    func testWhichStatusesRetrySplitOrFail() {
        for code in [408, 409, 424, 429, 500, 502, 503, 504] { XCTAssertTrue(isRetry(decide(status(code))), "\(code)") }
        for code in [400, 401, 403, 404, 405] {
            guard case .fail = decide(status(code)) else { return XCTFail("\(code) must not be retried") }
        }
        for code in [413, 422] {
            guard case .split = decide(status(code)) else { return XCTFail("\(code) must split") }
        }
        guard case .split = decide(status(400, [:], "Requested 400000 tokens, max 300000 tokens per request", code: "max_tokens_per_request")) else {
            return XCTFail("a 400 saying too many tokens must split")
        }
        for kind in [TransportError.Kind.refused, .timeout, .broken] {
            XCTAssertTrue(isRetry(decide(.connectionFailed(TransportError(kind, detail: "d")))))
        }
        XCTAssertTrue(isRetry(decide(.badResponse("garbled"), bad: 3)))
        guard case .fail = decide(.badResponse("garbled"), bad: 4) else { return XCTFail("bad responses are retried a few times only") }
        XCTAssertTrue(RetryPolicy.isOutage(status(503)))
        XCTAssertTrue(RetryPolicy.isOutage(status(429)))
        XCTAssertFalse(RetryPolicy.isOutage(status(400)))
        XCTAssertFalse(RetryPolicy.isOutage(.badResponse("b")))
    }

    func testServerDelayIsHonouredAndCapped() {
        XCTAssertEqual(decide(status(429, ["retry-after": "7"])), .retry(after: .seconds(7)))
        XCTAssertEqual(decide(status(503, ["retry-after-ms": "250", "retry-after": "9"])), .retry(after: .milliseconds(250)))
        XCTAssertEqual(decide(status(429, ["retry-after": "3600"])), .retry(after: .seconds(60)))
        XCTAssertEqual(decide(status(429, ["x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "6m0s",
                                           "x-ratelimit-remaining-requests": "10", "x-ratelimit-reset-requests": "20ms"]),
                              policy: RetryPolicy(maxDelay: .seconds(600))),
                       .retry(after: .seconds(360)))
    }

    func testHeaderParsing() {
        XCTAssertEqual(RetryHeaders.goDuration("1s"), .seconds(1))
        XCTAssertEqual(RetryHeaders.goDuration("6m0s"), .seconds(360))
        XCTAssertEqual(RetryHeaders.goDuration("20ms"), .milliseconds(20))
        XCTAssertEqual(RetryHeaders.goDuration("1h2m3.5s"), .milliseconds(3_723_500))
        XCTAssertNil(RetryHeaders.goDuration("soon"))
        XCTAssertNil(RetryHeaders.goDuration("5"))
        XCTAssertEqual(RetryHeaders.retryAfter("Tue, 14 Nov 2023 22:13:40 GMT", now: now), .seconds(20))
        XCTAssertEqual(RetryHeaders.retryAfter("Tue, 14 Nov 2023 22:00:00 GMT", now: now), .zero, "a past date means now")
        XCTAssertNil(RetryHeaders.retryAfter("-3", now: now))
        XCTAssertNil(RetryHeaders.retryAfter("whenever", now: now))
        XCTAssertEqual(RetryHeaders.remaining(["x-ratelimit-remaining-requests": "4", "x-ratelimit-reset-tokens": "1s", "x-ratelimit-remaining-tokens": "0"]),
                       RateLimitRemaining(requests: 4, tokens: 0, tokensReset: .seconds(1)))
        XCTAssertNil(RetryHeaders.remaining([:]))
    }

    func testBackoffBoundsAndDeterminism() {
        let policy = RetryPolicy(baseDelay: .milliseconds(100), maxDelay: .seconds(2))
        var random = SeededRandom(seed: 42)
        for attempt in 0..<20 {
            let bound = min(2.0, 0.1 * pow(2, Double(attempt)))
            for _ in 0..<50 {
                let delay = policy.backoff(attempt: attempt, random: &random).inSeconds
                XCTAssertGreaterThanOrEqual(delay, 0)
                XCTAssertLessThanOrEqual(delay, bound + 1e-9)
            }
        }
        var a = SeededRandom(seed: 7), b = SeededRandom(seed: 7)
        XCTAssertEqual((0..<5).map { _ in policy.backoff(attempt: 3, random: &a) }, (0..<5).map { _ in policy.backoff(attempt: 3, random: &b) })
        XCTAssertEqual(policy.backoff(attempt: 10_000, random: &a) <= .seconds(2), true, "huge attempts don't overflow")
    }

    func testBudgetKeepsRequestsPerMinute() {
        var budget = RateBudget(requestsPerMinute: 60, tokensPerMinute: nil, now: 0)
        for _ in 0..<60 { XCTAssertEqual(budget.reserve(tokens: 10, now: 0), 0) }
        XCTAssertEqual(budget.reserve(tokens: 10, now: 0), 1, accuracy: 1e-9)
        XCTAssertEqual(budget.reserve(tokens: 10, now: 0), 2, accuracy: 1e-9, "reservations queue")
        XCTAssertEqual(budget.reserve(tokens: 10, now: 10), 0, accuracy: 1e-9, "ten seconds refill ten requests")
    }

    func testBudgetKeepsTokensPerMinuteAndLetsAGiantThroughAlone() {
        var budget = RateBudget(requestsPerMinute: nil, tokensPerMinute: 6000, now: 0)
        XCTAssertEqual(budget.reserve(tokens: 3000, now: 0), 0)
        XCTAssertEqual(budget.reserve(tokens: 6000, now: 0), 30, accuracy: 1e-9, "waits until the bucket is full again")
        XCTAssertEqual(budget.reserve(tokens: 100, now: 30), 1, accuracy: 1e-9, "the big one emptied the bucket: the next waits for its own tokens")
        var giant = RateBudget(requestsPerMinute: nil, tokensPerMinute: 1000, now: 0)
        XCTAssertEqual(giant.reserve(tokens: 5000, now: 0), 0, "bigger than a minute's budget: goes alone on a full bucket")
        XCTAssertGreaterThan(giant.reserve(tokens: 1, now: 0), 60)
    }

    func testBudgetFollowsServerHeaders() {
        var budget = RateBudget(requestsPerMinute: 600, tokensPerMinute: 1_000_000, now: 0)
        budget.observe(RateLimitRemaining(requests: 0, tokens: 500_000, requestsReset: .seconds(5)), now: 0)
        XCTAssertEqual(budget.reserve(tokens: 10, now: 0), 5, accuracy: 1e-9, "exhausted on the server: wait for its reset")
        var tokens = RateBudget(requestsPerMinute: nil, tokensPerMinute: 60_000, now: 0)
        tokens.observe(RateLimitRemaining(tokens: 1000), now: 0)
        XCTAssertEqual(tokens.reserve(tokens: 2000, now: 0), 1, accuracy: 1e-9, "the server's lower figure wins")
        var unlimited = RateBudget(requestsPerMinute: nil, tokensPerMinute: nil, now: 0)
        XCTAssertEqual(unlimited.reserve(tokens: 1_000_000, now: 0), 0)
        unlimited.observe(RateLimitRemaining(tokens: 0, tokensReset: .milliseconds(20)), now: 0)
        XCTAssertEqual(unlimited.reserve(tokens: 1, now: 0), 0.02, accuracy: 1e-9)
    }

    func testPacerSleepsOnTheInjectedClock() async throws {
        let clock = FakeClock()
        let pacer = RatePacer(requestsPerMinute: 2, tokensPerMinute: nil, clock: clock.pacing)
        try await pacer.acquire(tokens: 1)
        try await pacer.acquire(tokens: 1)
        XCTAssertEqual(clock.slept, [])
        try await pacer.acquire(tokens: 1)
        XCTAssertEqual(clock.slept, [30])
    }
}

/// A clock whose sleeps return at once and advance its time.
final class FakeClock: @unchecked Sendable {
    private let lock = NSLock()
    private var time = 0.0
    private var sleeps: [Double] = []
    var slept: [Double] { lock.withLock { sleeps } }
    var elapsed: Double { lock.withLock { time } }

    var pacing: PacingClock {
        PacingClock(now: { self.lock.withLock { self.time } },
                    date: { self.lock.withLock { Date(timeIntervalSince1970: 1_700_000_000 + self.time) } },
                    sleep: { seconds in self.lock.withLock { self.sleeps.append(seconds); self.time += seconds } })
    }
}
