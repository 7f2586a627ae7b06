/// Ollama's `POST /api/embed`: request and response shapes and its `{"error": "…"}` bodies.
struct OllamaFormat: EmbeddingAPIFormat {
    /// Ollama itself has no per-request item or token limit (only the model's context, per input).
    var defaultLimits: (items: Int?, tokens: Int?) { (nil, nil) }

    func parse(_ body: [String: Any]) -> Result<EmbedRequest, RefusalBox> {
        guard let model = body["model"] as? String, !model.isEmpty else {
            return .failure(RefusalBox(refusal: .badRequest("model is required")))
        }
        guard let inputs = stringOrStrings(body["input"] ?? [Any]()) else {
            return .failure(RefusalBox(refusal: .badRequest("invalid input type")))
        }
        var request = EmbedRequest(model: model, inputs: inputs)
        request.truncate = body["truncate"] as? Bool
        request.contextLength = (body["options"] as? [String: Any])?["num_ctx"] as? Int
        return .success(request)
    }

    func refuse(_ refusal: Refusal) -> FakeResponse {
        func error(_ status: Int, _ message: String, headers: [(String, String)] = []) -> FakeResponse {
            FakeResponse(status: status, json: .object([("error", .string(message))]), headers: headers)
        }
        switch refusal {
        case .badRequest(let m): return error(400, m)
        case .unauthorized: return error(401, "unauthorized")
        case .modelNotFound(let m): return error(404, "model \"\(m)\" not found, try pulling it first")
        case .tooManyItems(let given, let limit): return error(400, "too many inputs: \(given) > \(limit)")
        case .tooManyTokens, .inputTooLong: return error(400, "the input length exceeds the context length")
        case .rateLimited(_, _, _, _, let headers): return error(429, "too many requests", headers: headers)
        case .overloaded: return error(503, "server busy, please try again.  maximum pending requests exceeded")
        case .serverError(let status):
            return status == 500 ? error(500, "llama runner process has terminated: signal: killed")
                : FakeResponse(status: status, text: "<html><body><h1>\(status)</h1></body></html>", contentType: "text/html")
        }
    }

    func success(_ request: EmbedRequest, vectors: [[Float]], corruption: Faults.Corruption?, model: String) -> FakeResponse {
        // Durations are nanoseconds, as Ollama reports them; fixed so answers are reproducible.
        FakeResponse(status: 200, json: .object([
            ("model", .string(request.model ?? model)),
            ("embeddings", .array(vectors.map { jsonComponents($0, corruption: corruption) })),
            ("total_duration", .int(1_000_000 * max(1, vectors.count))), ("load_duration", .int(100_000)),
            ("prompt_eval_count", .int(request.tokens)),
        ]))
    }
}
