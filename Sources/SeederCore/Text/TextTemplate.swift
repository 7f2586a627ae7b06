/// Which text to embed from a record: a template over the record's fields, e.g. `{body}` or `{title}: {body}`.
///
/// Fields: `{title}`, `{body}` (alias `{abstract}`), `{url}`, `{id}`, `{category}`. A template that renders
/// to nothing but its literal parts (all fields empty) yields no text.
public struct TextTemplate: Sendable, Equatable {
    enum Part: Sendable, Equatable { case literal(String), field(Field) }
    enum Field: String, Sendable, CaseIterable { case title, body, abstract, url, id, category }

    let parts: [Part]
    public let source: String

    public init(_ template: String) throws {
        self.source = template
        self.parts = try Self.parse(template, file: "command line")
    }

    /// Checks a template's syntax, naming the job file in the error.
    static func validate(_ template: String, file: String) throws {
        _ = try parse(template, file: file)
    }

    private static func parse(_ template: String, file: String) throws -> [Part] {
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw ConfigurationError(file: file, position: "source.texts", message: "unclosed '{' in text template '\(template)'", hint: "fields: {title}, {body}, {url}, {id}, {category}")
            }
            let name = String(rest[rest.index(after: open)..<close])
            guard let field = Field(rawValue: name) else {
                var message = "unknown field '{\(name)}' in text template '\(template)'"
                if let near = Spelling.closest(to: name, among: Field.allCases.map(\.rawValue)) { message += " — did you mean '{\(near)}'?" }
                throw ConfigurationError(file: file, position: "source.texts", message: message, hint: "fields: {title}, {body}, {url}, {id}, {category}")
            }
            if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
            parts.append(.field(field))
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { parts.append(.literal(literal)) }
        return parts
    }

    /// The text for a record, or nil when every field it uses is empty.
    public func render(_ record: Record) -> String? {
        // The common case, a single field, costs no copy.
        if parts.count == 1, case .field(let f) = parts[0] {
            let value = Self.value(f, of: record)
            return value.isEmpty ? nil : value
        }
        var out = ""
        var anyField = false
        for part in parts {
            switch part {
            case .literal(let s): out += s
            case .field(let f):
                let value = Self.value(f, of: record)
                if !value.isEmpty { anyField = true }
                out += value
            }
        }
        return anyField ? out : nil
    }

    private static func value(_ field: Field, of record: Record) -> String {
        switch field {
        case .title: record.title
        case .body, .abstract: record.body
        case .url: record.url
        case .id: record.id
        case .category: record.category
        }
    }
}
