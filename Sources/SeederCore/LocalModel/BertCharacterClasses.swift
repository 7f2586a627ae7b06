import Foundation

/// The Unicode facts BERT's normalizer and pre-tokenizer act on, as Hugging Face `tokenizers` sees them.
///
/// `tokenizers` takes general categories (control, format, private use, nonspacing mark, punctuation) from the
/// `unicode_categories` crate, whose tables are Unicode 8.0, and NFD from `unicode-normalization-alignments`,
/// Unicode 9.0. Swift's tables are newer, so a character assigned later counts here as unassigned (no category,
/// no decomposition, combining class 0), and the seven characters whose category changed since keep their 8.0
/// one. Lowercasing and `White_Space` come from Rust's standard library, as current as Swift's.
/// scripts/dev/make-tokenizer-vectors checks all this against the real library, code point by code point.
enum BertCharacterClasses {
    struct Flags: OptionSet, Sendable {
        let rawValue: UInt8
        /// Removed by clean_text: Cc, Cf and Co other than tab, newline and carriage return (NUL and U+FFFD are
        /// tested separately, as HF does).
        static let control = Flags(rawValue: 1 << 0)
        /// Rust's `char::is_whitespace`: the `White_Space` property.
        static let whitespace = Flags(rawValue: 1 << 1)
        /// BertPreTokenizer's punctuation: ASCII punctuation (which includes `$+<=>^`|~`) or a P* category.
        static let punctuation = Flags(rawValue: 1 << 2)
        /// Mn, dropped by strip_accents after NFD.
        static let nonspacingMark = Flags(rawValue: 1 << 3)
        /// In one of the CJK ideograph blocks that handle_chinese_chars pads with spaces.
        static let chinese = Flags(rawValue: 1 << 4)
        /// Changes under Rust's `char::to_lowercase` (the full, context-free mapping, so Σ is always σ).
        static let lowercaseChanges = Flags(rawValue: 1 << 5)
        /// Has a canonical decomposition.
        static let decomposes = Flags(rawValue: 1 << 6)
        /// Nonzero canonical combining class: NFD's canonical ordering may move it.
        static let reorderable = Flags(rawValue: 1 << 7)
    }

    static func flags(_ value: UInt32) -> Flags {
        value < 0x1_0000 ? basicPlane[Int(value)] : computeFlags(value)
    }

    /// The canonical combining class NFD sorts by (0 for a character that is not `reorderable`).
    static func combiningClass(_ value: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(value), assigned(scalar, by: normalizationVersion) else { return 0 }
        return scalar.properties.canonicalCombiningClass.rawValue
    }

    /// Calls `body` with each scalar of the full canonical decomposition of `value` (itself when it has none).
    @inline(__always)
    static func decompose(_ value: UInt32, _ body: (UInt32) -> Void) {
        if value &- hangulBase < hangulCount {
            // Hangul syllables decompose by arithmetic (Unicode §3.12), not by table.
            let index = value &- hangulBase
            body(0x1100 + index / (21 * 28))
            body(0x1161 + (index % (21 * 28)) / 28)
            if index % 28 != 0 { body(0x11A7 + index % 28) }
        } else if let range = decompositions[value] {
            for i in range { body(decompositionScalars[i]) }
        } else {
            body(value)
        }
    }

    /// Rust's `char::to_lowercase` of `value`, one scalar at a time.
    @inline(__always)
    static func lowercase(_ value: UInt32, _ body: (UInt32) -> Void) {
        guard let scalar = Unicode.Scalar(value) else { return body(value) }
        for lower in scalar.properties.lowercaseMapping.unicodeScalars { body(lower.value) }
    }

    /// HF's `is_chinese_char`: the CJK Unified Ideographs blocks and their extensions A–E, and the compatibility
    /// ideographs. Not Hiragana, Katakana or Hangul, which are written with spaces.
    static func isChinese(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B920...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }

    // MARK: - Tables

    private static let categoryVersion = (major: 8, minor: 0)
    private static let normalizationVersion = (major: 9, minor: 0)
    private static let hangulBase: UInt32 = 0xAC00
    private static let hangulCount: UInt32 = 19 * 21 * 28

