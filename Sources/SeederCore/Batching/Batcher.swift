/// Cuts texts into provider requests by item count and by an estimated token budget.
///
/// Providers reject oversized requests (OpenAI: 2,048 inputs / 300,000 tokens; TEI: `max_client_batch_size`,
/// `max_batch_tokens`), so both limits hold for every batch. A single text over the token budget still goes
/// alone in a batch of one: the provider truncates to the model's maximum input.
public struct Batcher: Sendable, Equatable {
    public var maxItems: Int
    public var maxTokens: Int
    public var bytesPerToken: Double
    /// The server's own input cap (``BatchLimits/maxInputTokens``), applied on top of the model's.
    public var maxInputTokens: Int?

    public init(maxItems: Int, maxTokens: Int, bytesPerToken: Double = 3.0, maxInputTokens: Int? = nil) {
        precondition(maxItems > 0 && maxTokens > 0 && bytesPerToken > 0)
        self.maxItems = maxItems
        self.maxTokens = maxTokens
        self.bytesPerToken = bytesPerToken
        self.maxInputTokens = maxInputTokens
    }

    /// A conservative token estimate from UTF-8 length (plus the two special tokens BERT-style models add),
    /// capped at the model's maximum input and the server's, since the server cuts (or refuses) longer inputs.
    public func estimateTokens(utf8Count: Int, maxInputTokens: Int) -> Int {
        let estimate = Int((Double(utf8Count) / bytesPerToken).rounded(.up)) + 2
        return min(estimate, maxInputTokens, self.maxInputTokens.map { max($0, 1) } ?? .max)
    }

    /// Index ranges of `tokens` forming the batches, in order.
    public func cut(tokens: [Int]) -> [Range<Int>] {
        var batches: [Range<Int>] = []
        var start = 0
        var budget = 0
        for (i, t) in tokens.enumerated() {
            if i > start && (i - start == maxItems || budget + t > maxTokens) {
                batches.append(start..<i)
                start = i
                budget = 0
            }
            budget += t
        }
        if start < tokens.count { batches.append(start..<tokens.count) }
        return batches
    }
}
