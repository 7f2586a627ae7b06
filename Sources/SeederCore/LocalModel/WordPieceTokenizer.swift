/// BERT's tokenizer, giving the same ids as Hugging Face `tokenizers` with a BertNormalizer, a BertPreTokenizer,
/// a WordPiece model and a [CLS] … [SEP] post-processor (what every BERT-family sentence-transformers model
/// ships): added tokens such as "[SEP]" found in the text, then normalization, pre-tokenization and WordPiece as
/// `BertTextPipeline` describes. Unlike the tokenizer.json of such models it never pads, and truncates to the
/// length each call asks for.
public struct WordPieceTokenizer: Sendable {
    /// How text is normalized and cut into pieces. The defaults are those of bert-base-uncased and
    /// all-MiniLM-L6-v2; the names follow HF's BertNormalizer and WordPiece fields.
    public struct Options: Sendable, Equatable {
        /// Lowercases (Rust's per-character `to_lowercase`).
        public var lowercase = true
        /// Removes accents (NFD, then drops nonspacing marks). nil follows `lowercase`, as HF does.
        public var stripAccents: Bool? = nil
        /// Puts spaces around CJK ideographs, so each is a word.
        public var handleChineseChars = true
        /// Removes control characters and maps every kind of whitespace to a space.
        public var cleanText = true
        public var unknownToken = "[UNK]"
        public var continuingSubwordPrefix = "##"
        /// A word of more characters (Unicode scalars) than this is one unknown token.
        public var maxInputCharsPerWord = 100
        /// Put before the pieces.
        public var classifierToken = "[CLS]"
        /// Put after the pieces.
        public var separatorToken = "[SEP]"
        /// Tokens found verbatim in the raw text, before normalization, and emitted whole, as HF's special
        /// tokens are. Those missing from the vocabulary are ignored.
        public var specialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

        public init() {}
    }

    public let options: Options
    /// One more than the largest token id: every id `encode` returns is below it.
    public let vocabularySize: Int

    let trie: WordPieceTrie
    let unknownId: Int32
    let classifierId: Int32
    let separatorId: Int32
    /// Added tokens matched in the raw text (on UTF-8 bytes) and in the normalized text (on scalars).
    let rawTokens: AddedTokenMatcher<UInt8>
    private(set) var normalizedTokens: AddedTokenMatcher<UInt32>
    /// What stages 1–5 do to each ASCII byte under these options: a byte to add to the word (lowercased if
    /// need be), or one of the actions below.
    let asciiActions: [UInt8]
    static let dropAction: UInt8 = 0xFF
    static let breakAction: UInt8 = 0xFE
    static let punctuationAction: UInt8 = 0xFD

    /// A tokenizer over `vocabulary`, whose tokens have ids 0, 1, 2… in order (the lines of a vocab.txt).
    /// - Throws: `LocalModelError.malformed` if the unknown, classifier or separator token is not in it.
    public init(vocabulary: [String], options: Options = Options()) throws {
        let entries = vocabulary.enumerated().map { (token: $0.element, id: Int32(truncatingIfNeeded: $0.offset)) }
        let ids = Dictionary(entries.map { ($0.token, $0.id) }, uniquingKeysWith: { $1 })
        let added = options.specialTokens.compactMap { token in ids[token].map { AddedToken(content: token, id: $0) } }
        try self.init(entries: entries, options: options, addedTokens: added, specialIds: nil, source: "vocabulary")
    }

