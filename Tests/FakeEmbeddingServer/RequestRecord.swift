/// One request as the fake server saw it. The API key itself is never kept, only whether it matched.
public struct RequestRecord: Sendable, Codable {
    /// How the request's `Authorization` header compared with the expected key.
    public enum Authorization: String, Sendable, Codable {
        case missing, matched, mismatched
    }

    /// Seconds since the server started, when the request head arrived.
    public var arrival: Double
    /// The request path, e.g. `/v1/embeddings`.
    public var path: String
    /// Number of texts in the request (0 when it was not read).
    public var items: Int
    /// Tokens of those texts by ``FakeVectors/tokens(for:)``.
    public var tokens: Int
    /// HTTP status answered; 0 when the connection was dropped before a status was sent.
    public var status: Int
    /// The fault that decided the answer, if any (e.g. `rateLimit`, `rpm`, `drop.midResponse`).
    public var fault: String?
    /// How the API key compared.
    public var authorization: Authorization
    /// Embedding requests being served when this one started, itself included (0 for requests refused before).
    public var inFlight: Int = 0

    /// Whether this was an embedding request (not `/info`, `/health` or an unknown path), the only kind limits
    /// count.
    public var isEmbedding: Bool { ["/v1/embeddings", "/api/embed", "/embed"].contains(path) }
}