    /// Flags of U+0000–U+FFFF, computed once: the planes most text lives in, looked up without a property query.
    private static let basicPlane: [Flags] = (0..<0x1_0000).map { computeFlags(UInt32($0)) }

    private static func assigned(_ scalar: Unicode.Scalar, by version: (major: Int, minor: Int)) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return (age.major, age.minor) <= version
    }

    /// Characters whose general category changed after Unicode 8.0, with the 8.0 one that HF still uses.
    private static let categoryOverrides: [UInt32: Unicode.GeneralCategory] = [
        0x1734: .nonspacingMark, 0x1171E: .nonspacingMark,  // Mc today
        0x1885: .otherLetter, 0x1886: .otherLetter,  // Mn today
        0xA9BD: .spacingMark,  // Mn today
        0x111C9: .otherPunctuation,  // Mn today
        0x166D: .otherPunctuation,  // So today
    ]

    private static func category(_ scalar: Unicode.Scalar) -> Unicode.GeneralCategory? {
        if let old = categoryOverrides[scalar.value] { return old }
        return assigned(scalar, by: categoryVersion) ? scalar.properties.generalCategory : nil
    }

    private static func computeFlags(_ value: UInt32) -> Flags {
        guard let scalar = Unicode.Scalar(value) else { return [] }  // a surrogate: never seen in a String
        var flags: Flags = []
        let tabOrNewline = value == 0x09 || value == 0x0A || value == 0x0D
        switch category(scalar) {
        case .control?, .format?, .privateUse?:
            if !tabOrNewline { flags.insert(.control) }
        case .connectorPunctuation?, .dashPunctuation?, .openPunctuation?, .closePunctuation?,
            .initialPunctuation?, .finalPunctuation?, .otherPunctuation?:
            flags.insert(.punctuation)
        case .nonspacingMark?:
            flags.insert(.nonspacingMark)
        default:
            break
        }
        if isASCIIPunctuation(value) { flags.insert(.punctuation) }
        if scalar.properties.isWhitespace || tabOrNewline { flags.insert(.whitespace) }
        if isChinese(value) { flags.insert(.chinese) }
        if scalar.properties.changesWhenLowercased { flags.insert(.lowercaseChanges) }
        if decompositions[value] != nil || value &- hangulBase < hangulCount { flags.insert(.decomposes) }
        if combiningClass(value) != 0 { flags.insert(.reorderable) }
        return flags
    }

    /// Rust's `char::is_ascii_punctuation`: every ASCII graphic character that is not a letter or digit.
    private static func isASCIIPunctuation(_ v: UInt32) -> Bool {
        (0x21...0x2F).contains(v) || (0x3A...0x40).contains(v) || (0x5B...0x60).contains(v) || (0x7B...0x7E).contains(v)
    }

    /// Full canonical decompositions of the characters of Unicode 9.0 that have one (Hangul aside), read once
    /// from Foundation's NFD. The blocks swept are the only ones holding such characters in 9.0; decompositions
    /// of assigned characters never change (Unicode's normalization stability policy).
    private static let decompositionTable: (ranges: [UInt32: Range<Int>], scalars: [UInt32]) = {
        var ranges: [UInt32: Range<Int>] = [:]
        var scalars: [UInt32] = []
        let blocks: [ClosedRange<UInt32>] = [
            0x00C0...0x30FF, 0xF900...0xFB4F, 0x1_1000...0x1_15FF, 0x1_D100...0x1_D1FF, 0x2_F800...0x2_FA1F,
        ]
        for block in blocks {
            for value in block {
                guard let scalar = Unicode.Scalar(value), assigned(scalar, by: normalizationVersion) else { continue }
                let nfd = String(Character(scalar)).decomposedStringWithCanonicalMapping.unicodeScalars
                guard nfd.count != 1 || nfd.first != scalar else { continue }
                let start = scalars.count
                scalars.append(contentsOf: nfd.map(\.value))
                ranges[value] = start..<scalars.count
            }
        }
        return (ranges, scalars)
    }()
    private static var decompositions: [UInt32: Range<Int>] { decompositionTable.ranges }
    private static var decompositionScalars: [UInt32] { decompositionTable.scalars }
}
