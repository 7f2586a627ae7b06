/// Checks a server's vectors before anything is stored: one per input, all of one size, finite, not all zero.
public enum EmbeddingResponseValidator {
    /// The flat row-major values of `vectors`, or what is wrong with them.
    ///
    /// - Parameters:
    ///   - expectedCount: how many inputs were sent.
    ///   - expectedDimensions: the vector size; nil when not known yet (then the first vector's size is taken,
    ///     and the caller fixes it for the rest of the run).
    public static func validate(_ vectors: [[Float]], expectedCount: Int, expectedDimensions: Int?) -> Result<(dimensions: Int, values: [Float]), InvalidResponse> {
        guard vectors.count == expectedCount else {
            return .failure(InvalidResponse("\(vectors.count) vectors for \(expectedCount) inputs"))
        }
        guard let first = vectors.first else { return .success((expectedDimensions ?? 0, [])) }
        let dimensions = expectedDimensions ?? first.count
        guard dimensions > 0 else { return .failure(InvalidResponse("vector 0 is empty")) }
        var values: [Float] = []
        values.reserveCapacity(vectors.count * dimensions)
        for (row, vector) in vectors.enumerated() {
            guard vector.count == dimensions else {
                return .failure(InvalidResponse("vector \(row) has \(vector.count) dimensions, expected \(dimensions)"))
            }
            var allZero = true
            for value in vector {
                guard value.isFinite else { return .failure(InvalidResponse("vector \(row) holds a non-finite value (\(value))")) }
                if value != 0 { allZero = false }
            }
            // A zero vector has no direction: cosine similarity against it is undefined, so it's a server fault.
            if allZero { return .failure(InvalidResponse("vector \(row) is all zeros")) }
            values.append(contentsOf: vector)
        }
        return .success((dimensions, values))
    }
}

/// What was wrong with a response that decoded but can't be stored.
public struct InvalidResponse: Error, Sendable, Equatable, CustomStringConvertible {
    public var problem: String
    public init(_ problem: String) { self.problem = problem }
    public var description: String { problem }
}
