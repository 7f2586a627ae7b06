/// An answer the fake is about to write, before transport faults (a drop mid-response) are applied.
struct FakeResponse: Sendable {
    var status: Int
    var headers: [(String, String)] = [("content-type", "application/json")]
    var body: [UInt8]
    /// Write the head and half the body, then close: the mid-response drop.
    var dropHalfway = false

    init(status: Int, json: JSONValue, headers: [(String, String)] = []) {
        self.status = status
        self.body = json.bytes
        self.headers = [("content-type", "application/json")] + headers
    }

    init(status: Int, text: String, contentType: String = "text/plain") {
        self.status = status
        self.body = Array(text.utf8)
        self.headers = [("content-type", contentType)]
    }
}

/// What an embedding request asked for, whichever protocol carried it.
struct EmbedRequest: Sendable {
    var model: String?
    var inputs: [String]
    /// OpenAI `encoding_format: "base64"`.
    var base64 = false
    /// OpenAI `dimensions`.
    var dimensions: Int?
    /// Ollama `truncate` (defaults to true there) and TEI `truncate` (defaults to false there).
    var truncate: Bool?
    /// Ollama `options.num_ctx`.
    var contextLength: Int?
    /// Tokens kept per input once truncation applied (nil: no truncation).
    var tokenCap: Int?

    /// Tokens counted (and billed) for the request, after truncation.
    var tokens: Int { inputs.reduce(0) { $0 + min(FakeVectors.tokens(for: $1), tokenCap ?? .max) } }
}

/// Why a request is refused; each protocol words and codes it as the real service does.
enum Refusal: Sendable {
    case badRequest(String)
    case unauthorized
    case modelNotFound(String)
    case tooManyItems(given: Int, limit: Int)
    case tooManyTokens(given: Int, limit: Int)
    case inputTooLong(given: Int, limit: Int)
    /// Rate limited: the headers to send and, for the message, which limit ("requests", "tokens" or "injected").
    case rateLimited(kind: String, limit: Int, used: Int, requested: Int, headers: [(String, String)])
    case overloaded
    case serverError(Int)
}

/// One protocol's request parsing and response shapes.
protocol EmbeddingAPIFormat: Sendable {
    /// The request from its decoded JSON body, or the protocol's own 4xx.
    func parse(_ body: [String: Any]) -> Result<EmbedRequest, RefusalBox>
    /// The protocol's answer to a refusal.
    func refuse(_ refusal: Refusal) -> FakeResponse
    /// The successful answer for already computed (and maybe deliberately spoiled) vectors.
    func success(_ request: EmbedRequest, vectors: [[Float]], corruption: Faults.Corruption?, model: String) -> FakeResponse
    /// Default per-request limits a real deployment has (items, tokens), overridden by ``Faults``.
    var defaultLimits: (items: Int?, tokens: Int?) { get }
}

/// `Refusal` boxed as an `Error` so it can travel in a `Result`.
struct RefusalBox: Error {
    var refusal: Refusal
}

/// `inputs` as a string or an array of strings, as all three protocols accept.
func stringOrStrings(_ value: Any?) -> [String]? {
    if let s = value as? String { return [s] }
    if let list = value as? [Any] {
        var out: [String] = []
        for item in list {
            guard let s = item as? String else { return nil }
            out.append(s)
        }
        return out
    }
    return nil
}

/// A vector's components as JSON, with the requested invalid number in place of the first component.
func jsonComponents(_ v: [Float], corruption: Faults.Corruption?) -> JSONValue {
    var items = v.map { JSONValue.float($0) }
    if !items.isEmpty {
        if corruption == .nan { items[0] = .raw("NaN") }
        if corruption == .infinity { items[0] = .raw("1e999") }
    }
    return .array(items)
}

/// Applies the vector-level corruptions (dimensions, NaN/Inf bits, zeros, count) to the computed vectors.
func spoil(_ vectors: [[Float]], with corruption: Faults.Corruption?) -> [[Float]] {
    var out = vectors
    guard let corruption, !out.isEmpty else { return out }
    switch corruption {
    case .wrongDimensions: out[0] = Array(out[0].dropLast())
    case .nan: if !out[0].isEmpty { out[0][0] = .nan }
    case .infinity: if !out[0].isEmpty { out[0][0] = .infinity }
    case .zeroVector: out[0] = Array(repeating: 0, count: out[0].count)
    case .missingVector: out.removeLast()
    case .extraVector: out.append(out[out.count - 1])
    case .malformedJSON, .reorderedData: break
    }
    return out
}
