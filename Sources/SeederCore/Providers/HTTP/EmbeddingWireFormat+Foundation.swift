import Foundation

extension EmbeddingWireFormat {
    /// Decodes a response with Foundation's `JSONDecoder`, as seeder did before ``JSONByteReader``: the reference
    /// for differential tests and `seeder bench wire`. Same results and checks as ``decode(_:)``, about 30× slower
    /// on JSON numbers.
    public func decodeWithFoundation(_ body: Data) throws(WireDecodingError) -> WireEmbeddings {
        switch kind {
        case .openai:
            let response = try Self.decodeJSON(OpenAIResponse.self, from: body, what: "an OpenAI embeddings response")
            var seen = Set<Int>()
            var rows: [(Int, [Float])] = []
            rows.reserveCapacity(response.data.count)
            for item in response.data {
                guard item.index >= 0, item.index < response.data.count, seen.insert(item.index).inserted else {
                    throw WireDecodingError("data[].index \(item.index) is out of range or repeated (\(response.data.count) items)", body: body)
                }
                switch item.embedding {
                case .floats(let values): rows.append((item.index, values))
                case .base64(let text):
                    guard let vector = Self.foundationFloats(base64: text) else {
                        throw WireDecodingError("data[\(item.index)].embedding is not base64 of little-endian float32 values", body: body)
                    }
                    rows.append((item.index, vector))
                }
            }
            rows.sort { $0.0 < $1.0 }
            return WireEmbeddings(vectors: rows.map(\.1), tokensUsed: response.usage?.prompt_tokens)
        case .ollama:
            let response = try Self.decodeJSON(OllamaResponse.self, from: body, what: "an Ollama /api/embed response")
            return WireEmbeddings(vectors: response.embeddings, tokensUsed: response.prompt_eval_count)
        case .tei:
            let vectors = try Self.decodeJSON([[Float]].self, from: body, what: "a TEI /embed response (an array of arrays of numbers)")
            return WireEmbeddings(vectors: vectors, tokensUsed: nil)
        }
    }

    /// Float32 values from base64 with `Data(base64Encoded:)`, as before ``Base64Floats``: the reference for it.
    static func foundationFloats(base64 text: String) -> [Float]? {
        guard let data = Data(base64Encoded: text), data.count % 4 == 0 else { return nil }
        var values = [Float](repeating: 0, count: data.count / 4)
        data.withUnsafeBytes { raw in
            for i in values.indices {
                values[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
            }
        }
        return values
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, from body: Data, what: String) throws(WireDecodingError) -> T {
        do {
            return try JSONDecoder().decode(type, from: body)
        } catch let error as DecodingError {
            throw WireDecodingError("not \(what): \(Self.describe(error))", body: body)
        } catch {
            throw WireDecodingError("not \(what): \(error)", body: body)
        }
    }

    /// A decoding error in a line: where, and what.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String {
            let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "the top level" : String(text.drop { $0 == "." })
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is missing"
        case .typeMismatch(_, let context): return "\(path(context.codingPath)): \(context.debugDescription)"
        case .valueNotFound(_, let context): return "\(path(context.codingPath)) is null"
        case .dataCorrupted(let context): return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

// Response shapes; property names are the JSON keys.
private struct OpenAIResponse: Decodable {
    struct Item: Decodable {
        var index: Int
        var embedding: Embedding
    }
    enum Embedding: Decodable {
        case floats([Float])
        case base64(String)
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) { self = .base64(text); return }
            self = .floats(try container.decode([Float].self))
        }
    }
    struct Usage: Decodable { var prompt_tokens: Int? }
    var data: [Item]
    var usage: Usage?
}

private struct OllamaResponse: Decodable {
    var embeddings: [[Float]]
    var prompt_eval_count: Int?
}
