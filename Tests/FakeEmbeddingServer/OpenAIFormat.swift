import Foundation

/// OpenAI's `POST /v1/embeddings`: request and response shapes, error bodies and status codes.
struct OpenAIFormat: EmbeddingAPIFormat {
    /// The real API's limits: 2048 inputs and 300 000 tokens per request.
    var defaultLimits: (items: Int?, tokens: Int?) { (2048, 300_000) }

    func parse(_ body: [String: Any]) -> Result<EmbedRequest, RefusalBox> {
        guard let inputs = stringOrStrings(body["input"]), !inputs.isEmpty else {
            return .failure(RefusalBox(refusal: .badRequest("'input' is a required property and must be a string or an array of strings")))
        }
        var request = EmbedRequest(model: body["model"] as? String, inputs: inputs)
        guard request.model != nil else {
            return .failure(RefusalBox(refusal: .badRequest("you must provide a model parameter")))
        }
        switch body["encoding_format"] as? String {
        case nil, "float": break
        case "base64": request.base64 = true
        case let other?:
            return .failure(RefusalBox(refusal: .badRequest("'\(other)' is not one of ['float', 'base64'] - 'encoding_format'")))
        }
        if let d = body["dimensions"] {
            guard let n = d as? Int, n >= 1 else {
                return .failure(RefusalBox(refusal: .badRequest("Invalid value for 'dimensions': must be a positive integer.")))
            }
            request.dimensions = n
        }
        return .success(request)
    }

    func refuse(_ refusal: Refusal) -> FakeResponse {
        func error(_ status: Int, _ message: String, type: String, param: String? = nil, code: String?, headers: [(String, String)] = []) -> FakeResponse {
            FakeResponse(status: status, json: .object([("error", .object([
                ("message", .string(message)), ("type", .string(type)),
                ("param", param.map { .string($0) } ?? .null), ("code", code.map { .string($0) } ?? .null),
            ]))]), headers: headers)
        }
        switch refusal {
        case .badRequest(let m): return error(400, m, type: "invalid_request_error", code: nil)
        case .unauthorized:
            // The real message masks the key; the fake never echoes it at all.
            return error(401, "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
                         type: "invalid_request_error", code: "invalid_api_key")
        case .modelNotFound(let m):
            return error(404, "The model `\(m)` does not exist or you do not have access to it.", type: "invalid_request_error", code: "model_not_found")
        case .tooManyItems(let given, let limit):
            return error(400, "Too many inputs: \(given) given, the maximum is \(limit) inputs per request.", type: "invalid_request_error", param: "input", code: nil)
        case .tooManyTokens(let given, let limit):
            return error(400, "Requested \(given) tokens, max \(limit) tokens per request", type: "max_tokens_per_request", param: nil, code: "max_tokens_per_request")
        case .inputTooLong(let given, let limit):
            return error(400, "This model's maximum context length is \(limit) tokens, however you requested \(given) tokens. Please reduce your prompt.",
                         type: "invalid_request_error", param: "input", code: "context_length_exceeded")
        case .rateLimited(let kind, let limit, let used, let requested, let headers):
            let what = kind == "tokens" ? "tokens per min (TPM)" : "requests per min (RPM)"
            return error(429, "Rate limit reached for fake-embedding on \(what): Limit \(limit), Used \(used), Requested \(requested). Please try again later.",
                         type: kind == "tokens" ? "tokens" : "requests", code: "rate_limit_exceeded", headers: headers)
        case .overloaded:
            return error(503, "The engine is currently overloaded, please try again later", type: "server_error", code: nil)
        case .serverError(let status):
            return status == 500
                ? error(500, "The server had an error while processing your request. Sorry about that!", type: "server_error", code: nil)
                : FakeResponse(status: status, text: "<html><body><h1>\(status)</h1></body></html>", contentType: "text/html")
        }
    }

    func success(_ request: EmbedRequest, vectors: [[Float]], corruption: Faults.Corruption?, model: String) -> FakeResponse {
        var data: [JSONValue] = vectors.enumerated().map { i, v in
            let embedding: JSONValue = request.base64 ? .string(Self.base64(v)) : jsonComponents(v, corruption: corruption)
            return .object([("object", .string("embedding")), ("index", .int(i)), ("embedding", embedding)])
        }
        if corruption == .reorderedData { data.reverse() }
        let tokens = request.tokens
        return FakeResponse(status: 200, json: .object([
            ("object", .string("list")), ("data", .array(data)), ("model", .string(request.model ?? model)),
            ("usage", .object([("prompt_tokens", .int(tokens)), ("total_tokens", .int(tokens))])),
        ]))
    }

    /// Little-endian float32 bytes in base64, as `encoding_format: "base64"` answers.
    static func base64(_ v: [Float]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(v.count * 4)
        for f in v {
            let bits = f.bitPattern.littleEndian
            bytes += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF), UInt8(bits >> 24)]
        }
        return Data(bytes).base64EncodedString()
    }
}
