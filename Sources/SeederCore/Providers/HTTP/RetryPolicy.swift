import Foundation

/// What happened to one request, as the retry policy sees it.
public enum RequestOutcome: Sendable, Equatable {
    /// The server answered with a non-2xx status.
    case status(Int, headers: [String: String], error: ServerErrorMessage)
    /// No answer: refused, reset, timed out.
    case connectionFailed(TransportError)
    /// A 2xx whose body was malformed or failed validation.
    case badResponse(String)
}

/// What to do after a failed request.
public enum RetryDecision: Sendable, Equatable {
    /// Send the same request again after this long (408, 409, 429, 5xx, TEI's 424, no answer, a bad 2xx).
    case retry(after: Duration)
    /// The request is too big for the server (413, 422, a 400 that says so): send each half on its own; a
    /// single input fails alone. TEI answers 413 for batch size and input length, 422 for tokenizer errors.
    case split(reason: String)
    /// The server refused the request's content (a plain 400, e.g. OpenAI's for an empty or invalid input):
    /// split a batch to find the input; an input refused alone fails alone, unless every input is refused (a
    /// configuration problem, which the provider tells apart).
    case refused(reason: String)
    /// Retrying won't help (401, 403, 404, other 4xx, or too many bad responses).
    case fail(reason: String)
}

/// Which failures to retry and how long to wait. Pure: the caller passes the attempt number, the clock's date,
/// and a random number generator (seeded in tests).
public struct RetryPolicy: Sendable, Equatable {
    /// The first backoff's upper bound; each attempt doubles it.
    public var baseDelay: Duration
    /// No backoff is longer than this, nor is a server's `Retry-After` honoured beyond it.
    public var maxDelay: Duration
    /// Malformed or invalid 2xx responses to retry before failing (servers glitch; a persistent one is a bug).
    public var maxBadResponses: Int

    public init(baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(60), maxBadResponses: Int = 3) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxBadResponses = maxBadResponses
    }

    public static let standard = RetryPolicy()

    /// Whether a failure counts towards the provider being unavailable (the "give up after" clock).
    public static func isOutage(_ outcome: RequestOutcome) -> Bool {
        switch outcome {
        case .connectionFailed: true
        // 408 and 409 too: a server that answers nothing else is as unavailable as one that answers 503.
        case .status(let status, _, _): status == 408 || status == 409 || status == 424 || status == 429 || status >= 500
        case .badResponse: false
        }
    }

    /// The decision after `attempt` failed attempts (0 for the first failure). `badResponses` counts this
    /// request's bad 2xx responses so far, this one included.
    public func decide<R: RandomNumberGenerator>(_ outcome: RequestOutcome, attempt: Int, badResponses: Int = 0,
                                                 now: Date, random: inout R) -> RetryDecision {
        switch outcome {
        case .connectionFailed:
            return .retry(after: backoff(attempt: attempt, random: &random))
        case .badResponse(let problem):
            guard badResponses <= maxBadResponses else {
                return .fail(reason: "\(problem) (\(badResponses) bad responses in a row)")
            }
            return .retry(after: backoff(attempt: attempt, random: &random))
        case .status(let status, let headers, let error):
            if status == 413 || status == 422 || (status == 400 && Self.saysTooLarge(error)) {
                return .split(reason: "HTTP \(status): \(error)")
            }
            // TEI answers 424 when its model backend fails: a server fault like a 500, not the request's.
            if status == 408 || status == 409 || status == 424 || status == 429 || status >= 500 {
                let jittered = backoff(attempt: attempt, random: &random)
                guard let asked = RetryHeaders.retryDelay(headers, now: now) else { return .retry(after: jittered) }
                // The server knows when its budget refills; waiting less only earns another 429.
                return .retry(after: min(asked, maxDelay))
            }
            if status == 400 { return .refused(reason: "HTTP 400: \(error)") }
            return .fail(reason: "HTTP \(status): \(error)")
        }
    }

    /// Exponential backoff with full jitter: uniform in [0, min(maxDelay, baseDelay·2^attempt)].
    public func backoff<R: RandomNumberGenerator>(attempt: Int, random: inout R) -> Duration {
        let base = baseDelay.inSeconds, cap = maxDelay.inSeconds
        let bound = min(cap, base * pow(2, Double(min(max(attempt, 0), 62))))
        guard bound > 0 else { return .zero }
        return .clampedMilliseconds(Double.random(in: 0...bound, using: &random) * 1000)
    }

    /// Whether a 400's message says the request has too many tokens or inputs (OpenAI's
    /// `max_tokens_per_request`, "maximum context length", TEI's "batch size … > maximum allowed batch size").
    public static func saysTooLarge(_ error: ServerErrorMessage) -> Bool {
        let text = (error.message + " " + (error.code ?? "")).lowercased()
        let markers = ["max_tokens_per_request", "too many tokens", "too many inputs", "maximum context length",
                       "maximum allowed batch size", "batch size", "context length", "too long", "too large",
                       "maximum request size", "max_batch_tokens", "must have less than"]
        return markers.contains { text.contains($0) }
    }
}
