import Foundation

/// Reads the three servers' embedding responses with ``JSONByteReader``.
///
/// Unknown keys are skipped at any depth. A key the format reads that appears twice in one object is an error (a
/// server that sends `data` twice is broken, and neither copy is more right than the other).
enum WireResponseReader {
    /// OpenAI: `{"data":[{"index":0,"embedding":[…] or "base64…"}],"usage":{"prompt_tokens":7}}`; rows are put in
    /// `index` order (some servers answer out of order).
    static func openAI(_ body: Data) throws(WireDecodingError) -> WireEmbeddings {
        let (rows, tokens) = try read(body, what: "an OpenAI embeddings response") { (reader: inout JSONByteReader) throws(JSONReadError) in
            var rows: [(index: Int, vector: [Float])] = []
            var tokens: Int? = nil
            var seen = Set<String>()
            try reader.beginObject()
            while let key = try reader.nextKey() {
                switch key {
                case "data":
                    try once(key, &seen, reader)
                    rows = try openAIItems(&reader)
                case "usage":
                    try once(key, &seen, reader)
                    tokens = try openAIUsage(&reader)
                default:
                    try reader.skipValue()
                }
            }
            guard seen.contains("data") else { throw reader.missing("data") }
            try reader.finish()
            return (rows, tokens)
        }
        var taken = [Bool](repeating: false, count: rows.count)
        for row in rows {
            guard row.index >= 0, row.index < rows.count, !taken[row.index] else {
                throw WireDecodingError("data[].index \(row.index) is out of range or repeated (\(rows.count) items)", body: body)
            }
            taken[row.index] = true
        }
        var vectors = [[Float]](repeating: [], count: rows.count)
        for row in rows { vectors[row.index] = row.vector }
        return WireEmbeddings(vectors: vectors, tokensUsed: tokens)
    }

    /// Ollama `/api/embed`: `{"embeddings":[[…]],"prompt_eval_count":7}`.
    static func ollama(_ body: Data) throws(WireDecodingError) -> WireEmbeddings {
        try read(body, what: "an Ollama /api/embed response") { (reader: inout JSONByteReader) throws(JSONReadError) in
            var vectors: [[Float]] = []
            var tokens: Int? = nil
            var seen = Set<String>()
            try reader.beginObject()
            while let key = try reader.nextKey() {
                switch key {
                case "embeddings":
                    try once(key, &seen, reader)
                    vectors = try vectorList(&reader)
                case "prompt_eval_count":
                    try once(key, &seen, reader)
                    tokens = reader.readNull() ? nil : try reader.readInt()
                default:
                    try reader.skipValue()
                }
            }
            guard seen.contains("embeddings") else { throw reader.missing("embeddings") }
            try reader.finish()
            return WireEmbeddings(vectors: vectors, tokensUsed: tokens)
        }
    }

    /// TEI `/embed`: `[[…],[…]]`.
    static func tei(_ body: Data) throws(WireDecodingError) -> WireEmbeddings {
        try read(body, what: "a TEI /embed response (an array of arrays of numbers)") { (reader: inout JSONByteReader) throws(JSONReadError) in
            let vectors = try vectorList(&reader)
            try reader.finish()
            return WireEmbeddings(vectors: vectors, tokensUsed: nil)
        }
    }

    // MARK: - Parts

    /// Runs `parse` over the body's bytes; its errors become `not <what>: <where and what>`, with the body's start.
    private static func read<T>(_ body: Data, what: String,
                                _ parse: (inout JSONByteReader) throws(JSONReadError) -> T) throws(WireDecodingError) -> T {
        // withUnsafeBytes rethrows untyped errors: carry the typed one out in a Result.
        let result = body.withUnsafeBytes { raw -> Result<T, JSONReadError> in
            var reader = JSONByteReader(raw)
            do throws(JSONReadError) {
                return .success(try parse(&reader))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let value): return value
        case .failure(let error): throw WireDecodingError("not \(what): \(error)", body: body)
        }
    }

    /// Refuses a key read twice in one object; the reader is on its value.
    private static func once(_ key: String, _ seen: inout Set<String>, _ reader: JSONByteReader) throws(JSONReadError) {
        guard seen.insert(key).inserted else { throw reader.error("the key appears twice in this object") }
    }

    /// `[{"index":…,"embedding":…}, …]`, in the order sent.
    private static func openAIItems(_ reader: inout JSONByteReader) throws(JSONReadError) -> [(index: Int, vector: [Float])] {
        var rows: [(index: Int, vector: [Float])] = []
        var dimensions = 0
        try reader.beginArray()
        while try reader.nextElement() {
            var index: Int? = nil
            var vector: [Float]? = nil
            try reader.beginObject()
            while let key = try reader.nextKey() {
                switch key {
                case "index":
                    guard index == nil else { throw reader.error("the key appears twice in this object") }
                    index = try reader.readInt()
                case "embedding":
                    guard vector == nil else { throw reader.error("the key appears twice in this object") }
                    if reader.peekValue() == UInt8(ascii: "\"") {
                        let start = reader.offset
                        guard let values = try reader.readBase64Floats() else {
                            throw reader.error("not base64 of little-endian float32 values", at: start)
                        }
                        vector = values
                    } else if reader.peekValue() == UInt8(ascii: "[") {
                        var values: [Float] = []
                        values.reserveCapacity(dimensions)
                        try reader.readFloats(into: &values)
                        vector = values
                    } else {
                        throw reader.error("expected an array of numbers or a base64 string")
                    }
                    dimensions = vector?.count ?? 0
                default:
                    try reader.skipValue()
                }
            }
            guard let index else { throw reader.missing("index") }
            guard let vector else { throw reader.missing("embedding") }
            rows.append((index, vector))
        }
        return rows
    }

    /// `{"prompt_tokens":7, …}` or null.
    private static func openAIUsage(_ reader: inout JSONByteReader) throws(JSONReadError) -> Int? {
        if reader.readNull() { return nil }
        var tokens: Int? = nil
        var seen = false
        try reader.beginObject()
        while let key = try reader.nextKey() {
            if key == "prompt_tokens" {
                guard !seen else { throw reader.error("the key appears twice in this object") }
                seen = true
                tokens = reader.readNull() ? nil : try reader.readInt()
            } else {
                try reader.skipValue()
            }
        }
        return tokens
    }

    /// `[[…], […]]`: each vector reserved at the previous one's size (they are all one size).
    private static func vectorList(_ reader: inout JSONByteReader) throws(JSONReadError) -> [[Float]] {
        var vectors: [[Float]] = []
        var dimensions = 0
        try reader.beginArray()
        while try reader.nextElement() {
            var values: [Float] = []
            values.reserveCapacity(dimensions)
            try reader.readFloats(into: &values)
            dimensions = values.count
            vectors.append(values)
        }
        return vectors
    }
}
