import Foundation

/// Embeds through an HTTP server: OpenAI-compatible, Ollama or TEI (``EmbeddingServerKind``).
///
/// `embed` sends one batch and handles everything a server does to it: paces to RPM/TPM (shared by concurrent
/// calls), retries 408/409/429/5xx and lost connections with backoff, honours `Retry-After` (a 429 holds every
/// concurrent request until then), splits a batch the server refuses (too large, or a plain 400), and validates
/// what comes back. An input the server refuses even alone is returned in ``EmbeddingMatrix/failed`` with the
/// server's message while the rest of the batch succeeds, unless plain 400s look like a configuration problem
/// (``RefusalGuard``), which throws. When the server stays unreachable or failing longer than
/// ``HTTPProviderSettings/giveUpAfter``, `embed` throws a ``ProviderError`` of kind `unavailable`, so the run
/// stops at its checkpoint. Safe to call concurrently.
public final class HTTPEmbeddingProvider: EmbeddingProvider {
    public var kind: String { settings.kind.rawValue }
    public let storedModel: StoredModel
    public let batchLimits: BatchLimits
    public let settings: HTTPProviderSettings
    /// Components per vector the server returns: the stored size, or the model's native size when seeder shortens
    /// the vectors itself (``MatryoshkaTruncation``).
    public let serverDimensions: Int
    /// TEI's `GET /info`, when read at startup (``readingServerInfo()``): the batch limits and the token
    /// estimates' cap (`max_input_length`) come from it.
    public let serverInfo: TEIInfo?
    /// Batches handed to `embed` at once: the configured concurrency (the requests on the wire, and the connection
    /// pool's width), plus two whose request is being encoded or whose answer is being decoded meanwhile.
    public var maxConcurrentBatches: Int { max(1, settings.concurrency) + 2 }

    private let transport: any EmbeddingTransport
    private let format: EmbeddingWireFormat
    private let pacer: RatePacer
    /// Requests on the wire: held from pacing to the end of the exchange, not while encoding or decoding, so the
    /// server always has `concurrency` requests to work on.
    private let requestSlots: BatchGate
    private let outage = OutageTracker()
    private let refusals = RefusalGuard()
    private let clock: PacingClock
    private let random: LockedRandom

    /// A provider over async-http-client, its pool as wide as `settings.concurrency`.
    /// `serverDimensions` larger than `storedModel.dimensions` makes the provider shorten every vector client-side.
    public convenience init(storedModel: StoredModel, settings: HTTPProviderSettings, serverDimensions: Int? = nil) {
        let transport = AsyncHTTPClientTransport(baseURL: settings.baseURL, concurrency: settings.concurrency,
                                                 connectTimeout: settings.connectTimeout)
        self.init(storedModel: storedModel, settings: settings, transport: transport, serverDimensions: serverDimensions)
    }

    /// A provider over any transport; tests pass a scripted one, a fake clock and a seed.
    public init(storedModel: StoredModel, settings: HTTPProviderSettings, transport: any EmbeddingTransport,
                serverDimensions: Int? = nil, serverInfo: TEIInfo? = nil, clock: PacingClock = .system, seed: UInt64? = nil) {
        self.storedModel = storedModel
        self.serverDimensions = serverDimensions ?? storedModel.dimensions
        self.serverInfo = serverInfo
        self.settings = settings
        self.transport = transport
        self.clock = clock
        format = settings.wireFormat
        pacer = RatePacer(requestsPerMinute: settings.requestsPerMinute, tokensPerMinute: settings.tokensPerMinute, clock: clock)
        requestSlots = BatchGate(slots: max(1, settings.concurrency))
        random = LockedRandom(seed: seed)
        var limits = settings.batchLimits ?? serverInfo?.batchLimits ?? Self.defaultLimits(settings.kind)
        // TEI cuts (or refuses) inputs past max_input_length whatever the batch limits say.
        if limits.maxInputTokens == nil { limits.maxInputTokens = serverInfo?.maxInputLength }
        batchLimits = limits
    }

