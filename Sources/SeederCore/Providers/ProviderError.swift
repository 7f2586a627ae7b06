/// A provider failed in a way retrying won't fix here.
public struct ProviderError: Error, Sendable, CustomStringConvertible {
    public var provider: String
    public var message: String
    public var hint: String?
    public init(provider: String, message: String, hint: String? = nil) {
        self.provider = provider
        self.message = message
        self.hint = hint
    }
    public var description: String { "provider \(provider): \(message)" + (hint.map { " — \($0)" } ?? "") }
}
