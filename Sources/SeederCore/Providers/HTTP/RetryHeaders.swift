import Foundation

/// Reads the headers servers use to say when to come back and how much budget is left.
public enum RetryHeaders {
    /// How long the server asks to wait: `retry-after-ms`, then `Retry-After` (seconds or an HTTP date), then
    /// OpenAI's `x-ratelimit-reset-requests` / `-tokens` for whichever budget is exhausted. Headers are lowercased.
    public static func retryDelay(_ headers: [String: String], now: Date) -> Duration? {
        if let text = headers["retry-after-ms"], let ms = Double(text.trimmingCharacters(in: .whitespaces)), ms.isFinite, ms >= 0 {
            return .clampedMilliseconds(ms)
        }
        if let text = headers["retry-after"], let delay = retryAfter(text, now: now) { return delay }
        let requests = headers["x-ratelimit-reset-requests"].flatMap(goDuration)
        let tokens = headers["x-ratelimit-reset-tokens"].flatMap(goDuration)
        let requestsOut = headers["x-ratelimit-remaining-requests"].flatMap { Int($0) } == 0
        let tokensOut = headers["x-ratelimit-remaining-tokens"].flatMap { Int($0) } == 0
        // Wait for the budget that ran out; when the headers don't say which, the sooner reset is the guess.
        switch (requestsOut, tokensOut) {
        case (true, true): return [requests, tokens].compactMap { $0 }.max()
        case (true, false): return requests ?? tokens
        case (false, true): return tokens ?? requests
        case (false, false): return [requests, tokens].compactMap { $0 }.min()
        }
    }

    /// `Retry-After`: delta-seconds or an HTTP date (RFC 9110 §10.2.3). A date in the past means now.
    public static func retryAfter(_ text: String, now: Date) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) {
            return seconds.isFinite && seconds >= 0 ? .clampedMilliseconds(seconds * 1000) : nil
        }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) {
                return .clampedMilliseconds(max(0, date.timeIntervalSince(now)) * 1000)
            }
        }
        return nil
    }

    /// A Go-style duration as OpenAI writes them: `1s`, `6m0s`, `20ms`, `1h2m3.5s`, `250us`.
    public static func goDuration(_ text: String) -> Duration? {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        var seconds = 0.0
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("ns", 1e-9), ("h", 3600), ("m", 60), ("s", 1)]
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            // Two-letter units first, so `ms` isn't read as minutes.
            guard let (unit, scale) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            seconds += value * scale
        }
        return .clampedMilliseconds(seconds * 1000)
    }

    /// The budget a server reports left: `x-ratelimit-remaining-requests` and `-tokens`, with their resets.
    public static func remaining(_ headers: [String: String]) -> RateLimitRemaining? {
        let requests = headers["x-ratelimit-remaining-requests"].flatMap { Int($0) }
        let tokens = headers["x-ratelimit-remaining-tokens"].flatMap { Int($0) }
        guard requests != nil || tokens != nil else { return nil }
        return RateLimitRemaining(requests: requests, tokens: tokens,
                                  requestsReset: headers["x-ratelimit-reset-requests"].flatMap(goDuration),
                                  tokensReset: headers["x-ratelimit-reset-tokens"].flatMap(goDuration))
    }
}

/// The budget left according to the server.
public struct RateLimitRemaining: Sendable, Equatable {
    public var requests: Int?
    public var tokens: Int?
    public var requestsReset: Duration?
    public var tokensReset: Duration?

    public init(requests: Int? = nil, tokens: Int? = nil, requestsReset: Duration? = nil, tokensReset: Duration? = nil) {
        self.requests = requests
        self.tokens = tokens
        self.requestsReset = requestsReset
        self.tokensReset = tokensReset
    }
}

extension Duration {
    /// A duration from fractional milliseconds, clamped to a day: a header can say anything.
    static func clampedMilliseconds(_ value: Double) -> Duration {
        .nanoseconds(Int64(min(max(value, 0), 86_400_000) * 1e6))
    }

    /// The duration in seconds, as a Double.
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