    /// This provider over the same connections, with TEI's `/info` read: batch limits `max_client_batch_size` and
    /// `max_batch_tokens`, and the served model recorded with the run. Throws the provider's "nothing listens"
    /// error (kind `unavailable`) when the server doesn't answer.
    public func readingServerInfo() async throws -> HTTPEmbeddingProvider {
        let info = try await teiInfo()
        return HTTPEmbeddingProvider(storedModel: storedModel, settings: settings, transport: transport,
                                     serverDimensions: serverDimensions, serverInfo: info, clock: clock)
    }

    /// `{"model_id":…,"model_sha":…}` from TEI's `/info`, for `seeder_runs.provider_model`.
    public var providerModel: String? {
        guard let info = serverInfo else { return nil }
        struct Served: Encodable {
            var model_id: String
            var model_sha: String?
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(model_id, forKey: .model_id)
                try c.encode(model_sha, forKey: .model_sha)
            }
            enum CodingKeys: String, CodingKey { case model_id, model_sha }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(Served(model_id: info.modelID, model_sha: info.modelSHA))).map { String(decoding: $0, as: UTF8.self) }
    }

    /// OpenAI documents 2,048 inputs and 300,000 tokens per request; Ollama has no limit of its own; TEI's
    /// default `max_client_batch_size` is 32 (read the real one with ``teiInfo()``).
    static func defaultLimits(_ kind: EmbeddingServerKind) -> BatchLimits {
        switch kind {
        case .openai: BatchLimits(maxItems: 2048, maxTokens: 300_000)
        case .ollama: .none
        case .tei: BatchLimits(maxItems: 32, maxTokens: 16_384)
        }
    }

    /// Dollars for `tokens` tokens, when a price is configured.
    public func cost(tokens: Int) -> Double? {
        settings.pricePerMillionTokens.map { Double(tokens) * $0 / 1_000_000 }
    }

    /// Closes the connection pool; call once, after the last `embed`.
    public func shutdown() async throws {
        try await transport.shutdown()
    }

    public func embed(_ batch: [EmbeddingInput]) async throws -> EmbeddingMatrix {
        var result = Accumulator()
        if !batch.isEmpty { try await embedPart(batch[...], into: &result) }
        // Judged after the whole batch, so a bad input first in the very first batch doesn't stop the run when
        // the rest of the batch goes through.
        if let reason = result.refusedReason, !refusals.hasSucceeded {
            throw misconfigured("refused the input alone before any request succeeded (\(reason))")
        }
        return EmbeddingMatrix(rows: batch.count - result.failed.count, dimensions: storedModel.dimensions,
                               values: result.values, tokensUsed: result.tokensUsed, failed: result.failed, retries: result.retries)
    }

    /// TEI's `GET /info`: its limits and the model it serves.
    public func teiInfo() async throws -> TEIInfo {
        let response: WireResponse
        do {
            response = try await transport.send(authorized(TEIInfo.request), timeout: settings.requestTimeout)
        } catch let error as TransportError {
            throw unreachable(error, after: nil)
        }
        guard response.status == 200 else {
            throw failure("GET /info answered HTTP \(response.status): \(ServerErrorMessage.parse(response.body))")
        }
        do {
            return try TEIInfo.decode(response.body)
        } catch {
            throw failure("GET /info: \(error)")
        }
    }

    // MARK: - One batch

    private struct Accumulator {
        var values: [Float] = []
        var failed: [Int: String] = [:]
        var tokensUsed: Int?
        /// The last plain 400 for an input alone.
        var refusedReason: String?
        /// Requests sent again after a failure or a 429 (metrics).
        var retries = 0
    }

    private enum PartOutcome {
        case embedded(values: [Float], tokens: Int?)
        case tooLarge(String)
        case refused(String)
    }

    /// Embeds `part` (indices are batch positions), halving it while the server says it is too large or refuses
    /// its content.
    private func embedPart(_ part: ArraySlice<EmbeddingInput>, into result: inout Accumulator) async throws {
        let outcome = try await send(part, retries: &result.retries)
        switch outcome {
        case .embedded(let values, let tokens):
            result.values.append(contentsOf: values)
            if let tokens { result.tokensUsed = (result.tokensUsed ?? 0) + tokens }
        case .tooLarge(let reason), .refused(let reason):
            guard part.count > 1 else {
                if case .refused = outcome {
                    let inARow = refusals.refused()
                    if inARow > refusals.limit {
                        throw misconfigured("refused \(inARow) inputs in a row, each alone, with no success in between (last: \(reason))")
                    }
                    result.refusedReason = reason
                }
                result.failed[part.startIndex] = reason
                return
            }
            let middle = part.startIndex + part.count / 2
            try await embedPart(part[part.startIndex..<middle], into: &result)
            try await embedPart(part[middle..<part.endIndex], into: &result)
        }
    }

    /// Sends one request, retrying until it succeeds, is refused as too large, or can't succeed.
    private func send(_ part: ArraySlice<EmbeddingInput>, retries: inout Int) async throws -> PartOutcome {
        let request = try authorized(format.request(part.map(\.text)))
        let tokens = part.reduce(0) { $0 + $1.estimatedTokens }
        var attempt = 0, badResponses = 0
        while true {
            try Task.checkCancellation()
            let outcome: RequestOutcome
            switch try await exchange(request, tokens: tokens) {
            case .success(let response):
                outage.answered()
                pacer.observe(response.headers)
                if (200..<300).contains(response.status) {
                    switch check(response.body, count: part.count) {
                    case .success(let (values, used)):
                        outage.succeeded()
                        refusals.succeeded()
                        return .embedded(values: values, tokens: used)
                    case .failure(let problem):
                        badResponses += 1
                        outcome = .badResponse(problem.problem)
                    }
                } else {
                    outcome = .status(response.status, headers: response.headers, error: ServerErrorMessage.parse(response.body))
                }
            case .failure(let error):
                outcome = .connectionFailed(error)
            }

            let decision = random.with { settings.retry.decide(outcome, attempt: attempt, badResponses: badResponses,
                                                               now: clock.date(), random: &$0) }
            switch decision {
            case .split(let reason):
                return .tooLarge(reason)
            case .refused(let reason):
                return .refused(reason)
            case .fail(let reason):
                throw failure(reason, status: { if case .status(let s, _, _) = outcome { s } else { nil } }())
            case .retry(let delay):
                // Refused before this provider ever got an answer: nothing listens there (a wrong address, a server
                // not started). Say so now rather than after give_up_after_seconds of retries; once the server has
                // answered, a refusal is a restart, and is waited out like any outage.
                if case .connectionFailed(let error) = outcome, error.kind == .refused, !refusals.hasSucceeded, !outage.hasAnswered {
                    throw unreachable(error, after: nil)
                }
                if RetryPolicy.isOutage(outcome) {
                    let failingFor = outage.failed(now: clock.now())
                    if failingFor + delay.inSeconds > settings.giveUpAfter.inSeconds {
                        throw unreachable(outcome, after: failingFor)
                    }
                }
                // A 429 means the server's budget is spent for everyone: hold the other requests too, until the
                // server's reset (or for this backoff when it names none), instead of each earning its own 429.
                if case .status(429, _, _) = outcome { pacer.pause(for: delay.inSeconds) }
                try await clock.sleep(delay.inSeconds)
                attempt += 1
                retries += 1
            }
        }
    }

    /// One exchange with the server. A request slot is held from pacing to the answer, and the slot comes first:
    /// a send the pacer booked goes at its booked time.
    private func exchange(_ request: WireRequest, tokens: Int) async throws -> Result<WireResponse, TransportError> {
        try await requestSlots.acquire(priority: 0)
        defer { requestSlots.release() }
        try await pacer.acquire(tokens: tokens)
        // A request on the wire is not cancelled with its batch (a run stopping): the server answers it and bills
        // it anyway, so its answer is awaited (within the request timeout) and kept.
        let transport = self.transport, timeout = settings.requestTimeout
        let sending = Task { try await transport.send(request, timeout: timeout) }
        do {
            let response = try await sending.value
            // A 429 pauses everyone before this slot is freed: a request waiting for the slot would otherwise go
            // out between the answer and the pause and earn its own 429. `send` lengthens the pause to its backoff.
            if response.status == 429 {
                let asked = RetryHeaders.retryDelay(response.headers, now: clock.date()) ?? settings.retry.baseDelay
                pacer.pause(for: min(asked, settings.retry.maxDelay).inSeconds)
            }
            return .success(response)
        } catch let error as TransportError {
            return .failure(error)
        }
    }

    /// Decodes and validates a 2xx body: the flat values and reported tokens, or what was wrong.
    private func check(_ body: Data, count: Int) -> Result<([Float], Int?), InvalidResponse> {
        let decoded: WireEmbeddings
        do {
            decoded = try format.decode(body)
        } catch {
            return .failure(InvalidResponse(error.description))
        }
        switch EmbeddingResponseValidator.validate(decoded.vectors, expectedCount: count, expectedDimensions: serverDimensions) {
        case .success(let checked):
            guard serverDimensions != storedModel.dimensions else { return .success((checked.values, decoded.tokensUsed)) }
            let shortened = MatryoshkaTruncation.truncateRows(checked.values, fullDimensions: serverDimensions, to: storedModel.dimensions)
            return .success((shortened, decoded.tokensUsed))
        case .failure(let problem): return .failure(InvalidResponse("\(problem) (body starts: \(WireDecodingError.prefix(of: body)))"))
        }
    }

    private func authorized(_ request: WireRequest) -> WireRequest {
        var request = request
        if let key = settings.apiKey, !key.value.isEmpty { request.headers["authorization"] = "Bearer \(key.value)" }
        return request
    }

    // MARK: - Errors

    private func failure(_ reason: String, status: Int? = nil) -> ProviderError {
        let hint: String? = switch status {
        case 401, 403: "check the API key (provider.api_key_env / api_key_file)"
        case 404: "check provider.base_url and that the server has model '\(settings.serverModel)'"
            + (settings.kind == .ollama ? " (`ollama pull \(settings.serverModel)`)" : "")
        default: nil
        }
        return ProviderError(provider: kind, message: "\(settings.displayURL)\(format.path): \(reason)", hint: hint)
    }

    /// Plain 400s that look like the configuration's fault rather than the inputs'.
    private func misconfigured(_ what: String) -> ProviderError {
        ProviderError(provider: kind, message: "\(settings.displayURL)\(format.path) \(what)",
                      hint: "a 400 for every input usually means a configuration problem: check provider.server_model "
                          + "('\(settings.serverModel)') and the other [provider] settings (dimensions, encoding_format, truncate)")
    }

    private func unreachable(_ outcome: RequestOutcome, after seconds: Double?) -> ProviderError {
        switch outcome {
        case .connectionFailed(let error): return unreachable(error, after: seconds)
        default:
            let what = if case .status(let status, _, let error) = outcome { "HTTP \(status): \(error)" } else { "\(outcome)" }
            return ProviderError(provider: kind, message: "\(settings.displayURL) kept failing for \(Int(seconds ?? 0))s (last: \(what))",
                                 hint: "the run stops at its checkpoint; resume it when the server is healthy", kind: .unavailable)
        }
    }

    private func unreachable(_ error: TransportError, after seconds: Double?) -> ProviderError {
        let hint = error.kind == .refused ? settings.kind.nothingListensHint(address: settings.address, model: settings.serverModel)
            : "the run stops at its checkpoint; resume it when \(settings.address) answers"
        let duration = seconds.map { " for \(Int($0))s" } ?? ""
        return ProviderError(provider: kind, message: "no answer from \(settings.displayURL)\(duration): \(error)", hint: hint, kind: .unavailable)
    }
}

/// A random number generator shared by concurrent requests: seeded in tests, seeded from the system's otherwise.
final class LockedRandom: @unchecked Sendable {
    private let lock = NSLock()
    private var generator: SplitMix64

    init(seed: UInt64?) {
        var system = SystemRandomNumberGenerator()
        generator = SplitMix64(seed: seed ?? system.next())
    }

    func with<T>(_ body: (inout SplitMix64) -> T) -> T {
        lock.withLock { body(&generator) }
    }
}
