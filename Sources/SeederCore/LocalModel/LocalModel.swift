import Foundation

/// A sentence-embedding model run in this process: its tokenizer, its encoder and the sentence-transformers
/// settings that say how to use them. Loading maps the weights; nothing is read from the network.
public final class LocalModel: Sendable {
    public let directory: String
    public let tokenizer: WordPieceTokenizer
    public let encoder: BertEncoder
    public let settings: SentenceTransformerConfig
    /// Token ids per text at most, [CLS] and [SEP] included.
    public let maxSequenceLength: Int

    /// Loads the model in `directory`. Architectures other than BERT fail here, naming what was found.
    /// - Parameter threads: compute threads; nil for one per core.
    public init(directory: String, threads: Int? = nil) throws {
        self.directory = directory
        settings = try SentenceTransformerConfig.load(directory: directory)
        encoder = try BertEncoder(directory: directory, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        tokenizer = try WordPieceTokenizer.load(directory: directory)
        maxSequenceLength = min(settings.maxSequenceLength ?? encoder.maxPositions, encoder.maxPositions)
    }

    /// The token ids the model sees for `text`.
    public func tokenize(_ text: String) -> [Int32] {
        tokenizer.encode(settings.lowercaseInput ? text.lowercased() : text, maxLength: maxSequenceLength)
    }

    /// Embeds texts: L2-normalized vectors, row-major, and the number of tokens the model read.
    public func embed(_ texts: [String]) throws -> (vectors: [Float], tokens: Int) {
        let sequences = texts.map(tokenize)
        let vectors = try encoder.embed(sequences, pooling: settings.pooling)
        return (vectors, sequences.reduce(0) { $0 + $1.count })
    }
}
