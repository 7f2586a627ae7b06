/// A dictionary as a table (plain or gzip): one row per word with its definition, and optionally a part of speech
/// or category, as TSV or CSV.
///
/// - Delimiter: ``Options/delimiter``, or when nil a tab for `.tsv` files or a first line holding a tab, else a
///   comma. Quotes follow RFC 4180 (see ``CSVRecordReader``) unless ``Options/quoting`` says otherwise; by default
///   they are honoured in CSV and literal in TSV (where a definition may well start with `"`).
/// - Header: ``Options/header``, or when nil the first row is a header when it names a word column (word, term,
///   headword, lemma, entry) and a definition column (definition, gloss, meaning, sense, description).
/// - Columns: by name or index; by default the named columns of a header, else word = 0, definition = 1, and the
///   category a header column named pos, part of speech, category, type or class, else column 2 when a row has it.
///
/// Each data row is an item. A record: `title` = the word, `body` = the definition, `category` = the category
/// column or "", `id` = "<word>|line L" (L: the row's first line), `url` "", `ordinal` = the row's 0-based index
/// among data rows. Skips as in ``CSVSource``; a row with an empty word is ``SkipReason/malformed``.
public struct DictionaryTableSource: RecordSource {
    /// Which columns hold what, and how the file is read.
    public struct Options: Sendable, Equatable {
        /// The field separator; nil: detected (see the type's documentation).
        public var delimiter: Character?
        /// Honour `"` quoting; nil: yes for CSV, no for TSV.
        public var quoting: Bool?
        /// Whether the first row is a header; nil: detected from its names.
        public var header: Bool?
        /// The word column; nil: detected.
        public var word: CSVColumn?
        /// The definition column; nil: detected.
        public var definition: CSVColumn?
        /// The category column; nil: detected (none when the table has only two columns).
        public var category: CSVColumn?
        /// Definitions shorter than this many characters (after trimming) are skipped as too short.
        public var minChars: Int
        /// Definitions longer than this many characters are skipped as too long.
        public var maxChars: Int
        /// Rows longer than this many bytes are skipped as too long without being held in memory.
        public var maxRecordBytes: Int
        /// Bytes read from the file at a time.
        public var bufferSize: Int

        public init(delimiter: Character? = nil, quoting: Bool? = nil, header: Bool? = nil, word: CSVColumn? = nil,
                    definition: CSVColumn? = nil, category: CSVColumn? = nil, minChars: Int = 1,
                    maxChars: Int = 100_000, maxRecordBytes: Int = 16 << 20, bufferSize: Int = 256 * 1024) {
            self.delimiter = delimiter
            self.quoting = quoting
            self.header = header
            self.word = word
            self.definition = definition
            self.category = category
            self.minChars = minChars
            self.maxChars = maxChars
            self.maxRecordBytes = maxRecordBytes
            self.bufferSize = bufferSize
        }
    }

    static let wordNames: Set<String> = ["word", "term", "headword", "lemma", "entry"]
    static let definitionNames: Set<String> = ["definition", "definitions", "gloss", "meaning", "sense", "description"]
    static let categoryNames: Set<String> = ["pos", "part of speech", "part_of_speech", "partofspeech", "category", "type", "class"]

    /// The file's path.
    public let path: String
    public let options: Options

    public var kind: String { "dictionary-table" }
    public var inputSize: Int64? { SourceReadLoop.fileSize(path) }

    /// A source reading the table at `path`.
    public init(path: String, options: Options = Options()) {
        self.path = path
        self.options = options
    }

