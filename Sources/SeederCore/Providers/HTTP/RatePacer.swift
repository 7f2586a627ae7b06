import Foundation

/// A ``RateBudget`` shared by every concurrent `embed` call of one provider.
public final class RatePacer: @unchecked Sendable {
    private let lock = NSLock()
    private var budget: RateBudget
    private let clock: PacingClock

    public init(requestsPerMinute: Int?, tokensPerMinute: Int?, clock: PacingClock) {
        self.clock = clock
        budget = RateBudget(requestsPerMinute: requestsPerMinute, tokensPerMinute: tokensPerMinute, now: clock.now())
    }

    /// Waits until a request of `tokens` tokens fits the budget.
    public func acquire(tokens: Int) async throws {
        var wait = lock.withLock { budget.reserve(tokens: tokens, now: clock.now()) }
        while wait > 0 {
            try await clock.sleep(wait)
            // A 429 may have paused everyone while this caller slept: its booking is void, so it books again after
            // the pause. The old booking still counts, which only errs on the slow side.
            wait = lock.withLock {
                let now = clock.now()
                return budget.paused(now: now) > 0 ? budget.reserve(tokens: tokens, now: now) : 0
            }
        }
    }

    /// Holds every caller for `seconds` (the server answered 429): requests already waiting go after it too.
    public func pause(for seconds: Double) {
        lock.withLock { budget.pause(for: seconds, now: clock.now()) }
    }

    /// Applies what a response's `x-ratelimit-remaining-*` headers say.
    public func observe(_ headers: [String: String]) {
        guard let remaining = RetryHeaders.remaining(headers) else { return }
        lock.withLock { budget.observe(remaining, now: clock.now()) }
    }
}

/// Tracks how long a provider has been failing (refused, 5xx, 429) without one success in between, across
/// concurrent requests.
public final class OutageTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var failingSince: Double?
    private var everAnswered = false

    public init() {}

    /// Any success ends the outage.
    public func succeeded() { lock.withLock { failingSince = nil } }

    /// The server sent an HTTP response (any status): something listens at its address.
    public func answered() { lock.withLock { everAnswered = true } }

    /// Whether the server has ever sent an HTTP response.
    public var hasAnswered: Bool { lock.withLock { everAnswered } }

    /// Records a failure at `now`; returns how long the provider has been failing.
    public func failed(now: Double) -> Double {
        lock.withLock {
            let since = failingSince ?? now
            failingSince = since
            return now - since
        }
    }
}
