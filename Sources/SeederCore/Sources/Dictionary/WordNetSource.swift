import Foundation

/// Princeton WordNet 3.0's database files (`data.noun`, `data.verb`, `data.adj`, `data.adv`, plain or gzip).
///
/// The input is the WordNet `dict` directory, whose data files are read in the order noun, verb, adjective, adverb
/// (those present; at least one must be), or a single `data.*` file. `lexnames` (in the same directory) names
/// the lexicographer files; without it categories fall back to the part of speech.
///
/// Each synset line is an item, counted across the files in order (the license lines, which start with two
/// spaces, and blank lines are not items). A record: `id` = `wordnet:<offset>-<ss_type>` (`wordnet:00001740-v`),
/// `title` = the synset's words, underscores as spaces and the adjective markers `(a)`, `(p)`, `(ip)` removed,
/// joined with ", "; `body` = the gloss (by default only the definition, before the first quoted example
/// `; "`); `category` = the lexicographer file name (`verb.motion`) or, with ``Category/partOfSpeech`` or without
/// `lexnames`, noun/verb/adjective/adverb; `url` ""; `ordinal` = the synset's 0-based index across the files.
///
/// A line is skipped when it does not follow `wndb(5)` (bad counts, no `|`: ``SkipReason/malformed``, with file
/// and line in the detail), is not UTF-8 (``SkipReason/invalidUTF8``), is over `maxLineBytes`
/// (``SkipReason/tooLong``), or when its gloss is empty, shorter than `minChars` or longer than `maxChars`.
public struct WordNetSource: RecordSource {
    /// What a record's category is.
    public enum Category: String, Sendable, Equatable {
        /// The lexicographer file (`noun.animal`, `verb.motion`), from `lexnames`.
        case lexname
        /// noun, verb, adjective or adverb.
        case partOfSpeech
    }

    /// How synsets are read.
    public struct Options: Sendable, Equatable {
        /// Glosses shorter than this many characters are skipped as too short.
        public var minChars: Int
        /// Glosses longer than this many characters are skipped as too long.
        public var maxChars: Int
        /// Lines longer than this many bytes are skipped as too long without being held in memory.
        public var maxLineBytes: Int
        /// Keep only the definition, cutting the quoted usage examples that follow it.
        public var glossOnly: Bool
        /// What a record's category is.
        public var category: Category
        /// Bytes read from a file at a time.
        public var bufferSize: Int

        public init(minChars: Int = 1, maxChars: Int = 100_000, maxLineBytes: Int = 1 << 20, glossOnly: Bool = true,
                    category: Category = .lexname, bufferSize: Int = 256 * 1024) {
            self.minChars = minChars
            self.maxChars = maxChars
            self.maxLineBytes = maxLineBytes
            self.glossOnly = glossOnly
            self.category = category
            self.bufferSize = bufferSize
        }
    }

    /// The data files read from a directory, in this order.
    public static let dataFileNames = ["data.noun", "data.verb", "data.adj", "data.adv"]

    /// The `dict` directory or a `data.*` file.
    public let path: String
    public let options: Options

    public var kind: String { "wordnet" }

    public var inputSize: Int64? {
        guard let files = try? dataFiles() else { return nil }
        return files.reduce(Int64(0)) { $0 + (SourceReadLoop.fileSize($1) ?? 0) }
    }

    /// A source reading the WordNet directory or data file at `path`.
    public init(path: String, options: Options = Options()) {
        self.path = path
        self.options = options
    }

