/// Wiktionary as extracted by wiktextract and published by kaikki.org: JSON Lines (plain or gzip), one object per
/// line for one word in one language with one part of speech, its meanings in `senses`.
///
/// Each line is an item; each sense with a gloss becomes a record: `title` = `word`, `body` = the sense's gloss,
/// `category` = `pos` (else `pos_title`, else "unknown"), `url` "", `ordinal` = the line's 0-based index, and
/// `id` = the sense's `id` member when it has one, else `word|pos|<sense index>` (0-based among the entry's senses),
/// or `word|pos|<etymology_number>.<sense index>` when the entry has an `etymology_number` (so that the entries of
/// one word's several etymologies do not share ids).
///
/// The gloss is taken from `glosses` (for a subsense the array starts with its parents' glosses: by default
/// the last entry, the sense's own, is taken; ``GlossJoin/all`` joins them with "; "), else `raw_glosses`, else a
/// `gloss` string, trimmed.
///
/// Skips, counted by reason (the last three are failures, recorded with the line number):
/// - a whole line: blank (``SkipReason/empty``), no `senses` or none (``SkipReason/empty``), a language not in
///   ``Options/languages`` (``SkipReason/filtered``), over `maxLineBytes` (``SkipReason/tooLong``, never held in
///   memory), not valid UTF-8 (``SkipReason/invalidUTF8``), not JSON, not an object, or no `word` string
///   (``SkipReason/malformed``);
/// - a sense, as a skipped part of its line: no gloss (``SkipReason/empty``), a form-of/alt-of sense with
///   ``Options/skipFormOf`` (``SkipReason/filtered``), shorter than `minChars` (``SkipReason/tooShort``), longer
///   than `maxChars` (``SkipReason/tooLong``).
public struct WiktionarySource: RecordSource {
    /// Which part of a subsense's `glosses` array is its gloss.
    public enum GlossJoin: String, Sendable, Equatable {
        /// The last entry: the sense's own gloss, without its parents'.
        case last
        /// Every entry, parents first, joined with "; ".
        case all
    }

    /// How entries are read and filtered.
    public struct Options: Sendable, Equatable {
        /// Glosses shorter than this many characters (after trimming) are skipped as too short.
        public var minChars: Int
        /// Glosses longer than this many characters are skipped as too long.
        public var maxChars: Int
        /// Lines longer than this many bytes are skipped as too long without being held in memory.
        public var maxLineBytes: Int
        /// Entries whose `lang` (language name, compared case-insensitively) or `lang_code` is one of these;
        /// empty: every language.
        public var languages: [String]
        /// Skip senses tagged `form-of` or `alt-of` ("plural of cat", "alternative form of colour"), which only
        /// point to another entry.
        public var skipFormOf: Bool
        /// Which part of `glosses` makes a subsense's gloss.
        public var glossJoin: GlossJoin
        /// Bytes read from the file at a time.
        public var bufferSize: Int

        public init(minChars: Int = 1, maxChars: Int = 100_000, maxLineBytes: Int = 16 << 20, languages: [String] = [],
                    skipFormOf: Bool = true, glossJoin: GlossJoin = .last, bufferSize: Int = 256 * 1024) {
            self.minChars = minChars
            self.maxChars = maxChars
            self.maxLineBytes = maxLineBytes
            self.languages = languages
            self.skipFormOf = skipFormOf
            self.glossJoin = glossJoin
            self.bufferSize = bufferSize
        }
    }

    /// The file's path.
    public let path: String
    public let options: Options

