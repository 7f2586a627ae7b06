import Foundation
import XCTest
@testable import SeederCore

final class HTTPRetryPacingTests: XCTestCase {
    private let now = Date(timeIntervalSince1970: 1_700_000_000)

    private func decide(_ outcome: RequestOutcome, attempt: Int = 0, bad: Int = 0, policy: RetryPolicy = .standard) -> RetryDecision {
        var random = SplitMix64(seed: 1)
        return policy.decide(outcome, attempt: attempt, badResponses: bad, now: now, random: &random)
    }

    private func status(_ code: Int, _ headers: [String: String] = [:], _ message: String = "x", code errorCode: String? = nil) -> RequestOutcome {
        .status(code, headers: headers, error: ServerErrorMessage(message: message, code: errorCode))
    }

    private func isRetry(_ decision: RetryDecision) -> Bool { if case .retry = decision { true } else { false } }

    func testWhichStatusesRetrySplitOrFail() {
        for code in [408, 409, 424, 429, 500, 502, 503, 504] { XCTAssertTrue(isRetry(decide(status(code))), "\(code)") }
        XCTAssertEqual(decide(status(400, [:], "'$.input' is invalid")), .refused(reason: "HTTP 400: '$.input' is invalid"))
        for code in [401, 403, 404, 405] {
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
        var random = SplitMix64(seed: 42)
        for attempt in 0..<20 {
            let bound = min(2.0, 0.1 * pow(2, Double(attempt)))
            for _ in 0..<50 {
                let delay = policy.backoff(attempt: attempt, random: &random).inSeconds
                XCTAssertGreaterThanOrEqual(delay, 0)
                XCTAssertLessThanOrEqual(delay, bound + 1e-9)
            }
        }
        var a = SplitMix64(seed: 7), b = SplitMix64(seed: 7)
        XCTAssertEqual((0..<5).map { _ in policy.backoff(attempt: 3, random: &a) }, (0..<5).map { _ in policy.backoff(attempt: 3, random: &b) })
        XCTAssertEqual(policy.backoff(attempt: 10_000, random: &a) <= .seconds(2), true, "huge attempts don't overflow")
    }

    func testBudgetKeepsRequestsPerMinute() {
        // 60 rpm: one request a second, not sixty at once.
        var budget = RateBudget(requestsPerMinute: 60, tokensPerMinute: nil, now: 0)
        for i in 0..<61 { XCTAssertEqual(budget.reserve(tokens: 10, now: 0), Double(i), accuracy: 1e-9, "reservations queue a second apart") }
        XCTAssertEqual(budget.reserve(tokens: 10, now: 100), 0, accuracy: 1e-9, "idle: the next goes at once")
        XCTAssertEqual(budget.reserve(tokens: 10, now: 100), 1, accuracy: 1e-9, "but only one second's share at once")
        // 120 rpm: two at once after an idle spell, then one every half second.
        var faster = RateBudget(requestsPerMinute: 120, tokensPerMinute: nil, now: 0)
        let waits = (0..<6).map { _ in faster.reserve(tokens: 1, now: 0) }
        for (wait, expected) in zip(waits, [0, 0, 0.5, 1, 1.5, 2]) { XCTAssertEqual(wait, expected, accuracy: 1e-9) }
    }

    func testBudgetKeepsTokensPerMinuteAndLetsAGiantThroughAlone() {
        var budget = RateBudget(requestsPerMinute: nil, tokensPerMinute: 6000, now: 0)
        XCTAssertEqual(budget.reserve(tokens: 3000, now: 0), 0, "larger than a second's share: goes on a full pace bucket")
        XCTAssertEqual(budget.reserve(tokens: 6000, now: 0), 60, accuracy: 1e-9, "a whole minute's budget needs a window with nothing else in it")
        XCTAssertEqual(budget.reserve(tokens: 100, now: 60), 60, accuracy: 1e-9, "nothing follows it for a minute")
        var giant = RateBudget(requestsPerMinute: nil, tokensPerMinute: 1000, now: 0)
        XCTAssertEqual(giant.reserve(tokens: 5000, now: 0), 0, "bigger than a minute's budget: goes alone in an empty window")
        XCTAssertEqual(giant.reserve(tokens: 1, now: 0), 60, accuracy: 1e-9)
        var late = RateBudget(requestsPerMinute: nil, tokensPerMinute: 1000, now: 0)
        XCTAssertEqual(late.reserve(tokens: 10, now: 0), 0)
        XCTAssertEqual(late.reserve(tokens: 5000, now: 1), 59, accuracy: 1e-9, "the giant waits until the window is empty")
        XCTAssertEqual(late.reserve(tokens: 10, now: 60), 60, accuracy: 1e-9)
    }

    func testBudgetFollowsServerHeaders() {
        var budget = RateBudget(requestsPerMinute: 600, tokensPerMinute: 1_000_000, now: 0)
        budget.observe(RateLimitRemaining(requests: 0, tokens: 500_000, requestsReset: .seconds(5)), now: 0)
        XCTAssertEqual(budget.reserve(tokens: 10, now: 0), 5, accuracy: 1e-9, "exhausted on the server: wait for its reset")
        var tokens = RateBudget(requestsPerMinute: nil, tokensPerMinute: 60_000, now: 0)
        tokens.observe(RateLimitRemaining(tokens: 1000), now: 0)
        XCTAssertEqual(tokens.reserve(tokens: 2000, now: 0), 60.0 / 59, accuracy: 1e-9,
                       "the server's lower figure wins, refilling over a minute when it names no reset")
        var reset = RateBudget(requestsPerMinute: nil, tokensPerMinute: 60_000, now: 0)
        reset.observe(RateLimitRemaining(tokens: 0, tokensReset: .seconds(6)), now: 0)
        XCTAssertEqual(reset.reserve(tokens: 100, now: 0), 6, accuracy: 1e-9, "exhausted: paused until the reset, and full again then")
        var higher = RateBudget(requestsPerMinute: nil, tokensPerMinute: 60_000, now: 0)
        higher.observe(RateLimitRemaining(tokens: 60_000), now: 0)
        XCTAssertEqual(higher.reserve(tokens: 500, now: 0), 0, "a higher figure than ours changes nothing")
        var unlimited = RateBudget(requestsPerMinute: nil, tokensPerMinute: nil, now: 0)
        XCTAssertEqual(unlimited.reserve(tokens: 1_000_000, now: 0), 0)
        unlimited.observe(RateLimitRemaining(tokens: 0, tokensReset: .milliseconds(20)), now: 0)
        XCTAssertEqual(unlimited.reserve(tokens: 1, now: 0), 0.02, accuracy: 1e-9)
        unlimited.pause(for: 2, now: 1)
        XCTAssertEqual(unlimited.reserve(tokens: 1, now: 1), 2, accuracy: 1e-9, "a pause holds everyone")
    }

    /// One simulated send.
    private struct Send { var time: Double; var tokens: Int }

    /// Workers that each book a request, wait, send, get the answer after a random latency (and, when `idle`,
    /// sometimes pause a while), for `minutes` simulated minutes against one pure budget.
    private func simulate(rpm: Int?, tpm: Int?, workers: Int, minutes: Double, tokens: ClosedRange<Int>,
                          idle: Bool, seed: UInt64) -> (sends: [Send], maxEntries: Int) {
        var random = SplitMix64(seed: seed)
        var budget = RateBudget(requestsPerMinute: rpm, tokensPerMinute: tpm, now: 0)
        var next = (0..<workers).map { _ in Double.random(in: 0..<1, using: &random) }
        var sends: [Send] = [], maxEntries = 0
        while let worker = next.indices.min(by: { next[$0] < next[$1] }), next[worker] < minutes * 60 {
            let now = next[worker], size = Int.random(in: tokens, using: &random)
            let send = now + budget.reserve(tokens: size, now: now)
            sends.append(Send(time: send, tokens: size))
            maxEntries = max(maxEntries, budget.entryCount)
            var latency = Double.random(in: 0.02...0.4, using: &random)
            if idle, Double.random(in: 0..<1, using: &random) < 0.05 { latency += Double.random(in: 0...40, using: &random) }
            next[worker] = send + latency
        }
        return (sends, maxEntries)
    }

    /// Checks every 60 s and 1 s window ending at a send (the fullest windows all end at one). Times within 1 µs
    /// of a window's edge count as outside: `now + wait` can be an ulp off the booked time.
    private func checkWindows(_ sends: [Send], rpm: Int?, tpm: Int?, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(sends.map(\.time), sends.map(\.time).sorted(), "first come, first served", file: file, line: line)
        let edge = 1e-6
        var start60 = 0, start1 = 0, tokens60 = 0, tokens1 = 0
        for (k, send) in sends.enumerated() {
            tokens60 += send.tokens
            tokens1 += send.tokens
            while sends[start60].time <= send.time - 60 + edge { tokens60 -= sends[start60].tokens; start60 += 1 }
            while sends[start1].time <= send.time - 1 + edge { tokens1 -= sends[start1].tokens; start1 += 1 }
            guard k + 1 == sends.count || sends[k + 1].time > send.time else { continue }
            let count60 = k - start60 + 1, count1 = k - start1 + 1
            if let rpm {
                XCTAssertLessThanOrEqual(count60, rpm, "requests in the minute to \(send.time)", file: file, line: line)
                let share = Double(rpm) / 60
                XCTAssertLessThan(Double(count1), share + max(1, share) + 1e-9, "requests in the second to \(send.time)", file: file, line: line)
            }
            if let tpm {
                XCTAssertLessThanOrEqual(tokens60, tpm, "tokens in the minute to \(send.time)", file: file, line: line)
                let share = Double(tpm) / 60
                let largest = sends[start1...k].map(\.tokens).max() ?? 0
                XCTAssertLessThan(Double(tokens1), share + max(share, Double(largest)) + 1e-9,
                                  "tokens in the second to \(send.time)", file: file, line: line)
            }
        }
    }

    /// Sent per minute over minutes 1 to `minutes` (the first is left out: it starts from nothing).
    private func perMinute(_ sends: [Send], minutes: Int) -> [(requests: Int, tokens: Int)] {
        (1..<minutes).map { m in
            let inside = sends.filter { $0.time >= Double(m) * 60 && $0.time < Double(m + 1) * 60 }
            return (inside.count, inside.reduce(0) { $0 + $1.tokens })
        }
    }

    func testBudgetPropertyNoWindowOverTheLimitsAndNearTheLimitsUnderLoad() {
        for seed: UInt64 in 1...3 {
            // Tokens bind: 8 workers asking for far more than 400k tokens a minute.
            let tokenBound = simulate(rpm: 120, tpm: 400_000, workers: 8, minutes: 6, tokens: 1...20_000, idle: false, seed: seed)
            checkWindows(tokenBound.sends, rpm: 120, tpm: 400_000)
            for minute in perMinute(tokenBound.sends, minutes: 6) {
                XCTAssertGreaterThanOrEqual(Double(minute.tokens), 0.9 * 400_000, "throughput near the token limit (seed \(seed))")
            }
            // Requests bind.
            let requestBound = simulate(rpm: 120, tpm: 400_000, workers: 8, minutes: 6, tokens: 1...2000, idle: false, seed: seed)
            checkWindows(requestBound.sends, rpm: 120, tpm: 400_000)
            for minute in perMinute(requestBound.sends, minutes: 6) {
                XCTAssertGreaterThanOrEqual(Double(minute.requests), 0.9 * 120, "throughput near the request limit (seed \(seed))")
            }
            // Bursty demand, a high limit, and a limit under one request a second.
            let bursty = simulate(rpm: 3000, tpm: 1_000_000, workers: 16, minutes: 6, tokens: 1...60_000, idle: true, seed: seed)
            checkWindows(bursty.sends, rpm: 3000, tpm: 1_000_000)
            XCTAssertLessThanOrEqual(bursty.maxEntries, 2 * (Int(60 / SlidingLimit.mergeSpan) + 16 + 2), "memory stays bounded")
            let slow = simulate(rpm: 30, tpm: nil, workers: 4, minutes: 6, tokens: 1...10, idle: true, seed: seed)
            checkWindows(slow.sends, rpm: 30, tpm: nil)
        }
    }

    func testPacerSleepsOnTheInjectedClock() async throws {
        let clock = FakeClock()
        let pacer = RatePacer(requestsPerMinute: 2, tokensPerMinute: nil, clock: clock.pacing)
        try await pacer.acquire(tokens: 1)
        XCTAssertEqual(clock.slept, [])
        try await pacer.acquire(tokens: 1)
        XCTAssertEqual(clock.slept, [30], "2 rpm: one request every 30 s")
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
