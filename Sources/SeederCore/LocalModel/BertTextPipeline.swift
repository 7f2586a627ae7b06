/// One `encode` call: HF's BertNormalizer, BertPreTokenizer and WordPiece fused into a single pass over the
/// text's scalars, each stage handing its output straight to the next, with no intermediate strings.
///
/// The stages, in HF's order (normalizers/bert.rs, pre_tokenizers/bert.rs, models/wordpiece/mod.rs):
/// 1. clean_text: drop NUL, U+FFFD and Cc/Cf/Co controls (tab, CR, LF excepted); map whitespace to a space;
/// 2. handle_chinese_chars: a space before and after each CJK ideograph;
/// 3. strip_accents: NFD (decomposition, then canonical ordering of combining marks), then drop Mn;
/// 4. lowercase: Rust's per-character `to_lowercase`;
/// 5. pre-tokenize: split on whitespace, and isolate each punctuation character as a word of its own;
/// 6. WordPiece each word: the longest vocabulary token, then the longest "##" one, and so on; a word of more
///    than max_input_chars_per_word characters, or with a part no token covers, is one [UNK].
/// ASCII outside a combining sequence takes a table-driven shortcut through stages 1–5.
struct BertTextPipeline {
    private let tokenizer: WordPieceTokenizer
    private let cleanText: Bool
    private let handleChineseChars: Bool
    private let stripAccents: Bool
    private let lowercase: Bool
    private let maxWordLength: Int

    /// [CLS] and the pieces so far.
    private var ids: [Int32]
    /// ids.count that ends the work: [CLS] plus maxLength - 2 pieces, leaving room for [SEP].
    private let capacity: Int
    private(set) var isFull = false

    /// The current word's UTF-8 bytes; only its first maxWordLength scalars are kept, since a longer word is
    /// [UNK] whatever its bytes.
    private var word: [UInt8] = []
    private var wordLength = 0
    /// Combining marks waiting for canonical ordering (stage 3) until the next starter.
    private var marks: [UInt32] = []
    /// When the tokenizer has added tokens matched after normalization, a segment's normalized scalars are
    /// collected here first, since a match may span what stage 5 would split.
    private let collectsNormalized: Bool
    private var normalized: [UInt32] = []

    /// The normalized scalars of `text` (stages 1–4 only).
    static func normalize(_ text: UnsafeBufferPointer<UInt8>, tokenizer: WordPieceTokenizer) -> [UInt32] {
        var pipeline = BertTextPipeline(tokenizer: tokenizer, maxLength: Int.max, collectingOnly: true)
        pipeline.feed(text, 0..<text.count)
        pipeline.flushMarks()
        return pipeline.normalized
    }

    init(tokenizer: WordPieceTokenizer, maxLength: Int, collectingOnly: Bool = false) {
        self.tokenizer = tokenizer
        let options = tokenizer.options
        cleanText = options.cleanText
        handleChineseChars = options.handleChineseChars
        stripAccents = options.stripAccents ?? options.lowercase
        lowercase = options.lowercase
        maxWordLength = max(0, options.maxInputCharsPerWord)
        capacity = maxLength > 2 ? maxLength - 1 : 1
        ids = [tokenizer.classifierId]
        ids.reserveCapacity(min(capacity, 512) + 1)
        collectsNormalized = collectingOnly || !tokenizer.normalizedTokens.isEmpty
        word.reserveCapacity(64)
    }

    /// The ids: [CLS], the pieces, [SEP].
    mutating func finish() -> [Int32] {
        ids.append(tokenizer.separatorId)
        return ids
    }

    /// An added token found in the raw text: it ends the segment before it and counts as one piece.
    mutating func appendAddedToken(_ id: Int32) {
        ids.append(id)
        checkCapacity()
    }

    /// Runs `text[range]`, a piece of raw text between added tokens, through every stage.
    mutating func feed(_ text: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        let actions = tokenizer.asciiActions
        actions.withUnsafeBufferPointer { actions in
            var i = range.lowerBound
            while i < range.upperBound, !isFull {
                let byte = text[i]
                if byte < 0x80, !collectsNormalized {
                    let action = actions[Int(byte)]
                    i += 1
                    if action == WordPieceTokenizer.dropAction { continue }
                    if !marks.isEmpty { flushMarks() }
                    if action < 0x80 {
                        appendASCII(action)
                    } else if action == WordPieceTokenizer.breakAction {
                        endWord()
                    } else {
                        endWord()
                        appendASCII(byte)
                        endWord()
                    }
                } else {
                    let (value, length) = Self.decode(text, at: i)
                    i += length
                    normalizeRaw(value)
                }
            }
        }
    }

    /// Ends a segment: what is pending in the normalizer, the last word, and (when collecting) the normalized
    /// text split on normalized added tokens.
    mutating func endSegment() {
        flushMarks()
        if collectsNormalized {
            let text = normalized
            normalized.removeAll(keepingCapacity: true)
            text.withUnsafeBufferPointer { splitNormalized($0) }
        }
        endWord()
    }

    // MARK: - Normalization (stages 1–4)

    private mutating func normalizeRaw(_ raw: UInt32) {
        var value = raw
        let flags = BertCharacterClasses.flags(value)
        if cleanText {
            if value == 0 || value == 0xFFFD || flags.contains(.control) { return }
            if flags.contains(.whitespace) { value = 0x20 }
        }
        if handleChineseChars, flags.contains(.chinese) {
            decompose(0x20)
            decompose(value)
            decompose(0x20)
        } else {
            decompose(value)
        }
    }

