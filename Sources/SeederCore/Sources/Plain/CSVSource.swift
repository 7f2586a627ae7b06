/// A CSV file (RFC 4180; plain or gzip) with one text per row in a chosen column.
///
/// Each data row is an item (the header row, read by default, is not). A record: `body` = the ``Options/body``
/// column trimmed; `title`, `category`, `url` = the optional columns trimmed ("" when not chosen); `id` = the id
/// column when chosen and not empty, else "line L" (L: the 1-based line where the row starts); `ordinal` = the
/// row's 0-based index among data rows.
///
/// Quoted fields may hold delimiters, `""` and line breaks; see ``CSVRecordReader`` for the details, the byte-order
/// mark and the bounds. A row is skipped, counted by reason, when it is blank or its body is empty
/// (``SkipReason/empty``), shorter than `minChars` (``SkipReason/tooShort``), longer than `maxChars` characters
/// or `maxRecordBytes` bytes (``SkipReason/tooLong``: not held in memory, reading resumes after the row),
/// not UTF-8 (``SkipReason/invalidUTF8``), has fewer fields than a chosen column needs, or opens a quote that is
/// still open at the end of the file (``SkipReason/malformed``, with the row's line).
public struct CSVSource: RecordSource {
    /// Which columns hold what, and how the file is read.
    public struct Options: Sendable, Equatable {
        /// The field separator: `,` (default), `;`, a tab…
        public var delimiter: Character
        /// Honour `"` quoting (RFC 4180).
        public var quoting: Bool
        /// The first row names the columns (and is not a text).
        public var header: Bool
        /// The column holding the text.
        public var body: CSVColumn
        public var title: CSVColumn?
        public var id: CSVColumn?
        public var category: CSVColumn?
        public var url: CSVColumn?
        /// Bodies shorter than this many characters (after trimming) are skipped as too short.
        public var minChars: Int
        /// Bodies longer than this many characters are skipped as too long.
        public var maxChars: Int
        /// Rows longer than this many bytes are skipped as too long without being held in memory.
        public var maxRecordBytes: Int
        /// Bytes read from the file at a time.
        public var bufferSize: Int

        public init(delimiter: Character = ",", quoting: Bool = true, header: Bool = true, body: CSVColumn = .index(0),
                    title: CSVColumn? = nil, id: CSVColumn? = nil, category: CSVColumn? = nil, url: CSVColumn? = nil,
                    minChars: Int = 1, maxChars: Int = 100_000, maxRecordBytes: Int = 16 << 20,
                    bufferSize: Int = 256 * 1024) {
            self.delimiter = delimiter
            self.quoting = quoting
            self.header = header
            self.body = body
            self.title = title
            self.id = id
            self.category = category
            self.url = url
            self.minChars = minChars
            self.maxChars = maxChars
            self.maxRecordBytes = maxRecordBytes
            self.bufferSize = bufferSize
        }
    }

    /// The file's path.
    public let path: String
    public let options: Options

    public var kind: String { "csv" }
    public var inputSize: Int64? { SourceReadLoop.fileSize(path) }

    /// A source reading the CSV file at `path`.
    public init(path: String, options: Options = Options()) {
        self.path = path
        self.options = options
    }

    public func read(resumeAfter: SourceCheckpoint, chunkSize: Int, deliver: (RecordChunk) throws -> Void) throws {
        let delimiter = try CSVColumn.delimiterByte(options.delimiter, path: path)
        let input = try InputFile.open(path, bufferSize: options.bufferSize)
        let reader = CSVRecordReader(source: input.reader, path: path, delimiter: delimiter, quoting: options.quoting,
                                     maxRecordBytes: options.maxRecordBytes, bufferSize: options.bufferSize)
        // The first row: the header, or the first item.
        guard let pending = try reader.next() else { throw SourceReadLoop.noData(path: path) }
        var header: [String]? = nil
        if options.header {
            guard case .row(let row) = pending else { throw CSVRowSkip.headerError(pending, path: path) }
            header = row.fields
        }
        var pendingIsItem = !options.header
        let columns = try Columns(options: options, header: header, path: path)
        let limits = TextLimits(minChars: options.minChars, maxChars: options.maxChars)
        var ordinal: Int64 = 0
        try SourceReadLoop.run(path: path, itemNoun: "row", resumeAfter: resumeAfter, chunkSize: chunkSize,
                               deliver: deliver) { builder in
            let next: CSVRecordReader.Item?
            if pendingIsItem {
                next = pending
                pendingIsItem = false
            } else {
                next = try reader.next()
            }
            builder.inputBytesRead = reader.compressedBytesRead
            guard let item = next else { return false }
            defer { ordinal += 1 }
            guard case .row(let row) = item else {
                CSVRowSkip.skip(item, ordinal: ordinal, maxRecordBytes: options.maxRecordBytes, into: &builder)
                return true
            }
            let lineID = "line \(row.line)"
            if row.fields.count == 1 && row.fields[0].trimmingWhiteSpace.isEmpty {
                builder.skip(.empty, ordinal: ordinal, recordID: lineID, detail: "")
                return true
            }
            guard row.fields.count >= columns.needed else {
                builder.skip(.malformed, ordinal: ordinal, recordID: lineID,
                             detail: "line \(row.line): the row has \(row.fields.count) field(s), but \(columns.neededName) needs \(columns.needed)")
                return true
            }
            func field(_ index: Int?) -> String { index.map { row.fields[$0].trimmingWhiteSpace } ?? "" }
            let id = field(columns.id)
            switch limits.check(row.fields[columns.body], what: "line \(row.line): the text") {
            case .skip(let reason, let detail):
                builder.skip(reason, ordinal: ordinal, recordID: id.isEmpty ? lineID : id, detail: detail)
            case .text(let body):
                builder.add(Record(id: id.isEmpty ? lineID : id, title: field(columns.title), body: body,
                                   url: field(columns.url), category: field(columns.category), ordinal: ordinal))
            }
            return true
        }
    }

    /// The options' columns as indexes.
    private struct Columns {
        var body: Int
        var title: Int?
        var id: Int?
        var category: Int?
        var url: Int?
        /// The number of fields a row needs, and the column that needs them.
        var needed: Int
        var neededName: String

        init(options: Options, header: [String]?, path: String) throws {
            body = try options.body.resolve(in: header, path: path, option: "body")
            title = try options.title?.resolve(in: header, path: path, option: "title")
            id = try options.id?.resolve(in: header, path: path, option: "id")
            category = try options.category?.resolve(in: header, path: path, option: "category")
            url = try options.url?.resolve(in: header, path: path, option: "url")
            let chosen: [(Int?, CSVColumn?)] = [(body, options.body), (title, options.title), (id, options.id),
                                                (category, options.category), (url, options.url)]
            let widest = chosen.compactMap { index, column in index.map { ($0, column) } }.max { $0.0 < $1.0 }
            needed = (widest?.0 ?? 0) + 1
            neededName = widest?.1?.description ?? "the body column"
        }
    }
}