    /// - Parameters:
    ///   - entries: token and id pairs; a later pair wins for a token given twice.
    ///   - specialIds: the [CLS] and [SEP] ids when a post-processor gives them, else looked up by name.
    ///   - source: the file named in errors.
    init(
        entries: [(token: String, id: Int32)], options: Options, addedTokens: [AddedToken],
        specialIds: (classifier: Int32, separator: Int32)?, source: String
    ) throws {
        let ids = Dictionary(entries.map { ($0.token, $0.id) }, uniquingKeysWith: { $1 })
        func id(_ token: String, _ role: String) throws -> Int32 {
            guard let id = ids[token] else {
                throw LocalModelError(
                    .malformed, path: source, message: "the \(role) token \(token) is not in the vocabulary",
                    hint: "the tokenizer files are incomplete or not BERT's: fetch the model again")
            }
            return id
        }
        self.options = options
        unknownId = try id(options.unknownToken, "unknown")
        classifierId = try specialIds?.classifier ?? id(options.classifierToken, "classifier")
        separatorId = try specialIds?.separator ?? id(options.separatorToken, "separator")
        let largest = max(entries.map(\.id).max() ?? 0, addedTokens.map(\.id).max() ?? 0, classifierId, separatorId)
        vocabularySize = Int(largest) + 1
        trie = WordPieceTrie(vocabulary: entries, continuingSubwordPrefix: options.continuingSubwordPrefix)
        rawTokens = AddedTokenMatcher(
            addedTokens.filter { !$0.normalized }.map {
                .init(units: Array($0.content.utf8), id: $0.id, singleWord: $0.singleWord)
            })
        normalizedTokens = AddedTokenMatcher([])
        asciiActions = Self.asciiActions(options)
        // Normalized added tokens are matched in normalized text, so their own text is normalized the same way.
        let normalizedAdded = addedTokens.filter(\.normalized)
        if !normalizedAdded.isEmpty {
            let patterns = normalizedAdded.map {
                AddedTokenMatcher<UInt32>.Pattern(units: normalize($0.content), id: $0.id, singleWord: $0.singleWord)
            }
            normalizedTokens = AddedTokenMatcher(patterns)
        }
    }

    /// [CLS], the word pieces of `text`, [SEP]: at most `maxLength` ids (at least 2), the pieces cut to fit and
    /// [SEP] kept, as HF truncates. Never padded.
    public func encode(_ text: String, maxLength: Int) -> [Int32] {
        var text = text
        text.makeContiguousUTF8()  // a no-op for native strings; bridged ones are copied once
        return text.utf8.withContiguousStorageIfAvailable { encode(utf8: $0, maxLength: maxLength) }
            ?? [classifierId, separatorId]  // unreachable: the UTF-8 was just made contiguous
    }

    private func encode(utf8 text: UnsafeBufferPointer<UInt8>, maxLength: Int) -> [Int32] {
        var pipeline = BertTextPipeline(tokenizer: self, maxLength: maxLength)
        var segmentStart = 0
        if !rawTokens.isEmpty {
            var i = 0
            while i < text.count, !pipeline.isFull {
                guard let match = rawTokens.match(in: text, at: i) else {
                    i += 1
                    // Feed long stretches without an added token as they are scanned, so that reading stops once
                    // the pieces are full; only at a scalar's first byte, so that no scalar is split.
                    if i - segmentStart >= 4096, i < text.count, text[i] & 0xC0 != 0x80 {
                        pipeline.feed(text, segmentStart..<i)
                        segmentStart = i
                    }
                    continue
                }
                let end = i + match.units.count
                // A single_word token touching a word character is no match, but HF still resumes after it.
                if !match.singleWord || Self.standsAlone(text, i..<end) {
                    pipeline.feed(text, segmentStart..<i)
                    pipeline.endSegment()
                    pipeline.appendAddedToken(match.id)
                    segmentStart = end
                }
                i = end
            }
        }
        if !pipeline.isFull {
            pipeline.feed(text, segmentStart..<text.count)
            pipeline.endSegment()
        }
        return pipeline.finish()
    }

    /// The normalized scalars of `text` (stages 1–4), for matching normalized added tokens.
    private func normalize(_ text: String) -> [UInt32] {
        var text = text
        text.makeContiguousUTF8()
        return text.utf8.withContiguousStorageIfAvailable { BertTextPipeline.normalize($0, tokenizer: self) } ?? []
    }

    /// Whether the match at `range` has no word character right before or after it.
    private static func standsAlone(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        if range.lowerBound > 0 {
            var before = range.lowerBound - 1
            while before > 0, text[before] & 0xC0 == 0x80 { before -= 1 }  // back to that scalar's first byte
            if isWordCharacter(BertTextPipeline.decode(text, at: before).value) { return false }
        }
        return range.upperBound == text.count
            || !isWordCharacter(BertTextPipeline.decode(text, at: range.upperBound).value)
    }

    private static func asciiActions(_ options: Options) -> [UInt8] {
        (0..<128).map { (value: UInt32) -> UInt8 in
            let flags = BertCharacterClasses.flags(value)
            if options.cleanText, value == 0 || flags.contains(.control) { return dropAction }
            if flags.contains(.whitespace) { return breakAction }
            if flags.contains(.punctuation) { return punctuationAction }
            let lowered = options.lowercase && (0x41...0x5A).contains(value) ? value + 0x20 : value
            return UInt8(lowered)
        }
    }
}
