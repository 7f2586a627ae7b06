/// A token HF finds in the text before (or, when `normalized`, right after) normalization and emits whole, with
/// its own id: the special tokens ([CLS], [SEP], [UNK], [PAD], [MASK]) and any token added to a tokenizer.json.
/// So a text that contains "[SEP]" gets id 102 there, not the pieces of "[", "sep", "]".
///
/// lstrip and rstrip are not kept: they only extend a match over the whitespace around it, which BERT's
/// pre-tokenizer drops anyway, so they never change the ids.
struct AddedToken: Sendable, Equatable {
    var content: String
    var id: Int32
    /// Matches only where the text around it is not a word character (regex `\w`), as HF's single_word.
    var singleWord = false
    /// Matched in the normalized text (after lowercasing…) rather than the raw one.
    var normalized = false
}

/// Finds added tokens as HF's Aho-Corasick automaton does: leftmost first, then longest, never overlapping.
/// Text units are UTF-8 bytes for the raw text and scalar values for the normalized one; a tokenizer has a
/// handful of added tokens, so trying each where its first unit occurs is enough.
struct AddedTokenMatcher<Unit: FixedWidthInteger & Sendable>: Sendable {
    struct Pattern: Sendable {
        var units: [Unit]
        var id: Int32
        var singleWord: Bool
    }

    private let patterns: [Pattern]
    /// Indexed by the low byte of a unit: false means no pattern starts with it (a cheap pre-filter).
    private let mayStart: [Bool]

    init(_ patterns: [Pattern]) {
        self.patterns = patterns.filter { !$0.units.isEmpty }
        var mayStart = [Bool](repeating: false, count: 256)
        for pattern in self.patterns { mayStart[Int(truncatingIfNeeded: pattern.units[0] & 0xFF)] = true }
        self.mayStart = mayStart
    }

    var isEmpty: Bool { patterns.isEmpty }

    /// The longest pattern that starts at `text[start]`.
    @inline(__always)
    func match(in text: UnsafeBufferPointer<Unit>, at start: Int) -> Pattern? {
        guard mayStart[Int(truncatingIfNeeded: text[start] & 0xFF)] else { return nil }
        var best: Pattern?
        for pattern in patterns where pattern.units.count > (best?.units.count ?? 0) {
            let units = pattern.units
            guard units.count <= text.count - start else { continue }
            var k = 0
            while k < units.count, text[start + k] == units[k] { k += 1 }
            if k == units.count { best = pattern }
        }
        return best
    }
}

/// Rust's regex `\w` (Unicode): what single_word added tokens must not touch on either side.
func isWordCharacter(_ value: UInt32) -> Bool {
    guard let scalar = Unicode.Scalar(value) else { return false }
    let properties = scalar.properties
    if properties.isAlphabetic || properties.isJoinControl { return true }
    switch properties.generalCategory {
    case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
    default: return false
    }
}
