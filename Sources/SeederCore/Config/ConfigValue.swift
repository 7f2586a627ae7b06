import TOMLKit

/// A parsed job file as plain values, so that validation and merging (`extends`) don't depend on TOMLKit's
/// reference types.
indirect enum ConfigValue: Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case array([ConfigValue])
    case table([String: ConfigValue])

    /// Parses TOML text; errors carry the file and TOML's line and column.
    static func parse(toml text: String, file: String) throws -> [String: ConfigValue] {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigurationError(file: file, position: "line \(error.source.begin.line), column \(error.source.begin.column)",
                                     message: "not valid TOML: \(error.description)", hint: "fix the syntax at that position")
        }
        return try convert(table, file: file, path: "")
    }

    private static func convert(_ table: TOMLTable, file: String, path: String) throws -> [String: ConfigValue] {
        var out: [String: ConfigValue] = [:]
        for key in table.keys {
            guard let value = table[key] else { continue }
            out[key] = try convert(value, file: file, path: path.isEmpty ? key : "\(path).\(key)")
        }
        return out
    }

    private static func convert(_ value: TOMLValueConvertible, file: String, path: String) throws -> ConfigValue {
        if let t = value.table { return .table(try convert(t, file: file, path: path)) }
        if let a = value.array { return .array(try a.map { try convert($0, file: file, path: path) }) }
        if let s = value.string { return .string(s) }
        if let b = value.bool { return .bool(b) }
        if let i = value.int { return .int(i) }
        if let d = value.double { return .double(d) }
        throw ConfigurationError(file: file, position: path, message: "unsupported TOML value type \(value.type)",
                                 hint: "use a string, number, boolean, array or table")
    }

    /// Deep merge: tables merge key by key, anything else in `override` replaces `base`.
    static func merge(_ base: [String: ConfigValue], _ override: [String: ConfigValue]) -> [String: ConfigValue] {
        var out = base
        for (key, value) in override {
            if case .table(let b) = out[key], case .table(let o) = value {
                out[key] = .table(merge(b, o))
            } else {
                out[key] = value
            }
        }
        return out
    }

    var typeName: String {
        switch self {
        case .string: "a string"
        case .int: "an integer"
        case .double: "a number"
        case .bool: "a boolean"
        case .array: "an array"
        case .table: "a table"
        }
    }
}
