/// Hugging Face text-embeddings-inference `POST /embed` and `GET /info`, with its `{"error","error_type"}` bodies.
struct TEIFormat: EmbeddingAPIFormat {
    /// TEI's launcher defaults: `--max-client-batch-size 32`, `--max-batch-tokens 16384`.
    var defaultLimits: (items: Int?, tokens: Int?) { (32, 16_384) }

    func parse(_ body: [String: Any]) -> Result<EmbedRequest, RefusalBox> {
        guard let inputs = stringOrStrings(body["inputs"]) else {
            return .failure(RefusalBox(refusal: .badRequest("Failed to deserialize the JSON body into the target type: missing field `inputs`")))
        }
        guard !inputs.isEmpty else { return .failure(RefusalBox(refusal: .badRequest("`inputs` cannot be empty"))) }
        var request = EmbedRequest(model: nil, inputs: inputs)
        request.truncate = body["truncate"] as? Bool
        return .success(request)
    }

    func refuse(_ refusal: Refusal) -> FakeResponse {
        func error(_ status: Int, _ message: String, _ type: String, headers: [(String, String)] = []) -> FakeResponse {
            FakeResponse(status: status, json: .object([("error", .string(message)), ("error_type", .string(type))]), headers: headers)
        }
        switch refusal {
        // axum answers undecodable bodies with 422 and plain text; the fake keeps TEI's JSON shape.
        case .badRequest(let m): return error(422, m, "Validation")
        case .unauthorized: return FakeResponse(status: 401, text: "")
        case .modelNotFound(let m): return error(422, "model \(m) is not served", "Validation")
        case .tooManyItems(let given, let limit):
            return error(413, "batch size \(given) > maximum allowed batch size \(limit)", "Validation")
        case .tooManyTokens(let given, let limit):
            return error(422, "batch tokens \(given) > max_batch_tokens \(limit)", "Validation")
        case .inputTooLong(let given, let limit):
            return error(422, "`inputs` must have less than \(limit) tokens. Given: \(given)", "Validation")
        case .rateLimited(_, _, _, _, let headers):
            return error(429, "Model is overloaded", "Overloaded", headers: headers)
        case .overloaded:
            return error(429, "Model is overloaded", "Overloaded")
        case .serverError(let status):
            return status == 500 ? error(500, "Backend error: inference failed", "Backend")
                : FakeResponse(status: status, text: "<html><body><h1>\(status)</h1></body></html>", contentType: "text/html")
        }
    }

    func success(_ request: EmbedRequest, vectors: [[Float]], corruption: Faults.Corruption?, model: String) -> FakeResponse {
        FakeResponse(status: 200, json: .array(vectors.map { jsonComponents($0, corruption: corruption) }))
    }

    /// `GET /info` as TEI answers it, with the limits in force.
    func info(_ config: FakeServerConfiguration, faults: Faults) -> FakeResponse {
        FakeResponse(status: 200, json: .object([
            ("model_id", .string(config.modelName)), ("model_sha", config.modelSHA.map(JSONValue.string) ?? .null), ("model_dtype", .string("float32")),
            ("model_type", .object([("embedding", .object([("pooling", .string("mean"))]))])),
            ("max_concurrent_requests", .int(config.teiMaxConcurrentRequests)),
            ("max_input_length", .int(config.teiMaxInputLength)),
            ("max_batch_tokens", .int(faults.maxTokens ?? defaultLimits.tokens ?? 0)),
            ("max_batch_requests", .null),
            ("max_client_batch_size", .int(faults.maxItems ?? defaultLimits.items ?? 0)),
            ("auto_truncate", .bool(false)), ("tokenization_workers", .int(1)),
            ("version", .string("1.8.0-fake")), ("sha", .null), ("docker_label", .null),
        ]))
    }
}
