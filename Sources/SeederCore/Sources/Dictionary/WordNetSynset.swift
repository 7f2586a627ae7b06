/// One synset line of a WordNet database file (`data.noun`, `data.verb`, `data.adj`, `data.adv`), as `wndb(5)`
/// describes it:
///
///     synset_offset lex_filenum ss_type w_cnt word lex_id [word lex_id...] p_cnt [ptr...] [frames...] | gloss
///
/// `w_cnt` is two hexadecimal digits, `p_cnt` three decimal digits, each pointer four fields, and in `data.verb`
/// the frames are `f_cnt` (two decimal digits) then `+ f_num w_num` per frame. Fields are separated by runs of
/// spaces (or tabs), so files whose white space was reflowed still read; byte offsets are not relied on.
struct WordNetSynset: Equatable {
    /// `synset_offset` as written (eight digits).
    var offset: String
    var lexFileNumber: Int
    /// `n`, `v`, `a`, `s` (adjective satellite) or `r`.
    var type: Character
    /// The words as written (`a_cappella`, `long(a)`).
    var words: [String]
    /// Everything after the `|`, trimmed.
    var gloss: String

    /// Parses a line (valid UTF-8, not a license line); the error says what is wrong with it.
    static func parse(_ line: ArraySlice<UInt8>) -> Result<WordNetSynset, WordNetLineError> {
        guard let bar = line.firstIndex(of: UInt8(ascii: "|")) else { return .failure(.init("no '|' before the gloss")) }
        var fields = line[line.startIndex..<bar].split(whereSeparator: { $0 == 0x20 || $0 == 0x09 }).makeIterator()
        func text(_ field: ArraySlice<UInt8>) -> String { String(decoding: field, as: UTF8.self) }

        guard let offsetField = fields.next() else { return .failure(.init("the line is empty")) }
        guard offsetField.allSatisfy({ (0x30...0x39).contains($0) }) else {
            return .failure(.init("the synset offset \"\(text(offsetField).prefix(20))\" is not a number"))
        }
        guard let lexField = fields.next(), let lexFileNumber = Int(text(lexField)), lexFileNumber >= 0 else {
            return .failure(.init("no lexicographer file number after the offset"))
        }
        guard let typeField = fields.next(), typeField.count == 1,
              let type = ["n", "v", "a", "s", "r"].first(where: { $0.utf8.first == typeField.first }) else {
            return .failure(.init("the synset type is not one of n, v, a, s, r"))
        }
        guard let countField = fields.next(), let wordCount = Int(text(countField), radix: 16), wordCount > 0 else {
            return .failure(.init("the word count (w_cnt) is missing or not a hexadecimal number above 0"))
        }
        var words: [String] = []
        for index in 0..<wordCount {
            guard let word = fields.next(), fields.next() != nil else {
                return .failure(.init("w_cnt says \(wordCount) words, but the line has only \(index)"))
            }
            words.append(text(word))
        }
        guard let pointerField = fields.next(), pointerField.count <= 4, let pointerCount = Int(text(pointerField)), pointerCount >= 0 else {
            return .failure(.init("the pointer count (p_cnt) after the words is missing or not a number"))
        }
        for index in 0..<pointerCount {
            // pointer_symbol synset_offset pos source/target
            var parts = 0
            while parts < 4, fields.next() != nil { parts += 1 }
            if parts < 4 {
                return .failure(.init("p_cnt says \(pointerCount) pointers, but the line has only \(index)"))
            }
        }
        if let frameField = fields.next() {
            // Only verbs have frames: f_cnt, then "+ f_num w_num" per frame.
            guard type == "v", let frameCount = Int(text(frameField)), frameCount >= 0 else {
                return .failure(.init("unexpected \"\(text(frameField).prefix(20))\" after the pointers (p_cnt wrong?)"))
            }
            for index in 0..<frameCount {
                guard fields.next()?.elementsEqual("+".utf8) == true, fields.next() != nil, fields.next() != nil else {
                    return .failure(.init("f_cnt says \(frameCount) frames, but frame \(index + 1) is not \"+ f_num w_num\""))
                }
            }
            if let extra = fields.next() {
                return .failure(.init("unexpected \"\(text(extra).prefix(20))\" before the '|' (a count is wrong)"))
            }
        }
        let glossBytes = Array(line[(bar + 1)...])
        let gloss = String(decoding: glossBytes[UTF8Text.trimmedRange(glossBytes, droppingPrefix: [])], as: UTF8.self)
        return .success(WordNetSynset(offset: text(offsetField), lexFileNumber: lexFileNumber, type: Character(type),
                                      words: words, gloss: gloss))
    }

    /// A word for display: `a_cappella` → "a cappella", `long(a)` → "long" (the adjective position markers
    /// `(a)`, `(p)` and `(ip)` removed).
    static func displayWord(_ word: String) -> String {
        var word = Substring(word)
        for marker in ["(a)", "(p)", "(ip)"] where word.hasSuffix(marker) {
            word = word.dropLast(marker.count)
            break
        }
        return word.replacingUnderscores
    }

    /// The definition: the gloss up to its first quoted example (`; "`), trimmed.
    static func definition(_ gloss: String) -> String {
        guard let range = gloss.range(of: "; \"") else { return gloss }
        return String(gloss[..<range.lowerBound]).trimmingWhiteSpace
    }

    /// The part of speech of a synset type: noun, verb, adjective, adverb.
    static func partOfSpeech(_ type: Character) -> String {
        switch type {
        case "n": return "noun"
        case "v": return "verb"
        case "a", "s": return "adjective"
        default: return "adverb"
        }
    }
}

/// What is wrong with a WordNet line.
struct WordNetLineError: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
}

private extension Substring {
    var replacingUnderscores: String {
        String(map { $0 == "_" ? " " : $0 })
    }
}