    private mutating func decompose(_ value: UInt32) {
        guard stripAccents else { return caseMap(value) }  // HF runs NFD only to strip accents
        if BertCharacterClasses.flags(value).contains(.decomposes) {
            BertCharacterClasses.decompose(value) { order($0) }
        } else {
            order(value)
        }
    }

    private mutating func order(_ value: UInt32) {
        if BertCharacterClasses.flags(value).contains(.reorderable) {
            marks.append(value)
        } else {
            flushMarks()
            caseMap(value)
        }
    }

    /// Sorts the pending marks by combining class, stably (canonical ordering), and passes them on.
    private mutating func flushMarks() {
        guard !marks.isEmpty else { return }
        if marks.count > 1 {
            for i in 1..<marks.count {  // insertion sort: a run of marks is a few scalars long
                let mark = marks[i]
                let rank = BertCharacterClasses.combiningClass(mark)
                var j = i
                while j > 0, BertCharacterClasses.combiningClass(marks[j - 1]) > rank {
                    marks[j] = marks[j - 1]
                    j -= 1
                }
                marks[j] = mark
            }
        }
        for i in marks.indices { caseMap(marks[i]) }
        marks.removeAll(keepingCapacity: true)
    }

    private mutating func caseMap(_ value: UInt32) {
        let flags = BertCharacterClasses.flags(value)
        if stripAccents, flags.contains(.nonspacingMark) { return }
        if lowercase, flags.contains(.lowercaseChanges) {
            BertCharacterClasses.lowercase(value) { emit($0) }
        } else {
            emit(value)
        }
    }

    private mutating func emit(_ value: UInt32) {
        if collectsNormalized { normalized.append(value) } else { preTokenize(value) }
    }

    // MARK: - Pre-tokenization and WordPiece (stages 5–6)

    private mutating func preTokenize(_ value: UInt32) {
        let flags = BertCharacterClasses.flags(value)
        if flags.contains(.whitespace) {
            endWord()
        } else if flags.contains(.punctuation) {
            endWord()
            appendScalar(value)
            endWord()
        } else {
            appendScalar(value)
        }
    }

    /// Finds the normalized added tokens in a normalized segment, as HF's second pass over the pieces does.
    private mutating func splitNormalized(_ text: UnsafeBufferPointer<UInt32>) {
        let matcher = tokenizer.normalizedTokens
        var i = 0
        while i < text.count, !isFull {
            guard let match = matcher.match(in: text, at: i) else {
                preTokenize(text[i])
                i += 1
                continue
            }
            let end = i + match.units.count
            if match.singleWord,
                (i > 0 && isWordCharacter(text[i - 1])) || (end < text.count && isWordCharacter(text[end]))
            {
                for k in i..<end { preTokenize(text[k]) }
            } else {
                endWord()
                appendAddedToken(match.id)
            }
            i = end
        }
    }

    @inline(__always)
    private mutating func appendASCII(_ byte: UInt8) {
        wordLength += 1
        if wordLength <= maxWordLength { word.append(byte) }
    }

    private mutating func appendScalar(_ value: UInt32) {
        wordLength += 1
        guard wordLength <= maxWordLength else { return }
        switch value {
        case ..<0x80:
            word.append(UInt8(value))
        case ..<0x800:
            word.append(UInt8(0xC0 | value >> 6))
            word.append(UInt8(0x80 | value & 0x3F))
        case ..<0x1_0000:
            word.append(UInt8(0xE0 | value >> 12))
            word.append(UInt8(0x80 | value >> 6 & 0x3F))
            word.append(UInt8(0x80 | value & 0x3F))
        default:
            word.append(UInt8(0xF0 | value >> 18))
            word.append(UInt8(0x80 | value >> 12 & 0x3F))
            word.append(UInt8(0x80 | value >> 6 & 0x3F))
            word.append(UInt8(0x80 | value & 0x3F))
        }
    }

    /// WordPiece on the current word, then starts a new one.
    private mutating func endWord() {
        guard wordLength > 0 else { return }
        if wordLength > maxWordLength {
            ids.append(tokenizer.unknownId)
        } else {
            let start = ids.count
            var position = 0
            while position < word.count {
                let root = position == 0 ? WordPieceTrie.wordStart : WordPieceTrie.continuation
                guard let piece = tokenizer.trie.longestMatch(word, from: position, root: root) else {
                    ids.removeSubrange(start...)
                    ids.append(tokenizer.unknownId)
                    break
                }
                ids.append(piece.id)
                position = piece.end
            }
        }
        word.removeAll(keepingCapacity: true)
        wordLength = 0
        checkCapacity()
    }

    private mutating func checkCapacity() {
        if ids.count >= capacity {
            ids.removeLast(ids.count - capacity)
            isFull = true
        }
    }

    /// The scalar starting at `text[i]` and its length in bytes; a Swift string's UTF-8 is always valid.
    @inline(__always)
    static func decode(_ text: UnsafeBufferPointer<UInt8>, at i: Int) -> (value: UInt32, length: Int) {
        let lead = UInt32(text[i])
        if lead < 0x80 {
            return (lead, 1)
        } else if lead < 0xE0 {
            return ((lead & 0x1F) << 6 | UInt32(text[i + 1] & 0x3F), 2)
        } else if lead < 0xF0 {
            return ((lead & 0x0F) << 12 | UInt32(text[i + 1] & 0x3F) << 6 | UInt32(text[i + 2] & 0x3F), 3)
        }
        return (
            (lead & 0x07) << 18 | UInt32(text[i + 1] & 0x3F) << 12 | UInt32(text[i + 2] & 0x3F) << 6
                | UInt32(text[i + 3] & 0x3F), 4
        )
    }
}
