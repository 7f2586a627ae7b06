/// A plain text file with one text per line (common phrases, query logs, sentence lists), plain or gzip.
///
/// Each line is an item. A record: `id` = "line N" (1-based), `title` "", `body` = the line trimmed of white
/// space, `url` "", `category` = ``Options/category``, `ordinal` = the line's 0-based index.
///
/// A line is skipped, and counted by reason, when it is blank (``SkipReason/empty``), shorter than `minChars`
/// (``SkipReason/tooShort``), longer than `maxChars` characters or `maxLineBytes` bytes (``SkipReason/tooLong``;
/// a line over `maxLineBytes` is never held in memory), or not valid UTF-8 (``SkipReason/invalidUTF8``).
/// Lines end with `\n` or `\r\n`; a UTF-8 byte-order mark is ignored and a UTF-16 file is refused.
public struct LinesSource: RecordSource {
    /// How lines are read and filtered.
    public struct Options: Sendable, Equatable {
        /// Lines shorter than this many characters (after trimming) are skipped as too short.
        public var minChars: Int
        /// Lines longer than this many characters are skipped as too long.
        public var maxChars: Int
        /// Lines longer than this many bytes are skipped as too long without being held in memory.
        public var maxLineBytes: Int
        /// The category of every record (what reports group by).
        public var category: String
        /// Bytes read from the file at a time.
        public var bufferSize: Int

        public init(minChars: Int = 1, maxChars: Int = 100_000, maxLineBytes: Int = 16 << 20,
                    category: String = "", bufferSize: Int = 256 * 1024) {
            self.minChars = minChars
            self.maxChars = maxChars
            self.maxLineBytes = maxLineBytes
            self.category = category
            self.bufferSize = bufferSize
        }
    }

    /// The file's path.
    public let path: String
    public let options: Options

    public var kind: String { "lines" }
    public var inputSize: Int64? { SourceReadLoop.fileSize(path) }

    /// A source reading the file at `path`.
    public init(path: String, options: Options = Options()) {
        self.path = path
        self.options = options
    }

    public func read(resumeAfter: SourceCheckpoint, chunkSize: Int, deliver: (RecordChunk) throws -> Void) throws {
        let input = try InputFile.open(path, bufferSize: options.bufferSize)
        let lines = LineReader(source: input.reader, path: path, maxLineBytes: options.maxLineBytes,
                               bufferSize: options.bufferSize)
        let limits = TextLimits(minChars: options.minChars, maxChars: options.maxChars)
        let category = options.category
        try SourceReadLoop.run(path: path, itemNoun: "line", resumeAfter: resumeAfter, chunkSize: chunkSize,
                               deliver: deliver) { builder in
            guard let line = try lines.next() else {
                builder.inputBytesRead = lines.compressedBytesRead
                if lines.lastLineNumber == 0 { throw SourceReadLoop.noData(path: path) }
                return false
            }
            builder.inputBytesRead = lines.compressedBytesRead
            let number = line.number
            let ordinal = Int64(number - 1)
            switch line {
            case .tooLong(_, let byteCount):
                builder.skip(.tooLong, ordinal: ordinal, recordID: "line \(number)",
                             detail: "line \(number) is \(byteCount) bytes long, more than max_line_bytes \(options.maxLineBytes)")
            case .text(_, let bytes):
                guard UTF8Text.isValid(bytes) else {
                    builder.skip(.invalidUTF8, ordinal: ordinal, recordID: "line \(number)",
                                 detail: "line \(number) is not valid UTF-8")
                    return true
                }
                switch limits.check(utf8: Array(bytes), what: "line \(number)") {
                case .text(let text):
                    builder.add(Record(id: "line \(number)", title: "", body: text, category: category, ordinal: ordinal))
                case .skip(let reason, let detail):
                    builder.skip(reason, ordinal: ordinal, recordID: "line \(number)", detail: detail)
                }
            }
            return true
        }
    }
}
