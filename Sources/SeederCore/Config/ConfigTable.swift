/// Reads one table of a job file against the keys it may hold, so that a misspelt key is an error that
/// names the file, the key and the closest valid one — never a setting silently ignored.
struct ConfigTable {
    let file: String
    let path: String
    let values: [String: ConfigValue]

    init(file: String, path: String, values: [String: ConfigValue], allowed: [String]) throws {
        self.file = file
        self.path = path
        self.values = values
        for key in values.keys.sorted() where !allowed.contains(key) {
            var message = "unknown key '\(qualified(key))'"
            if let near = Spelling.closest(to: key, among: allowed) {
                message += " — did you mean '\(qualified(near))'?"
            } else if let home = JobLoader.homeOfKey[key], home != qualified(key) {
                message += " — did you mean '\(home)'? (it belongs in [\(home.split(separator: ".").dropLast().joined(separator: "."))])"
            }
            throw ConfigurationError(file: file, position: qualified(key), message: message,
                                     hint: "valid keys here: \(allowed.joined(separator: ", ")) (docs/jobs.md)")
        }
    }

    func qualified(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func table(_ key: String, allowed: [String]) throws -> ConfigTable {
        switch values[key] {
        case nil: return try ConfigTable(file: file, path: qualified(key), values: [:], allowed: allowed)
        case .table(let t)?: return try ConfigTable(file: file, path: qualified(key), values: t, allowed: allowed)
        case let other?: throw typeError(key, expected: "a table", got: other)
        }
    }

    func string(_ key: String) throws -> String? {
        switch values[key] {
        case nil: return nil
        case .string(let s)?: return s
        case let other?: throw typeError(key, expected: "a string", got: other)
        }
    }

    func int(_ key: String, range: ClosedRange<Int>) throws -> Int? {
        switch values[key] {
        case nil: return nil
        case .int(let i)?:
            guard range.contains(i) else {
                throw ConfigurationError(file: file, position: qualified(key),
                                         message: "\(qualified(key)) = \(i) is out of range", hint: "use a value from \(range.lowerBound) to \(range.upperBound)")
            }
            return i
        case let other?: throw typeError(key, expected: "an integer", got: other)
        }
    }

    func double(_ key: String) throws -> Double? {
        switch values[key] {
        case nil: return nil
        case .double(let d)?: return d
        case .int(let i)?: return Double(i)
        case let other?: throw typeError(key, expected: "a number", got: other)
        }
    }

    func bool(_ key: String) throws -> Bool? {
        switch values[key] {
        case nil: return nil
        case .bool(let b)?: return b
        case let other?: throw typeError(key, expected: "true or false", got: other)
        }
    }

    /// A number above zero (a duration, a price, a rate).
    func positive(_ key: String) throws -> Double? {
        guard let d = try double(key) else { return nil }
        guard d > 0, d.isFinite else {
            throw ConfigurationError(file: file, position: qualified(key), message: "\(qualified(key)) = \(d) must be above zero", hint: nil)
        }
        return d
    }

    func strings(_ key: String) throws -> [String]? {
        switch values[key] {
        case nil: return nil
        case .string(let s)?: return [s]
        case .array(let items)?:
            return try items.map {
                guard case .string(let s) = $0 else { throw typeError(key, expected: "an array of strings", got: $0) }
                return s
            }
        case let other?: throw typeError(key, expected: "an array of strings", got: other)
        }
    }

    func typeError(_ key: String, expected: String, got: ConfigValue) -> ConfigurationError {
        ConfigurationError(file: file, position: qualified(key), message: "\(qualified(key)) must be \(expected), not \(got.typeName)",
                           hint: "see docs/jobs.md")
    }
}