    public func read(resumeAfter: SourceCheckpoint, chunkSize: Int, deliver: (RecordChunk) throws -> Void) throws {
        var delimiter: UInt8? = nil
        if let character = options.delimiter {
            delimiter = try CSVColumn.delimiterByte(character, path: path)
        } else if path.lowercased().hasSuffix(".tsv") || path.lowercased().hasSuffix(".tsv.gz") {
            delimiter = 0x09
        }
        let input = try InputFile.open(path, bufferSize: options.bufferSize)
        let reader = CSVRecordReader(source: input.reader, path: path, delimiter: delimiter, quoting: options.quoting,
                                     maxRecordBytes: options.maxRecordBytes, bufferSize: options.bufferSize)

        // The first row: the header, or the first item.
        guard let first = try reader.next() else { throw SourceReadLoop.noData(path: path) }
        var pending: CSVRecordReader.Item? = first
        var header: [String]? = nil
        let firstNames: [String]? = if case .row(let row) = first { row.fields.map { $0.trimmingWhiteSpace.lowercased() } } else { nil }
        let isHeader = options.header ?? firstNames.map {
            !Set($0).isDisjoint(with: Self.wordNames) && !Set($0).isDisjoint(with: Self.definitionNames)
        } ?? false
        if isHeader {
            guard case .row(let row) = first else { throw CSVRowSkip.headerError(first, path: path) }
            header = row.fields
            pending = nil
        }
        let columns = try resolveColumns(header: header)
        let limits = TextLimits(minChars: options.minChars, maxChars: options.maxChars)
        let maxRecordBytes = options.maxRecordBytes
        var ordinal: Int64 = 0
        try SourceReadLoop.run(path: path, itemNoun: "row", resumeAfter: resumeAfter, chunkSize: chunkSize,
                               deliver: deliver) { builder in
            let next: CSVRecordReader.Item?
            if let first = pending {
                next = first
                pending = nil
            } else {
                next = try reader.next()
            }
            builder.inputBytesRead = reader.compressedBytesRead
            guard let item = next else { return false }
            defer { ordinal += 1 }
            guard case .row(let row) = item else {
                CSVRowSkip.skip(item, ordinal: ordinal, maxRecordBytes: maxRecordBytes, into: &builder)
                return true
            }
            let lineID = "line \(row.line)"
            if row.fields.count == 1 && row.fields[0].trimmingWhiteSpace.isEmpty {
                builder.skip(.empty, ordinal: ordinal, recordID: lineID, detail: "")
                return true
            }
            let needed = max(columns.word, columns.definition) + 1
            guard row.fields.count >= needed else {
                builder.skip(.malformed, ordinal: ordinal, recordID: lineID,
                             detail: "line \(row.line): the row has \(row.fields.count) field(s), but the word and definition columns need \(needed)")
                return true
            }
            let word = row.fields[columns.word].trimmingWhiteSpace
            guard !word.isEmpty else {
                builder.skip(.malformed, ordinal: ordinal, recordID: lineID, detail: "line \(row.line): the word is empty")
                return true
            }
            let id = "\(word)|\(lineID)"
            let category = columns.category.flatMap { $0 < row.fields.count ? row.fields[$0].trimmingWhiteSpace : nil } ?? ""
            switch limits.check(row.fields[columns.definition], what: "line \(row.line): the definition") {
            case .skip(let reason, let detail):
                builder.skip(reason, ordinal: ordinal, recordID: id, detail: detail)
            case .text(let body):
                builder.add(Record(id: id, title: word, body: body, category: category, ordinal: ordinal))
            }
            return true
        }
    }

    /// The word, definition and category columns as indexes.
    private func resolveColumns(header: [String]?) throws -> (word: Int, definition: Int, category: Int?) {
        let names = header?.map { $0.trimmingWhiteSpace.lowercased() }
        func named(_ wanted: Set<String>) -> Int? { names?.firstIndex(where: wanted.contains) }
        let word = try options.word?.resolve(in: header, path: path, option: "word") ?? named(Self.wordNames) ?? 0
        let definition = try options.definition?.resolve(in: header, path: path, option: "definition")
            ?? named(Self.definitionNames) ?? (word == 1 ? 0 : 1)
        var category = try options.category?.resolve(in: header, path: path, option: "category") ?? named(Self.categoryNames)
        if options.category == nil && category == nil && header == nil {
            // Without a header, a third column (when a row has one) is the part of speech or category.
            let third = (0...2).first { $0 != word && $0 != definition }
            category = third
        }
        return (word, definition, category)
    }
}
