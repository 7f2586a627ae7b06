/// Keeps requests and tokens per minute under configured limits. Pure: the caller passes the time (seconds on
/// a monotonic clock).
///
/// Each limit is a ``SlidingLimit``: no 60 s window holds more than the limit, and sending is paced evenly, at
/// most about two seconds' share in any one second, instead of a minute's budget at once.
///
/// `reserve` books the send time at once and returns how long to wait before sending. Reserving ahead, first
/// come first served, queues concurrent callers fairly without a lock held across the wait. A request bigger
/// than a whole minute's token budget goes alone: it waits for a window with no other tokens in it, and nothing
/// follows it for a minute. Memory stays bounded: one entry per 50 ms of sending in the last minute, per limit.
public struct RateBudget: Sendable, Equatable {
    public let requestsPerMinute: Int?
    public let tokensPerMinute: Int?
    private var requests: SlidingLimit?
    private var tokens: SlidingLimit?
    /// Nothing goes before this time: the server said a budget is exhausted until then, or answered 429.
    private var pausedUntil: Double = -.infinity
    /// The latest send time booked; reservations never go before it.
    private var lastSend: Double = -.infinity

    public init(requestsPerMinute: Int?, tokensPerMinute: Int?, now: Double) {
        self.requestsPerMinute = requestsPerMinute.map { max($0, 1) }
        self.tokensPerMinute = tokensPerMinute.map { max($0, 1) }
        requests = self.requestsPerMinute.map { SlidingLimit(perMinute: $0, now: now) }
        tokens = self.tokensPerMinute.map { SlidingLimit(perMinute: $0, now: now) }
    }

    /// Books one request of `tokenCount` tokens; returns the seconds to wait before sending it.
    public mutating func reserve(tokens tokenCount: Int, now: Double) -> Double {
        requests?.prune(now)
        tokens?.prune(now)
        var send = max(now, pausedUntil, lastSend)
        // Each limit's earliest time still fits at any later time, so the later of the two fits both.
        if let requests { send = requests.earliest(1, from: send) }
        if let tokens { send = tokens.earliest(tokenCount, from: send) }
        requests?.record(1, at: send)
        tokens?.record(tokenCount, at: send)
        lastSend = send
        return send - now
    }

    /// Holds every request until `seconds` from now (a 429, or a budget the server says is exhausted).
    public mutating func pause(for seconds: Double, now: Double) {
        guard seconds > 0, seconds.isFinite else { return }
        pausedUntil = max(pausedUntil, now + seconds)
    }

    /// How long requests are still held by a pause.
    public func paused(now: Double) -> Double { max(0, pausedUntil - now) }

    /// Takes the server's word for what is left when it is less than this budget thinks, and pauses everything
    /// until the reset when a budget is exhausted: the server's limit may be lower than the configured one, or
    /// shared with other clients.
    public mutating func observe(_ remaining: RateLimitRemaining, now: Double) {
        if let left = remaining.requests {
            requests?.observe(remaining: left, reset: remaining.requestsReset?.inSeconds, now: now)
            if left <= 0, let reset = remaining.requestsReset { pause(for: reset.inSeconds, now: now) }
        }
        if let left = remaining.tokens {
            tokens?.observe(remaining: left, reset: remaining.tokensReset?.inSeconds, now: now)
            if left <= 0, let reset = remaining.tokensReset { pause(for: reset.inSeconds, now: now) }
        }
    }

    /// Log entries kept across both limits (for tests of the memory bound).
    var entryCount: Int { (requests?.entryCount ?? 0) + (tokens?.entryCount ?? 0) }
}
