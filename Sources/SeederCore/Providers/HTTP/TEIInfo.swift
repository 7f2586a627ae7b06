import Foundation

/// What TEI's `GET /info` says about the model it serves and the requests it accepts.
public struct TEIInfo: Sendable, Equatable, Decodable {
    public var modelID: String
    public var modelSHA: String?
    /// Most inputs in one request; more is refused with 422.
    public var maxClientBatchSize: Int
    /// Most tokens the server batches at once.
    public var maxBatchTokens: Int
    /// Longest input in tokens; longer ones are truncated (or refused when `truncate` is false).
    public var maxInputLength: Int

    enum CodingKeys: String, CodingKey {
        case modelID = "model_id", modelSHA = "model_sha", maxClientBatchSize = "max_client_batch_size"
        case maxBatchTokens = "max_batch_tokens", maxInputLength = "max_input_length"
    }

    public init(modelID: String, modelSHA: String?, maxClientBatchSize: Int, maxBatchTokens: Int, maxInputLength: Int) {
        self.modelID = modelID
        self.modelSHA = modelSHA
        self.maxClientBatchSize = maxClientBatchSize
        self.maxBatchTokens = maxBatchTokens
        self.maxInputLength = maxInputLength
    }

    /// The request for it.
    public static let request = WireRequest(method: "GET", path: "/info")

    /// Decodes the body of `GET /info`.
    public static func decode(_ body: Data) throws(WireDecodingError) -> TEIInfo {
        try EmbeddingWireFormat.decodeJSON(TEIInfo.self, from: body, what: "a TEI /info response")
    }

    /// The batcher's limits for this server; its token estimates are capped at `max_input_length`.
    public var batchLimits: BatchLimits {
        BatchLimits(maxItems: maxClientBatchSize, maxTokens: maxBatchTokens, maxInputTokens: maxInputLength)
    }
}
