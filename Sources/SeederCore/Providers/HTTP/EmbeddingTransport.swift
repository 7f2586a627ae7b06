/// Sends requests to one server. The provider's retry, split and pacing logic sits above it, so tests drive
/// that logic with a scripted transport and no server.
public protocol EmbeddingTransport: Sendable {
    /// Sends `request` to the base URL; throws ``TransportError`` when no answer came (anything else, such as
    /// cancellation, passes through).
    func send(_ request: WireRequest, timeout: Duration) async throws -> WireResponse
    /// Closes connections; the transport is unusable afterwards.
    func shutdown() async throws
}

/// No HTTP answer: the request may or may not have reached the server.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Nothing listens at the address.
        case refused
        /// Connecting or waiting for the answer took too long.
        case timeout
        /// The connection broke (reset, closed early, DNS, TLS).
        case broken
    }

    public var kind: Kind
    /// The client library's description of the error.
    public var detail: String

    public init(_ kind: Kind, detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String {
        switch kind {
        case .refused: "connection refused (\(detail))"
        case .timeout: "timed out (\(detail))"
        case .broken: "connection failed (\(detail))"
        }
    }
}
