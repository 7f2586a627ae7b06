/// A dot-separated path to a value inside a JSON object: `text`, `data.body`, `items.0.text`. A numeric component
/// indexes an array (and matches an object key spelled the same way). Keys containing dots cannot be named.
public struct JSONFieldPath: Sendable, Equatable, CustomStringConvertible {
    /// The components as written.
    public let components: [String]

    /// Parses `path`; nil when it is empty or has an empty component (`a..b`).
    public init?(_ path: String) {
        let components = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !path.isEmpty, !components.contains(where: \.isEmpty) else { return nil }
        self.components = components
    }

    public var description: String { components.joined(separator: ".") }
}

/// A value found at a ``JSONFieldPath``.
enum JSONFieldValue: Equatable {
    case string(String)
    /// A number, as written.
    case number(String)
    case bool(Bool)
    case null
    /// An object or an array.
    case container

    /// The value as record text: strings as they are, numbers as written, booleans as true/false; nil for null and
    /// containers.
    var text: String? {
        switch self {
        case .string(let string), .number(let string): return string
        case .bool(let value): return value ? "true" : "false"
        case .null, .container: return nil
        }
    }

    /// "a number", "an object or array"…, for details.
    var kindName: String {
        switch self {
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        case .container: return "an object or array"
        }
    }
}

/// Pulls the values at several paths out of one JSON document in a single pass, skipping everything else.
enum JSONFieldExtractor {
    /// Why a line is not usable.
    enum Failure: Error {
        case notAnObject(String)
        case json(JSONReadError)
    }

    /// The values at `paths` in the JSON object `bytes` (nil where there is none), in the order of `paths`.
    static func extract(_ paths: [JSONFieldPath], from bytes: ArraySlice<UInt8>) -> Result<[JSONFieldValue?], Failure> {
        bytes.withUnsafeBytes { raw in
            var reader = JSONByteReader(raw)
            var values = [JSONFieldValue?](repeating: nil, count: paths.count)
            do throws(JSONReadError) {
                let first = reader.peekValue()
                guard first == UInt8(ascii: "{") else {
                    try reader.skipValue()
                    try reader.finish()
                    return .failure(.notAnObject(JSONByteReader.kindName(startingWith: first)))
                }
                try walk(&reader, raw, paths: paths, candidates: Array(paths.indices), depth: 0, into: &values)
                try reader.finish()
                return .success(values)
            } catch {
                return .failure(.json(error))
            }
        }
    }

    /// Reads the value under the reader, the one at `depth` components along the `candidates` paths.
    private static func walk(_ reader: inout JSONByteReader, _ raw: UnsafeRawBufferPointer, paths: [JSONFieldPath],
                             candidates: [Int], depth: Int, into values: inout [JSONFieldValue?]) throws(JSONReadError) {
        let complete = candidates.filter { paths[$0].components.count == depth }
        let deeper = candidates.filter { paths[$0].components.count > depth }
        let first = reader.peekValue()
        switch first {
        case UInt8(ascii: "{"):
            for index in complete { values[index] = .container }
            guard !deeper.isEmpty else { return try reader.skipValue() }
            try reader.beginObject()
            while let key = try reader.nextKey() {
                let matching = deeper.filter { paths[$0].components[depth] == key }
                if matching.isEmpty {
                    try reader.skipValue()
                } else {
                    try walk(&reader, raw, paths: paths, candidates: matching, depth: depth + 1, into: &values)
                }
            }
        case UInt8(ascii: "["):
            for index in complete { values[index] = .container }
            guard !deeper.isEmpty else { return try reader.skipValue() }
            try reader.beginArray()
            var element = 0
            while try reader.nextElement() {
                let matching = deeper.filter { paths[$0].components[depth] == String(element) }
                if matching.isEmpty {
                    try reader.skipValue()
                } else {
                    try walk(&reader, raw, paths: paths, candidates: matching, depth: depth + 1, into: &values)
                }
                element += 1
            }
        case UInt8(ascii: "\""):
            let string = try reader.readString()
            for index in complete { values[index] = .string(string) }
        default:
            // A number, literal or error: read its text as written.
            let start = reader.offset
            try reader.skipValue()
            let text = String(decoding: raw[start..<reader.offset], as: UTF8.self)
            let value: JSONFieldValue = switch text {
            case "true": .bool(true)
            case "false": .bool(false)
            case "null": .null
            default: .number(text)
            }
            for index in complete { values[index] = value }
        }
    }
}
