/// Keeps requests and tokens per minute under configured limits: two token buckets, each holding one minute's
/// budget and refilling continuously. Pure: the caller passes the time (seconds on a monotonic clock).
///
/// `reserve` takes the budget at once and returns how long to wait before sending. Reserving ahead (the bucket
/// may go negative) queues concurrent callers fairly without a lock held across the wait. A request bigger than
/// a whole minute's token budget waits for a full bucket and then goes alone: everything after it waits for
/// the deficit it leaves.
public struct RateBudget: Sendable, Equatable {
    public let requestsPerMinute: Int?
    public let tokensPerMinute: Int?
    private var requests: Double
    private var tokens: Double
    private var updated: Double
    /// Nothing goes before this time: the server said a budget is exhausted until then.
    private var pausedUntil: Double = -.infinity

    public init(requestsPerMinute: Int?, tokensPerMinute: Int?, now: Double) {
        self.requestsPerMinute = requestsPerMinute.map { max($0, 1) }
        self.tokensPerMinute = tokensPerMinute.map { max($0, 1) }
        requests = Double(self.requestsPerMinute ?? 0)
        tokens = Double(self.tokensPerMinute ?? 0)
        updated = now
    }

    private mutating func refill(_ now: Double) {
        let elapsed = max(0, now - updated)
        if let rpm = requestsPerMinute { requests = min(Double(rpm), requests + elapsed * Double(rpm) / 60) }
        if let tpm = tokensPerMinute { tokens = min(Double(tpm), tokens + elapsed * Double(tpm) / 60) }
        updated = max(updated, now)
    }

    /// Takes one request and `tokenCount` tokens from the budget; returns the seconds to wait before sending.
    public mutating func reserve(tokens tokenCount: Int, now: Double) -> Double {
        refill(now)
        var wait = max(0, pausedUntil - now)
        if let rpm = requestsPerMinute {
            if requests < 1 { wait = max(wait, (1 - requests) * 60 / Double(rpm)) }
            requests -= 1
        }
        if let tpm = tokensPerMinute {
            let needed = min(Double(max(tokenCount, 0)), Double(tpm))
            if tokens < needed { wait = max(wait, (needed - tokens) * 60 / Double(tpm)) }
            tokens -= Double(max(tokenCount, 0))
        }
        return wait
    }

    /// Takes the server's word for what is left when it is less than this budget thinks, and pauses everything
    /// until the reset when a budget is exhausted: the server's limit may be lower than the configured one, or
    /// shared with other clients.
    public mutating func observe(_ remaining: RateLimitRemaining, now: Double) {
        refill(now)
        if let left = remaining.requests {
            if requestsPerMinute != nil { requests = min(requests, Double(left)) }
            if left <= 0, let reset = remaining.requestsReset { pausedUntil = max(pausedUntil, now + reset.inSeconds) }
        }
        if let left = remaining.tokens {
            if tokensPerMinute != nil { tokens = min(tokens, Double(left)) }
            if left <= 0, let reset = remaining.tokensReset { pausedUntil = max(pausedUntil, now + reset.inSeconds) }
        }
    }
}
