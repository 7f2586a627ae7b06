/// Everything the fake server can do wrong on purpose. Set at start and changed while running through
/// ``FakeEmbeddingServer/updateFaults(_:)``; every field defaults to behaving well.
public struct Faults: Sendable {
    /// How a 429 tells the client to wait.
    public enum RetryAfter: Sendable, Equatable {
        /// `retry-after: N` (whole seconds), as every protocol's proxies send it.
        case seconds(Int)
        /// `retry-after-ms: N` plus `retry-after` rounded up to seconds, as OpenAI sends both.
        case milliseconds(Int)
        /// No hint at all.
        case none
    }

    /// Where a dropped connection is closed.
    public enum DropPoint: Sendable, Equatable {
        /// As soon as the request head arrived, before the body is read and without any answer.
        case midRequest
        /// After the status line, headers and half of the body were written.
        case midResponse
    }

    /// How a successful answer is spoiled. Unless said otherwise the first item is the one spoiled.
    public enum Corruption: Sendable, Equatable {
        /// The body is cut in half: a well-framed HTTP response whose JSON does not parse.
        case malformedJSON
        /// The first vector has one component fewer than asked for.
        case wrongDimensions
        /// The first vector's first component is NaN: real NaN bits in base64; in JSON the bare token `NaN`,
        /// which Python's `json.dumps` (behind many servers) writes, and which strict parsers reject.
        case nan
        /// The first vector's first component is infinite: real bits in base64; in JSON `1e999`, a number that
        /// overflows a double, as servers that print floats with too much exponent produce.
        case infinity
        /// The first vector is all zeros (cannot be normalized).
        case zeroVector
        /// One vector fewer than inputs (the last one is missing).
        case missingVector
        /// One vector more than inputs (a copy of the last one).
        case extraVector
        /// OpenAI only: `data` in reverse order with correct `index` fields, which the real API permits.
        case reorderedData
    }

    /// Fixed delay before every answer, in milliseconds.
    public var latencyMs: Int = 0
    /// Extra delay drawn uniformly from 0...jitterMs per request.
    public var jitterMs: Int = 0

    /// Injected 429s (before the RPM/TPM limits are looked at).
    public var rateLimit: FaultTrigger = .never
    /// The hint sent with injected 429s.
    public var retryAfter: RetryAfter = .seconds(1)

    /// Injected 500, 502 or 503 (picked by the seeded generator).
    public var serverError: FaultTrigger = .never

    /// Connections closed without a complete answer.
    public var drop: FaultTrigger = .never
    /// Where ``drop`` closes.
    public var dropPoint: DropPoint = .midResponse

    /// Successful answers spoiled by ``corruptionKind``.
    public var corruption: FaultTrigger = .never
    /// What ``corruption`` does.
    public var corruptionKind: Corruption = .malformedJSON

    /// Refuse requests with more items than this, with the protocol's real status and message.
    public var maxItems: Int?
    /// Refuse requests with more tokens (summed over items) than this.
    public var maxTokens: Int?

    /// Requests per minute enforced like OpenAI (429 with `x-ratelimit-*` headers), over a sliding 60 s window.
    public var rpm: Int?
    /// Tokens per minute enforced the same way.
    public var tpm: Int?

    /// When set (seconds, under 60), RPM and TPM are also enforced pro rata over this shorter sliding window,
    /// e.g. 1 → at most ⌈rpm/60⌉ requests in any second, so a client that bursts a minute's budget is refused.
    public var rateBurstWindow: Double?

    /// The key expected in `Authorization: Bearer …`; nil accepts any or none.
    public var expectedAPIKey: String?

    /// Models that exist; nil accepts every name. Others get the protocol's "model not found".
    public var knownModels: Set<String>?

    /// A server that behaves.
    public init() {}
}
