/// The options of a job's source, by kind: what `[source]` says beyond the keys every kind shares.
public enum SourceOptions: Sendable, Equatable {
    case wikipediaAbstracts
    case wikipedia(WikipediaPagesSource.Options)
    case wiktionary(WiktionarySource.Options)
    case wordnet(WordNetSource.Options)
    case dictionaryTable(DictionaryTableSource.Options)
    case devdocs(DevDocsSource.Options)
    case markdown(DocumentFolderSource.Options)
    case jsonl(JSONLinesSource.Options)
    case csv(CSVSource.Options)
    case lines(LinesSource.Options)
}

/// Every source kind a job can name: the `[source]` keys of each, how they are read, and how the source is made.
///
/// The keys every kind shares are `kind`, `input`, `texts`, `min_chars` and `max_chars` (docs/jobs.md); the rest
/// are the kind's own (docs/sources.md). A key another kind would take is an error naming the valid ones.
public enum SourceCatalog {
    /// The kinds, as job files name them.
    public static let kinds = ["wikipedia", "wikipedia-abstracts", "wiktionary", "wordnet", "dictionary-table",
                               "devdocs", "markdown", "jsonl", "csv", "lines"]
    static let commonKeys = ["kind", "input", "texts", "min_chars", "max_chars"]

    /// The keys of `kind` beyond the common ones.
    static func keys(for kind: String) -> [String] {
        switch kind {
        case "wikipedia": return ["extent", "sentences", "index", "threads", "max_page_bytes"]
        case "wiktionary": return ["languages", "skip_form_of", "glosses"]
        case "wordnet": return ["category", "gloss_only"]
        case "dictionary-table": return ["delimiter", "header", "word_column", "definition_column", "category_column"]
        case "devdocs": return ["category", "keep_attribution"]
        case "markdown": return ["category", "base_url", "prefix_page_title", "max_file_bytes"]
        case "jsonl": return ["body_field", "title_field", "id_field", "category_field", "url_field"]
        case "csv": return ["delimiter", "header", "body_column", "title_column", "id_column", "category_column", "url_column"]
        case "lines": return ["category"]
        default: return []
        }
    }

    /// Every key some kind takes (for pointing a misplaced key to `[source]`).
    static var allKeys: [String] {
        var keys = commonKeys
        for kind in kinds { for key in self.keys(for: kind) where !keys.contains(key) { keys.append(key) } }
        return keys
    }

    /// `min_chars` when a job does not set it: prose sources skip fragments, dictionaries and lists keep short texts.
    static func defaultMinChars(_ kind: String) -> Int {
        switch kind {
        case "wikipedia", "wikipedia-abstracts", "devdocs", "markdown": return 20
        default: return 1
        }
    }

