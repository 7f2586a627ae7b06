/// A provider failed in a way retrying won't fix here.
public struct ProviderError: Error, Sendable, CustomStringConvertible {
    /// Why the provider failed, for the caller deciding what to do next.
    public enum Kind: String, Sendable {
        /// The provider answered, but not usefully (bad request, bad key, malformed responses).
        case failed
        /// The provider could not be reached, or kept refusing (5xx, 429) for longer than the run waits:
        /// stop at the checkpoint and resume later.
        case unavailable
    }

    public var provider: String
    public var message: String
    public var hint: String?
    public var kind: Kind
    public init(provider: String, message: String, hint: String? = nil, kind: Kind = .failed) {
        self.provider = provider
        self.message = message
        self.hint = hint
        self.kind = kind
    }
    public var description: String { "provider \(provider): \(message)" + (hint.map { " — \($0)" } ?? "") }
}