    public var kind: String { "wiktionary" }
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
        let languages = Set(options.languages.map { $0.lowercased() })
        try SourceReadLoop.run(path: path, itemNoun: "line", resumeAfter: resumeAfter, chunkSize: chunkSize,
                               deliver: deliver) { builder in
            guard let line = try lines.next() else {
                builder.inputBytesRead = lines.compressedBytesRead
                if lines.lastLineNumber == 0 { throw SourceReadLoop.noData(path: path) }
                return false
            }
            builder.inputBytesRead = lines.compressedBytesRead
            readEntry(line, languages: languages, into: &builder)
            return true
        }
    }

    /// Turns one line into records or a skip.
    private func readEntry(_ line: LineReader.Line, languages: Set<String>, into builder: inout RecordChunkBuilder) {
        let number = line.number
        let ordinal = Int64(number - 1)
        let lineID = "line \(number)"
        let bytes: ArraySlice<UInt8>
        switch line {
        case .tooLong(_, let byteCount):
            builder.skip(.tooLong, ordinal: ordinal, recordID: lineID,
                         detail: "line \(number) is \(byteCount) bytes long, more than max_line_bytes \(options.maxLineBytes)")
            return
        case .text(_, let text):
            bytes = text
        }
        if UTF8Text.isBlank(bytes) {
            builder.skip(.empty, ordinal: ordinal, recordID: lineID, detail: "")
            return
        }
        guard UTF8Text.isValid(bytes) else {
            builder.skip(.invalidUTF8, ordinal: ordinal, recordID: lineID, detail: "line \(number) is not valid UTF-8")
            return
        }
        let entry: WiktionaryEntry
        switch WiktionaryEntry.parse(bytes) {
        case .success(let parsed):
            entry = parsed
        case .failure(.notAnObject(let what)):
            builder.skip(.malformed, ordinal: ordinal, recordID: lineID,
                         detail: "line \(number) is \(what), not a JSON object (one wiktextract entry per line)")
            return
        case .failure(.json(let error)):
            builder.skip(.malformed, ordinal: ordinal, recordID: lineID,
                         detail: "line \(number) is not valid JSON: \(error.description)")
            return
        }
        guard let rawWord = entry.word else {
            builder.skip(.malformed, ordinal: ordinal, recordID: lineID,
                         detail: entry.wordHasWrongType ? "line \(number): \"word\" is not a string"
                                                        : "line \(number): the entry has no \"word\"")
            return
        }
        let word = rawWord.trimmingWhiteSpace
        guard !word.isEmpty else {
            builder.skip(.malformed, ordinal: ordinal, recordID: lineID, detail: "line \(number): \"word\" is empty")
            return
        }
        if !languages.isEmpty {
            let lang = entry.lang?.lowercased()
            let code = entry.langCode?.lowercased()
            guard lang.map(languages.contains) == true || code.map(languages.contains) == true else {
                builder.skip(.filtered, ordinal: ordinal, recordID: "\(word) (\(lineID))", detail: "")
                return
            }
        }
        guard let senses = entry.senses, !senses.isEmpty else {
            builder.skip(.empty, ordinal: ordinal, recordID: "\(word) (\(lineID))", detail: "")
            return
        }
        let pos = [entry.pos, entry.posTitle].lazy.compactMap { $0?.trimmingWhiteSpace }.first { !$0.isEmpty } ?? "unknown"
        let limits = TextLimits(minChars: options.minChars, maxChars: options.maxChars)
        var records: [Record] = []
        for (index, sense) in senses.enumerated() {
            let id: String
            if let senseID = sense.id?.trimmingWhiteSpace, !senseID.isEmpty {
                id = senseID
            } else if let etymology = entry.etymologyNumber {
                id = "\(word)|\(pos)|\(etymology).\(index)"
            } else {
                id = "\(word)|\(pos)|\(index)"
            }
            if options.skipFormOf && sense.tags.contains(where: { $0 == "form-of" || $0 == "alt-of" }) {
                builder.skipPart(.filtered, ordinal: ordinal, recordID: id, detail: "")
                continue
            }
            guard let gloss = gloss(of: sense) else {
                builder.skipPart(.empty, ordinal: ordinal, recordID: id, detail: "")
                continue
            }
            switch limits.check(gloss, what: "line \(number), sense \(index): the gloss") {
            case .text(let body):
                records.append(Record(id: id, title: word, body: body, category: pos, ordinal: ordinal))
            case .skip(let reason, let detail):
                builder.skipPart(reason, ordinal: ordinal, recordID: id, detail: detail)
            }
        }
        // Skipped senses were counted above; an entry whose senses were all skipped still consumes its item.
        builder.add(records)
    }

    /// The sense's gloss per ``Options/glossJoin``, from `glosses`, else `raw_glosses`, else `gloss`.
    private func gloss(of sense: WiktionaryEntry.Sense) -> String? {
        for list in [sense.glosses, sense.rawGlosses] {
            let glosses = (list ?? []).filter { !$0.trimmingWhiteSpace.isEmpty }
            guard !glosses.isEmpty else { continue }
            switch options.glossJoin {
            case .last: return glosses[glosses.count - 1]
            case .all: return glosses.map(\.trimmingWhiteSpace).joined(separator: "; ")
            }
        }
        if let gloss = sense.gloss, !gloss.trimmingWhiteSpace.isEmpty { return gloss }
        return nil
    }
}
