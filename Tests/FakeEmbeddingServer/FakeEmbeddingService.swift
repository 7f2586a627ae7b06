import Foundation

/// The fake's decisions for one request, independent of the transport: route, authenticate, wait, apply the
/// faults and limits in a fixed order, answer, and record.
struct FakeEmbeddingService: Sendable {
    let config: FakeServerConfiguration
    let state: ServerState

    /// How the `Authorization` header compares with the expected key (the key itself goes nowhere).
    func authorization(_ header: String?) -> RequestRecord.Authorization {
        guard let header else { return .missing }
        guard let expected = state.faults.expectedAPIKey else { return .matched }
        return header == "Bearer \(expected)" ? .matched : .mismatched
    }

    func format(for path: String) -> (any EmbeddingAPIFormat)? {
        switch path {
        case "/v1/embeddings" where config.apis.contains(.openAI): return OpenAIFormat()
        case "/api/embed" where config.apis.contains(.ollama): return OllamaFormat()
        case "/embed" where config.apis.contains(.tei): return TEIFormat()
        default: return nil
        }
    }

    /// The answer to a complete request, recorded in the log before it is returned.
    func respond(method: String, path: String, auth: RequestRecord.Authorization, body: [UInt8], arrival: Double) async -> FakeResponse {
        var record = RequestRecord(arrival: arrival, path: path, items: 0, tokens: 0, status: 0, fault: nil, authorization: auth)
        var inputs: [String] = []
        let response = await decide(method: method, path: path, auth: auth, body: body, record: &record, inputs: &inputs)
        record.status = response.dropHalfway ? 0 : response.status
        state.record(record, inputs: inputs)
        return response
    }

    private func decide(method: String, path: String, auth: RequestRecord.Authorization, body: [UInt8],
                        record: inout RequestRecord, inputs: inout [String]) async -> FakeResponse {
        if config.apis.contains(.tei) && method == "GET" {
            if path == "/info" { return TEIFormat().info(config, faults: state.faults) }
            if path == "/health" { return FakeResponse(status: 200, text: "") }
        }
        guard method == "POST", let format = format(for: path) else {
            return FakeResponse(status: 404, text: "404 page not found")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)), let json = object as? [String: Any] else {
            return format.refuse(.badRequest("We could not parse the JSON body of your request."))
        }
        var request: EmbedRequest
        switch format.parse(json) {
        case .failure(let box): return format.refuse(box.refusal)
        case .success(let r): request = r
        }
        // Truncation as each service does it: Ollama by default to its context, TEI only when asked.
        if format is OllamaFormat, request.truncate != false {
            request.tokenCap = request.contextLength ?? config.ollamaContextLength
        } else if format is TEIFormat, request.truncate == true {
            request.tokenCap = config.teiMaxInputLength
        }
        inputs = request.inputs
        record.items = request.inputs.count
        record.tokens = request.tokens

        var faults = state.faults
        if faults.expectedAPIKey != nil && auth != .matched { return format.refuse(.unauthorized) }
        if let model = request.model, let known = faults.knownModels, !known.contains(model) {
            return format.refuse(.modelNotFound(model))
        }

        let isTEI = format is TEIFormat
        let isOpenAI = format is OpenAIFormat
        let inFlight = state.enter()
        defer { state.leave() }
        record.inFlight = inFlight
        // The latency is the service time, from the request's arrival to the answer being ready, as a client measures
        // a real service: the answer is built before the wait (faults, decided after it, may replace it), so the
        // fake's own CPU time isn't added on top.
        let dimensions = request.dimensions ?? config.dimensions
        let prepared: FakeResponse? = dimensions <= config.dimensions
            ? format.success(request, vectors: request.inputs.map { FakeVectors.vector(for: $0, dimensions: dimensions) }, corruption: nil, model: config.modelName)
            : nil
        let delay = faults.latencyMs + state.draw(upTo: faults.jitterMs)
        let remaining = Double(delay) / 1000 - (state.now() - record.arrival)
        if remaining > 0 { try? await Task.sleep(nanoseconds: UInt64(remaining * 1e9)) }
        faults = state.faults

        if state.fires(\.rateLimit) {
            record.fault = "rateLimit"
            return format.refuse(.rateLimited(kind: "requests", limit: 0, used: 0, requested: 1, headers: retryHeaders(faults.retryAfter)))
        }
        if state.fires(\.serverError) {
            let status = [500, 502, 503][state.draw(upTo: 2)]
            record.fault = "serverError"
            return format.refuse(.serverError(status))
        }
        if isTEI && inFlight > config.teiMaxConcurrentRequests {
            record.fault = "overloaded"
            return format.refuse(.overloaded)
        }
        if let limit = faults.maxItems ?? format.defaultLimits.items, request.inputs.count > limit {
            record.fault = "maxItems"
            return format.refuse(.tooManyItems(given: request.inputs.count, limit: limit))
        }
        let inputLimit = isTEI ? config.teiMaxInputLength
            : format is OllamaFormat ? (request.contextLength ?? config.ollamaContextLength) : nil
        if let inputLimit, request.tokenCap == nil,
           let longest = request.inputs.map(FakeVectors.tokens(for:)).max(), longest > inputLimit {
            record.fault = "maxInputLength"
            return format.refuse(.inputTooLong(given: longest, limit: inputLimit))
        }
        if let limit = faults.maxTokens ?? format.defaultLimits.tokens, request.tokens > limit {
            record.fault = "maxTokens"
            return format.refuse(.tooManyTokens(given: request.tokens, limit: limit))
        }
        // Counted at arrival, the same instant the log records, so the log's windows and the limiter agree.
        var limitHeaders: [(String, String)] = []
        if faults.rpm != nil || faults.tpm != nil {
            switch state.admit(tokens: request.tokens, at: record.arrival) {
            case .success(let headers): limitHeaders = isOpenAI ? headers : []
            case .failure(let box):
                if case .rateLimited(let kind, _, _, _, _) = box.refusal { record.fault = kind == "tokens" ? "tpm" : "rpm" }
                return format.refuse(box.refusal)
            }
        }

        // Like text-embedding-3, a model can shorten its vectors but not lengthen them.
        if let asked = request.dimensions, asked > config.dimensions {
            return format.refuse(.badRequest("This model does not support dimensions above \(config.dimensions)."))
        }
        let corruption: Faults.Corruption? = state.fires(\.corruption) ? faults.corruptionKind : nil
        var response: FakeResponse
        if corruption == nil, let prepared {
            response = prepared
        } else {
            let vectors = spoil(request.inputs.map { FakeVectors.vector(for: $0, dimensions: dimensions) }, with: corruption)
            response = format.success(request, vectors: vectors, corruption: corruption, model: config.modelName)
        }
        response.headers += limitHeaders
        if let corruption {
            record.fault = "corruption.\(corruption)"
            if corruption == .malformedJSON { response.body = Array(response.body.prefix(response.body.count / 2)) }
        }
        if faults.dropPoint == .midResponse && state.fires(\.drop) {
            record.fault = "drop.midResponse"
            response.dropHalfway = true
        }
        return response
    }

    private func retryHeaders(_ retry: Faults.RetryAfter) -> [(String, String)] {
        switch retry {
        case .none: return []
        case .seconds(let s): return [("retry-after", String(s))]
        case .milliseconds(let ms): return [("retry-after-ms", String(ms)), ("retry-after", String((ms + 999) / 1000))]
        }
    }
}