    /// Reads the kind's own keys from `[source]` (already checked against ``keys(for:)``).
    static func options(kind: String, table t: ConfigTable, minChars: Int, maxChars: Int) throws -> SourceOptions {
        func error(_ key: String, _ message: String, _ hint: String? = nil) -> ConfigurationError {
            ConfigurationError(file: t.file, position: t.qualified(key), message: message, hint: hint)
        }
        func oneOf(_ key: String, _ values: [String]) throws -> String? {
            guard let value = try t.string(key) else { return nil }
            guard values.contains(value) else {
                var message = "\(t.qualified(key)) = '\(value)' is not one of: \(values.joined(separator: ", "))"
                if let near = Spelling.closest(to: value, among: values) { message += " — did you mean '\(near)'?" }
                throw error(key, message)
            }
            return value
        }
        func delimiter(_ key: String) throws -> Character? {
            guard let text = try t.string(key) else { return nil }
            let value = text == "\\t" || text == "tab" ? "\t" : text
            guard value.count == 1, let c = value.first, c.isASCII, c != "\"", c != "\n", c != "\r" else {
                throw error(key, "\(t.qualified(key)) must be one character (\",\", \";\", \"\\t\" or \"tab\"…), not '\(text)'")
            }
            return c
        }
        func column(_ key: String) throws -> CSVColumn? {
            switch t.values[key] {
            case nil: return nil
            case .string(let name)?: return .name(name)
            case .int(let index)? where index >= 0: return .index(index)
            case let other?: throw t.typeError(key, expected: "a column name or a 0-based column number", got: other)
            }
        }
        func field(_ key: String) throws -> JSONFieldPath? {
            guard let text = try t.string(key) else { return nil }
            guard let path = JSONFieldPath(text) else {
                throw error(key, "\(t.qualified(key)) = '\(text)' is not a field path", "dot-separated keys, numbers for array items: text, data.body, items.0.text")
            }
            return path
        }

        switch kind {
        case "wikipedia-abstracts":
            return .wikipediaAbstracts
        case "wikipedia":
            var o = WikipediaPagesSource.Options(minChars: minChars, maxChars: maxChars)
            let sentences = try t.int("sentences", range: 1...100)
            switch try oneOf("extent", ["first_paragraph", "sentences", "lead_section"]) {
            case "lead_section"?: o.extent = .leadSection
            case "sentences"?: o.extent = .sentences(sentences ?? 2)
            case "first_paragraph"?:
                if sentences != nil { throw error("sentences", "source.sentences is for extent = \"sentences\"", "drop it, or set extent = \"sentences\"") }
            default:
                if let sentences { o.extent = .sentences(sentences) }
            }
            switch try t.string("index") {
            case nil, "auto"?: o.index = .auto
            case "none"?: o.index = WikipediaPagesSource.IndexChoice.none
            case let path?: o.index = .path(path)
            }
            o.threads = try t.int("threads", range: 1...256)
            o.maxPageBytes = try t.int("max_page_bytes", range: 4096...(1 << 31)) ?? o.maxPageBytes
            return .wikipedia(o)
        case "wiktionary":
            var o = WiktionarySource.Options(minChars: minChars, maxChars: maxChars)
            o.languages = try t.strings("languages") ?? []
            o.skipFormOf = try t.bool("skip_form_of") ?? o.skipFormOf
            if let join = try oneOf("glosses", ["last", "all"]) { o.glossJoin = join == "all" ? .all : .last }
            return .wiktionary(o)
        case "wordnet":
            var o = WordNetSource.Options(minChars: minChars, maxChars: maxChars)
            o.glossOnly = try t.bool("gloss_only") ?? o.glossOnly
            if let category = try oneOf("category", ["lexname", "part_of_speech"]) {
                o.category = category == "lexname" ? .lexname : .partOfSpeech
            }
            return .wordnet(o)
        case "dictionary-table":
            var o = DictionaryTableSource.Options(minChars: minChars, maxChars: maxChars)
            o.delimiter = try delimiter("delimiter")
            o.header = try t.bool("header")
            o.word = try column("word_column")
            o.definition = try column("definition_column")
            o.category = try column("category_column")
            return .dictionaryTable(o)
        case "devdocs":
            var o = DevDocsSource.Options(maxChars: maxChars)
            o.category = try t.string("category")
            o.keepAttribution = try t.bool("keep_attribution") ?? false
            return .devdocs(o)
        case "markdown":
            var o = DocumentFolderSource.Options(maxChars: maxChars)
            o.category = try t.string("category")
            o.baseURL = try t.string("base_url")
            o.prefixPageTitle = try t.bool("prefix_page_title") ?? false
            if let bytes = try t.int("max_file_bytes", range: 1024...(1 << 40)) { o.maxFileBytes = Int64(bytes) }
            return .markdown(o)
        case "jsonl":
            var o = JSONLinesSource.Options(minChars: minChars, maxChars: maxChars)
            o.body = try field("body_field") ?? o.body
            o.title = try field("title_field")
            o.id = try field("id_field")
            o.category = try field("category_field")
            o.url = try field("url_field")
            return .jsonl(o)
        case "csv":
            var o = CSVSource.Options(minChars: minChars, maxChars: maxChars)
            o.delimiter = try delimiter("delimiter") ?? o.delimiter
            o.header = try t.bool("header") ?? true
            o.body = try column("body_column") ?? o.body
            o.title = try column("title_column")
            o.id = try column("id_column")
            o.category = try column("category_column")
            o.url = try column("url_column")
            if !o.header {
                for (key, c) in [("body_column", o.body), ("title_column", o.title), ("id_column", o.id), ("category_column", o.category), ("url_column", o.url)] {
                    if case .name(let name)? = c {
                        throw error(key, "\(t.qualified(key)) names the column '\(name)', but header = false", "name columns by their 0-based number, or set header = true")
                    }
                }
            }
            return .csv(o)
        case "lines":
            var o = LinesSource.Options(minChars: minChars, maxChars: maxChars)
            o.category = try t.string("category") ?? ""
            return .lines(o)
        default:
            throw error("kind", "unknown source kind '\(kind)'", "known kinds: \(kinds.joined(separator: ", "))")
        }
    }

    /// The source a job's settings describe.
    public static func make(_ settings: JobConfig.SourceSettings) -> RecordSource {
        let input = settings.input
        switch settings.options {
        case .wikipediaAbstracts:
            return WikipediaAbstractsSource(path: input, options: .init(minChars: settings.minChars, maxChars: settings.maxChars))
        case .wikipedia(let o): return WikipediaPagesSource(path: input, options: o)
        case .wiktionary(let o): return WiktionarySource(path: input, options: o)
        case .wordnet(let o): return WordNetSource(path: input, options: o)
        case .dictionaryTable(let o): return DictionaryTableSource(path: input, options: o)
        case .devdocs(let o): return DevDocsSource(directory: input, options: o)
        case .markdown(let o): return DocumentFolderSource(path: input, options: o)
        case .jsonl(let o): return JSONLinesSource(path: input, options: o)
        case .csv(let o): return CSVSource(path: input, options: o)
        case .lines(let o): return LinesSource(path: input, options: o)
        }
    }
}
