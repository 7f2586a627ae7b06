import Foundation

/// One HTTP request, independent of the client library that sends it.
public struct WireRequest: Sendable, Equatable {
    public var method: String
    /// Path below the base URL, starting with `/`.
    public var path: String
    public var headers: [String: String]
    public var body: Data

    public init(method: String, path: String, headers: [String: String] = [:], body: Data = Data()) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }
}

/// One HTTP response. Header names are lowercased so lookups need no case folding.
public struct WireResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        self.body = body
    }
}

/// A response body that isn't what the API promises. Servers are untrusted input: the message says what was
/// wrong and quotes the start of the body.
public struct WireDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problem: String
    public var bodyPrefix: String

    public init(_ problem: String, body: Data) {
        self.problem = problem
        self.bodyPrefix = WireDecodingError.prefix(of: body)
    }

    public var description: String { "\(problem) (body starts: \(bodyPrefix))" }

    /// The first 200 bytes of a body, as text, newlines flattened; enough to recognise an HTML error page.
    public static func prefix(of body: Data, limit: Int = 200) -> String {
        if body.isEmpty { return "<empty>" }
        var text = String(decoding: body.prefix(limit), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
        if body.count > limit { text += "…" }
        return "\"" + text + "\""
    }
}

/// The message and code a server put in an error response, or the start of the body when it had none.
public struct ServerErrorMessage: Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// OpenAI's `error.code` or `error.type`, TEI's `error_type`.
    public var code: String?

    public init(message: String, code: String? = nil) {
        self.message = message
        self.code = code
    }

    public var description: String { code.map { "\(message) [\($0)]" } ?? message }

    /// Reads `{"error":{"message","code","type"}}` (OpenAI), `{"error":"…","error_type":"…"}` (TEI, Ollama), or
    /// falls back to the start of the body.
    public static func parse(_ body: Data) -> ServerErrorMessage {
        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
            if let error = object["error"] as? [String: Any], let message = error["message"] as? String {
                let code = (error["code"] as? String) ?? (error["type"] as? String)
                return ServerErrorMessage(message: message, code: code)
            }
            if let message = object["error"] as? String {
                return ServerErrorMessage(message: message, code: object["error_type"] as? String)
            }
            if let message = object["message"] as? String {
                return ServerErrorMessage(message: message)
            }
        }
        return ServerErrorMessage(message: WireDecodingError.prefix(of: body))
    }
}
