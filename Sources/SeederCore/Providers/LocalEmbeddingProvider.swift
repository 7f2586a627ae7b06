import Dispatch
import Foundation

/// Embeds with a model run natively in this process (``LocalModel``): real vectors with no server.
///
/// The encoder is compute-bound and uses every core it is given, so a batch runs on a Dispatch thread of its own,
/// never on Swift's cooperative pool, whose threads the rest of the pipeline needs meanwhile.
public struct LocalEmbeddingProvider: EmbeddingProvider {
    public let kind = "local"
    public let storedModel: StoredModel
    public let model: LocalModel
    /// Where the model was found, for the run's log.
    public let located: ModelLocator.Located
    /// Big enough to keep every core busy with little padding; small enough that a crash loses little work.
    public let batchLimits = BatchLimits(maxItems: 256, maxTokens: 32_768)

    private static let queue = DispatchQueue(label: "seeder.local-model", qos: .userInitiated)

    /// Finds and loads the model of `spec`; checks that its vectors have the catalog's size.
    public init(spec: ModelSpec, explicitPath: String?, threads: Int?, locator: ModelLocator = ModelLocator()) throws {
        let located = try locator.locate(id: spec.canonicalID, alias: spec.alias, explicitPath: explicitPath)
        let model = try LocalModel(directory: located.directory, threads: threads)
        guard model.encoder.hiddenSize == spec.dimensions else {
            throw LocalModelError(.badWeights, path: located.directory,
                                  message: "this model makes \(model.encoder.hiddenSize)-dimensional vectors, but \(spec.alias) (\(spec.canonicalID)) makes \(spec.dimensions)",
                                  hint: "point model.path / --model-path at \(spec.canonicalID)'s directory")
        }
        self.model = model
        self.located = located
        self.storedModel = .real(spec, dimensions: spec.dimensions)
    }

    public func embed(_ batch: [EmbeddingInput]) async throws -> EmbeddingMatrix {
        let model = self.model, dimensions = storedModel.dimensions
        let texts = batch.map(\.text)
        let (vectors, tokens) = try await withCheckedThrowingContinuation { continuation in
            Self.queue.async { continuation.resume(with: Result { try model.embed(texts) }) }
        }
        return EmbeddingMatrix(rows: batch.count, dimensions: dimensions, values: vectors, tokensUsed: tokens)
    }
}
