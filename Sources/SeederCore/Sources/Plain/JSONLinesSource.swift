/// JSON Lines (plain or gzip): one JSON object per line, the text at a chosen field path.
///
/// Each line is an item. A record: `body` = the string at ``Options/body`` (trimmed); `title`, `category`, `url`
/// = the values at their optional paths (numbers as written, booleans as true/false; "" when absent, null or an
/// object/array); `id` = the value at ``Options/id`` when present, else "line N"; `ordinal` = the line's 0-based
/// index. Paths are dot-separated keys, numeric components indexing arrays (``JSONFieldPath``).
///
/// A line is skipped, counted by reason, when it is blank, or its body is null or "" (``SkipReason/empty``),
/// shorter than `minChars` (``SkipReason/tooShort``), longer than `maxChars` characters or `maxLineBytes` bytes
/// (``SkipReason/tooLong``, never held in memory), not UTF-8 (``SkipReason/invalidUTF8``), or broken
/// (``SkipReason/malformed``, with the line number and what is wrong): not JSON, not an object, no body field, or
/// a body that is not a string.
public struct JSONLinesSource: RecordSource {
    /// Which fields hold what.
    public struct Options: Sendable, Equatable {
        /// The path of the text (default `text`).
        public var body: JSONFieldPath
        public var title: JSONFieldPath?
        public var id: JSONFieldPath?
        public var category: JSONFieldPath?
        public var url: JSONFieldPath?
        /// Bodies shorter than this many characters (after trimming) are skipped as too short.
        public var minChars: Int
        /// Bodies longer than this many characters are skipped as too long.
        public var maxChars: Int
        /// Lines longer than this many bytes are skipped as too long without being held in memory.
        public var maxLineBytes: Int
        /// Bytes read from the file at a time.
        public var bufferSize: Int

        public init(body: JSONFieldPath = JSONFieldPath("text")!, title: JSONFieldPath? = nil, id: JSONFieldPath? = nil,
                    category: JSONFieldPath? = nil, url: JSONFieldPath? = nil, minChars: Int = 1,
                    maxChars: Int = 100_000, maxLineBytes: Int = 16 << 20, bufferSize: Int = 256 * 1024) {
            self.body = body
            self.title = title
            self.id = id
            self.category = category
            self.url = url
            self.minChars = minChars
            self.maxChars = maxChars
            self.maxLineBytes = maxLineBytes
            self.bufferSize = bufferSize
        }
    }

    /// The file's path.
    public let path: String
    public let options: Options

    public var kind: String { "jsonl" }
    public var inputSize: Int64? { SourceReadLoop.fileSize(path) }

    /// A source reading the JSON Lines file at `path`.
    public init(path: String, options: Options = Options()) {
        self.path = path
        self.options = options
    }

    public func read(resumeAfter: SourceCheckpoint, chunkSize: Int, deliver: (RecordChunk) throws -> Void) throws {
        let input = try InputFile.open(path, bufferSize: options.bufferSize)
        let lines = LineReader(source: input.reader, path: path, maxLineBytes: options.maxLineBytes,
                               bufferSize: options.bufferSize)
        let limits = TextLimits(minChars: options.minChars, maxChars: options.maxChars)
        // body, title, id, category, url: absent optional paths are not looked for.
        let optional = [options.title, options.id, options.category, options.url]
        let paths = [options.body] + optional.compactMap { $0 }
        var slots: [Int?] = []
        var next = 1
        for path in optional {
            slots.append(path == nil ? nil : next)
            if path != nil { next += 1 }
        }
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
            let lineID = "line \(number)"
            guard case .text(_, let bytes) = line else {
                if case .tooLong(_, let byteCount) = line {
                    builder.skip(.tooLong, ordinal: ordinal, recordID: lineID,
                                 detail: "line \(number) is \(byteCount) bytes long, more than max_line_bytes \(options.maxLineBytes)")
                }
                return true
            }
            if UTF8Text.isBlank(bytes) {
                builder.skip(.empty, ordinal: ordinal, recordID: lineID, detail: "")
                return true
            }
            guard UTF8Text.isValid(bytes) else {
                builder.skip(.invalidUTF8, ordinal: ordinal, recordID: lineID, detail: "line \(number) is not valid UTF-8")
                return true
            }
            let values: [JSONFieldValue?]
            switch JSONFieldExtractor.extract(paths, from: bytes) {
            case .success(let found):
                values = found
            case .failure(.notAnObject(let what)):
                builder.skip(.malformed, ordinal: ordinal, recordID: lineID,
                             detail: "line \(number) is \(what), not a JSON object")
                return true
            case .failure(.json(let error)):
                builder.skip(.malformed, ordinal: ordinal, recordID: lineID,
                             detail: "line \(number) is not valid JSON: \(error.description)")
                return true
            }
            func field(_ slot: Int?) -> String { slot.flatMap { values[$0]?.text?.trimmingWhiteSpace } ?? "" }
            let id = field(slots[1]).isEmpty ? lineID : field(slots[1])
            let body: String
            switch values[0] {
            case nil:
                builder.skip(.malformed, ordinal: ordinal, recordID: id, detail: "line \(number): no field \(options.body)")
                return true
            case .null?:
                builder.skip(.empty, ordinal: ordinal, recordID: id, detail: "")
                return true
            case .string(let string)?:
                body = string
            case let other?:
                builder.skip(.malformed, ordinal: ordinal, recordID: id,
                             detail: "line \(number): \(options.body) is \(other.kindName), not a string")
                return true
            }
            switch limits.check(body, what: "line \(number): \(options.body)") {
            case .skip(let reason, let detail):
                builder.skip(reason, ordinal: ordinal, recordID: id, detail: detail)
            case .text(let text):
                builder.add(Record(id: id, title: field(slots[0]), body: text, url: field(slots[3]),
                                   category: field(slots[2]), ordinal: ordinal))
            }
            return true
        }
    }
}