    /// The data files to read: those present in the directory, or the file itself.
    func dataFiles() throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SourceError(.missing, file: path, message: "no such file or directory",
                              hint: "give WordNet's dict directory (holding data.noun, data.verb…) or one data.* file")
        }
        guard isDirectory.boolValue else { return [path] }
        let files = Self.dataFileNames.map { (path as NSString).appendingPathComponent($0) }
            .filter { FileManager.default.fileExists(atPath: $0) }
        if files.isEmpty {
            throw SourceError(.missing, file: path,
                              message: "the directory holds none of WordNet's data files (\(Self.dataFileNames.joined(separator: ", ")))",
                              hint: "give WordNet's dict directory (e.g. WordNet-3.0/dict) or one data.* file")
        }
        return files
    }

    /// Lexicographer file names by number, from `lexnames` next to the data files; empty when there is none.
    func lexicographerNames(_ directory: String) -> [Int: String] {
        let file = (directory as NSString).appendingPathComponent("lexnames")
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [:] }
        var names: [Int: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 2, let number = Int(fields[0]) { names[number] = String(fields[1]) }
        }
        return names
    }

    public func read(resumeAfter: SourceCheckpoint, chunkSize: Int, deliver: (RecordChunk) throws -> Void) throws {
        let files = try dataFiles()
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let directory = isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
        let lexnames = options.category == .lexname ? lexicographerNames(directory.isEmpty ? "." : directory) : [:]
        let limits = TextLimits(minChars: options.minChars, maxChars: options.maxChars)

        var fileIndex = 0
        var lines: LineReader? = nil
        var file = ""
        var bytesOfEarlierFiles: Int64 = 0
        var ordinal: Int64 = 0
        try SourceReadLoop.run(path: path, itemNoun: "synset", resumeAfter: resumeAfter, chunkSize: chunkSize,
                               deliver: deliver) { builder in
            while true {
                if lines == nil {
                    guard fileIndex < files.count else { return false }
                    let input = try InputFile.open(files[fileIndex], bufferSize: options.bufferSize)
                    lines = LineReader(source: input.reader, path: files[fileIndex], maxLineBytes: options.maxLineBytes,
                                       bufferSize: options.bufferSize)
                    file = (files[fileIndex] as NSString).lastPathComponent
                }
                guard let reader = lines else { return false }
                guard let line = try reader.next() else {
                    bytesOfEarlierFiles += reader.compressedBytesRead
                    builder.inputBytesRead = bytesOfEarlierFiles
                    lines = nil
                    fileIndex += 1
                    continue
                }
                builder.inputBytesRead = bytesOfEarlierFiles + reader.compressedBytesRead
                if case .text(_, let bytes) = line {
                    // License lines start with two spaces; they and blank lines are not synsets.
                    if bytes.starts(with: [0x20, 0x20]) || UTF8Text.isBlank(bytes) { continue }
                }
                readSynset(line, file: file, ordinal: ordinal, lexnames: lexnames, limits: limits, into: &builder)
                ordinal += 1
                return true
            }
        }
    }

    /// Turns one synset line into a record or a skip.
    private func readSynset(_ line: LineReader.Line, file: String, ordinal: Int64, lexnames: [Int: String],
                            limits: TextLimits, into builder: inout RecordChunkBuilder) {
        let place = "\(file) line \(line.number)"
        let bytes: ArraySlice<UInt8>
        switch line {
        case .tooLong(_, let byteCount):
            builder.skip(.tooLong, ordinal: ordinal, recordID: place,
                         detail: "\(place) is \(byteCount) bytes long, more than max_line_bytes \(options.maxLineBytes)")
            return
        case .text(_, let text):
            bytes = text
        }
        guard UTF8Text.isValid(bytes) else {
            builder.skip(.invalidUTF8, ordinal: ordinal, recordID: place, detail: "\(place) is not valid UTF-8")
            return
        }
        let synset: WordNetSynset
        switch WordNetSynset.parse(bytes) {
        case .success(let parsed):
            synset = parsed
        case .failure(let error):
            builder.skip(.malformed, ordinal: ordinal, recordID: place, detail: "\(place): \(error.message)")
            return
        }
        let id = "wordnet:\(synset.offset)-\(synset.type)"
        let gloss = options.glossOnly ? WordNetSynset.definition(synset.gloss) : synset.gloss
        switch limits.check(gloss, what: "\(place): the gloss") {
        case .skip(let reason, let detail):
            builder.skip(reason, ordinal: ordinal, recordID: id, detail: detail)
        case .text(let body):
            let title = synset.words.map(WordNetSynset.displayWord).joined(separator: ", ")
            let category = lexnames[synset.lexFileNumber] ?? WordNetSynset.partOfSpeech(synset.type)
            builder.add(Record(id: id, title: title, body: body, category: category, ordinal: ordinal))
        }
    }
}
