/// Turns a text into the exact string whose SHA-256 is its cache key (`text_hash`).
///
/// The cache library and server compute the same string in other languages, so the algorithm is
/// a published contract: `docs/normalization.md` specifies it and `docs/normalization-vectors.json`
/// holds the test vectors every implementation must reproduce. Version 1, on Unicode scalars, in order:
///
/// 1. Map every `White_Space` code point (U+0009–U+000D, U+0020, U+0085, U+00A0, U+1680,
///    U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000) to U+0020.
/// 2. Remove the other `Cc` controls (U+0000–U+0008, U+000E–U+001F, U+007F–U+0084, U+0086–U+009F)
///    and U+00AD, U+200B, U+2060, U+FEFF. Everything else is kept (ZWJ, ZWNJ, bidi marks,
///    variation selectors included).
/// 3. Collapse runs of U+0020 into one and trim U+0020 at both ends.
/// 4. Unicode NFC. No case folding, no compatibility (NFKC) mapping.
public enum TextNormalizer {
    /// The version of the algorithm. Any change to the output for any input bumps it, because
    /// every stored `text_hash` depends on it.
    public static let version = "1"

    /// Normalizes `text` (steps 1–4 above).
    ///
    /// Fast for the common cases: one pass over the UTF-8 bytes, eight ASCII bytes at a time where it
    /// can; a text that is already normalized is returned as is, without allocating; NFC is run only
    /// on the few characters that need it, and ASCII never does.
    public static func normalize(_ text: String) -> String {
        var text = text
        text.makeContiguousUTF8()  // a no-op for native strings; bridged ones get copied once
        return text.utf8.withContiguousStorageIfAvailable { normalize(text, utf8: $0) }
            ?? normalizeGeneral(text)  // unreachable: contiguous UTF-8 was just ensured
    }

    /// Normalizes `text` and hashes the result: the pair a cache row is keyed by.
    public static func normalizeAndHash(_ text: String) -> (normalized: String, hash: TextHash) {
        let normalized = normalize(text)
        return (normalized, TextHash(normalized: normalized))
    }

    /// The reference path: a plain scalar-by-scalar transcription of the algorithm followed by NFC
    /// of the whole text, with no shortcut. Tests check that ``normalize(_:)`` agrees with it.
    internal static func normalizeGeneral(_ text: String) -> String {
        var mapped = String.UnicodeScalarView()
        var pending = false
        for scalar in text.unicodeScalars {
            if isWhiteSpace(scalar.value) {
                pending = !mapped.isEmpty
            } else if !isRemoved(scalar.value) {
                if pending { mapped.append(" ") }
                pending = false
                mapped.append(scalar)
            }
        }
        return nfc(String(mapped))
    }

    // MARK: - NFC

    /// Unicode NFC, by the Swift standard library's own implementation (Unicode 17.0 data in Swift 6.3).
    ///
    /// Not Foundation's `precomposedStringWithCanonicalMapping`: on Linux that is CoreFoundation's
    /// CFStringNormalize, which fails to compose a Hangul LV syllable with a trailing jamo
    /// (U+AC00 U+11A8 stays instead of becoming U+AC01). The standard library has one known bug
    /// of its own: it does not reorder the marks that U+0344, U+0F73, U+0F75 and U+0F81 decompose
    /// into (e.g. U+0314 U+0F73 should become U+0F71 U+0F72 U+0314). Those four never survive NFC
    /// (they are composition exclusions), so they are decomposed first; that keeps the text
    /// canonically equivalent and the result exact.
    internal static func nfc(_ text: String) -> String {
        var text = text
        if text.unicodeScalars.contains(where: { nonStarterDecomposition($0.value) != nil }) {
            var decomposed = String.UnicodeScalarView()
            for scalar in text.unicodeScalars {
                if let (first, second) = nonStarterDecomposition(scalar.value) {
                    decomposed.append(first)
                    decomposed.append(second)
                } else {
                    decomposed.append(scalar)
                }
            }
            text = String(decomposed)
        }
        return String(decoding: text._nfcCodeUnits, as: UTF8.self)
    }

    /// The canonical decomposition of the only characters that decompose into more than one
    /// non-starter (checked against the Unicode data; new ones would be composition exclusions too).
    private static func nonStarterDecomposition(_ v: UInt32) -> (Unicode.Scalar, Unicode.Scalar)? {
        switch v {
        case 0x0344: return ("\u{0308}", "\u{0301}")  // COMBINING GREEK DIALYTIKA TONOS
        case 0x0F73: return ("\u{0F71}", "\u{0F72}")  // TIBETAN VOWEL SIGN II
        case 0x0F75: return ("\u{0F71}", "\u{0F74}")  // TIBETAN VOWEL SIGN UU
        case 0x0F81: return ("\u{0F71}", "\u{0F80}")  // TIBETAN VOWEL SIGN REVERSED II
        default: return nil
        }
    }

    // MARK: - Fast path

    // Both phases below also track the span of the output that NFC must see. NFC never reaches
    // across an NFC-inert scalar (`isNFCInert`): UAX #15 puts a normalization boundary before every
    // character with ccc = 0 and NFC_Quick_Check = Yes. So the span runs from the last inert scalar
    // before the first other one to the first inert scalar after the last other one; it is usually
    // a few characters, and the rest of the text is copied around its NFC.

    /// Steps 1–4 on the valid UTF-8 `bytes` of `text`.
    ///
    /// Phase 1 only reads: it walks the prefix that steps 1–3 leave alone. If that is the whole
    /// text, no output is built. Otherwise phase 2 copies the prefix and transforms the rest.
    private static func normalize(_ text: String, utf8 bytes: UnsafeBufferPointer<UInt8>) -> String {
        let count = bytes.count
        // An empty text has no storage; it is already normalized.
        guard let base = bytes.baseAddress, count > 0 else { return text }
        var i = 0
        var afterSpace = true  // true at the start too, so that a leading space is caught
        var lastInert = 0  // offset of the latest inert scalar
        var spanStart = -1  // NFC span, as UTF-8 offsets; -1: no scalar needs NFC
        var spanEnd = 0
        var spanOpen = false  // the span runs until the next inert scalar
        var slowUntil = 0  // after a word that isn't plain ASCII, go byte by byte past it

        // Phase 1: find the end of the prefix that steps 1–3 leave unchanged.
        scan: while i < count {
            if i >= slowUntil && count - i >= 8 && bytes[i] < 0x80 {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
                if let endsWithSpace = Self.plainASCIIWord(word, afterSpace: afterSpace) {
                    if spanOpen { spanEnd = i; spanOpen = false }
                    lastInert = i + 7
                    afterSpace = endsWithSpace
                    i += 8
                    continue
                }
                slowUntil = i + 8
            }
            let b0 = bytes[i]
            if b0 < 0x80 {
                if b0 > 0x20 && b0 != 0x7F {
                    afterSpace = false
                } else if b0 == 0x20 && !afterSpace {
                    afterSpace = true
                } else {
                    break scan  // a control, or a leading or repeated space
                }
                if spanOpen { spanEnd = i; spanOpen = false }
                lastInert = i
                i += 1
                continue
            }
            let (v, length) = decode(bytes, at: i)
            if classify(v) != .keep { break scan }
            afterSpace = false
            if isNFCInert(v) {
                if spanOpen { spanEnd = i; spanOpen = false }
                lastInert = i
            } else {
                if spanStart < 0 { spanStart = lastInert }
                spanOpen = true
            }
            i += length
        }

        if i == count && (count == 0 || !afterSpace) {
            // Steps 1–3 change nothing.
            if spanStart < 0 { return text }
            if spanOpen { spanEnd = count }
            return composeSpan(bytes, start: spanStart, end: spanEnd)
        }

        // Phase 2: copy the prefix, transform the rest. The output is never longer than the input:
        // every scalar that steps 1–3 change becomes zero or one byte.
        let prefixEnd = i
        let prefixEndsWithSpace = afterSpace && i > 0
        var spanState = (start: spanStart, end: spanEnd, open: spanOpen, lastInert: lastInert)
        let mapped = String(unsafeUninitializedCapacity: count) { out in
            var (spanStart, spanEnd, spanOpen, lastInert) = spanState
            guard let dst = out.baseAddress else { return 0 }  // never: capacity is count > 0
            var o = prefixEnd
            if o > 0 { dst.update(from: base, count: o) }
            var pending = false  // a space is due before the next kept scalar
            if prefixEndsWithSpace { o -= 1; pending = true }  // it may turn out to be trailing
            var j = prefixEnd
            while j < count {
                if count - j >= 8 && bytes[j] < 0x80 {
                    let word = UInt64(littleEndian: UnsafeRawPointer(base + j).loadUnaligned(as: UInt64.self))
                    if let endsWithSpace = Self.plainASCIIWord(word, afterSpace: pending || o == 0) {
                        if spanOpen { spanEnd = o; spanOpen = false }
                        if pending { dst[o] = 0x20; o += 1; pending = false }
                        UnsafeMutableRawPointer(dst + o).storeBytes(of: word.littleEndian, as: UInt64.self)
                        lastInert = o + 7
                        o += 8
                        if endsWithSpace { o -= 1; pending = true }
                        j += 8
                        continue
                    }
                }
                let b0 = bytes[j]
                let v: UInt32
                let length: Int
                if b0 < 0x80 {
                    if b0 > 0x20 && b0 != 0x7F {  // printable ASCII, the common case
                        if spanOpen { spanEnd = o; spanOpen = false }
                        if pending { dst[o] = 0x20; o += 1; pending = false }
                        lastInert = o
                        dst[o] = b0
                        o += 1
                        j += 1
                        continue
                    }
                    (v, length) = (UInt32(b0), 1)
                } else {
                    (v, length) = decode(bytes, at: j)
                }
                let from = j
                j += length
                switch classify(v) {
                case .space:
                    pending = o > 0  // never a leading space
                    continue
                case .removed:
                    continue  // a space run across it stays one run
                case .keep:
                    break
                }
                if pending {
                    if spanOpen { spanEnd = o; spanOpen = false }
                    lastInert = o
                    dst[o] = 0x20
                    o += 1
                    pending = false
                }
                if isNFCInert(v) {
                    if spanOpen { spanEnd = o; spanOpen = false }
                    lastInert = o
                } else {
                    if spanStart < 0 { spanStart = lastInert }
                    spanOpen = true
                }
                for k in 0..<length { dst[o + k] = bytes[from + k] }
                o += length
            }
            // A pending space here is the trailing space: dropped.
            if spanOpen { spanEnd = o }
            spanState = (spanStart, spanEnd, false, lastInert)
            return o
        }
        if spanState.start < 0 { return mapped }
        var output = mapped
        return output.withUTF8 { composeSpan($0, start: spanState.start, end: spanState.end) }
    }

    /// If the 8 bytes of `word` (first byte lowest) are printable ASCII or U+0020 with no space after
    /// a space (a space first counts as repeated when `afterSpace`), whether the last one is a space;
    /// otherwise nil. Bytewise SWAR: no carry crosses a byte in any of the sums.
    @inline(__always)
    private static func plainASCIIWord(_ word: UInt64, afterSpace: Bool) -> Bool? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let low7 = word & ~high
        let atLeast7F = ((low7 &+ ones) | word) & high  // DEL and non-ASCII
        let below20 = ~((low7 &+ 0x60 &* ones) | word) & high  // C0 controls
        let x = word ^ (0x20 &* ones)
        let space = ~(((x & ~high) &+ ~high) | x) & high  // bytes equal to 0x20
        let repeated = space & (space << 8 | (afterSpace ? 0x80 : 0))
        guard atLeast7F | below20 | repeated == 0 else { return nil }
        return space >> 63 != 0
    }

    /// The scalar starting at `i` (a lead byte ≥ 0x80) and its length in bytes; UTF-8 is valid.
    @inline(__always)
    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32, Int) {
        let b0 = bytes[i]
        if b0 < 0xE0 {
            return (UInt32(b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F), 2)
        } else if b0 < 0xF0 {
            return (UInt32(b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F), 3)
        } else {
            let v = UInt32(b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12
                | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F)
            return (v, 4)
        }
    }

    /// `out[..<start] + NFC(out[start..<end]) + out[end...]`.
    private static func composeSpan(_ out: UnsafeBufferPointer<UInt8>, start: Int, end: Int) -> String {
        var composed = nfc(String(decoding: UnsafeBufferPointer(rebasing: out[start..<end]), as: UTF8.self))
        if start == 0 && end == out.count { return composed }
        return composed.withUTF8 { mid in
            String(unsafeUninitializedCapacity: start + mid.count + (out.count - end)) { result in
                var r = 0
                for k in 0..<start { result[r] = out[k]; r += 1 }
                for k in 0..<mid.count { result[r] = mid[k]; r += 1 }
                for k in end..<out.count { result[r] = out[k]; r += 1 }
                return r
            }
        }
    }

    internal enum ScalarClass: Equatable { case keep, space, removed }

    /// Steps 1 and 2 for one scalar: ``isWhiteSpace(_:)`` → `.space`, ``isRemoved(_:)`` → `.removed`,
    /// with the common cases decided in a compare or two.
    @inline(__always)
    internal static func classify(_ v: UInt32) -> ScalarClass {
        if v < 0x2000 {
            if v > 0xAD && v != 0x1680 { return .keep }  // most of Latin, Greek, Cyrillic, Arabic…
            if v > 0x20 && v < 0x7F { return .keep }
            if isWhiteSpace(v) { return .space }
            return isRemoved(v) ? .removed : .keep
        }
        if v > 0x3000 { return v == 0xFEFF ? .removed : .keep }  // CJK, Hangul, emoji…
        if isWhiteSpace(v) { return .space }
        return isRemoved(v) ? .removed : .keep
    }

    /// Step 1's set: exactly the Unicode `White_Space` property (stable since Unicode 6.3).
    @inline(__always)
    internal static func isWhiteSpace(_ v: UInt32) -> Bool {
        switch v {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// Step 2's set: `Cc` controls that are not `White_Space`, plus four invisible characters that
    /// in our inputs are almost always accidents (copy-paste, PDF extraction, hyphenation hints)
    /// and would otherwise split the cache between visually identical texts.
    @inline(__always)
    internal static func isRemoved(_ v: UInt32) -> Bool {
        switch v {
        case 0x00...0x08, 0x0E...0x1F, 0x7F...0x84, 0x86...0x9F,
            0xAD,  // SOFT HYPHEN: an invisible line-break hint
            0x200B,  // ZERO WIDTH SPACE
            0x2060,  // WORD JOINER
            0xFEFF:  // BOM / ZERO WIDTH NO-BREAK SPACE, anywhere in the text
            return true
        default:
            return false
        }
    }

    /// Whether NFC can neither change `v` nor combine or reorder it with its neighbours:
    /// canonical combining class 0, NFC_Quick_Check = Yes, and assigned since Unicode 14.0 at the latest.
    ///
    /// A string made only of such scalars is already in NFC under every Unicode version from 14.0 on
    /// (normalization stability), and NFC never reaches across one, so NFC runs only around the
    /// others. The ranges cover what our non-ASCII texts mostly are: Latin with precomposed accents,
    /// Greek, Cyrillic, Hebrew and Arabic letters, punctuation, math symbols, kana, CJK, Hangul
    /// syllables, emoji. Each range is wholly assigned and inert in Unicode 14.0; the tests check
    /// every code point. Notable holes: U+0300–U+036F combining marks, U+0387 (NFC → U+00B7),
    /// U+2126/U+212A/U+212B (NFC → Ω, K, Å), U+2329/U+232A (NFC → U+3008/U+3009),
    /// U+3099/U+309A (kana voicing marks compose), Hangul jamo (compose into syllables).
    @inline(__always)
    internal static func isNFCInert(_ v: UInt32) -> Bool {
        // The commonest answers first: Latin, CJK ideographs, Hangul syllables.
        if v < 0x300 || v &- 0x3400 <= 0x9FFF - 0x3400 || v &- 0xAC00 <= 0xD7A3 - 0xAC00 { return true }
        return isNFCInertElsewhere(v)
    }

    private static func isNFCInertElsewhere(_ v: UInt32) -> Bool {
        switch v {
        case 0x0000...0x02FF,  // ASCII, Latin-1, Latin Extended-A/B, IPA, spacing modifiers
            0x038E...0x03A1, 0x03A3...0x0482, 0x0488...0x052F,  // Greek, Cyrillic
            0x05D0...0x05EA,  // Hebrew letters
            0x0600...0x060F, 0x061B...0x064A, 0x0660...0x066F, 0x0671...0x06D5,  // Arabic letters, digits
            0x1E00...0x1EFF,  // Latin Extended Additional (Vietnamese)
            0x200C...0x2064,  // ZWNJ, ZWJ, bidi marks, general punctuation
            0x2074...0x208E, 0x20A0...0x20C0,  // super/subscripts, currency
            0x2100...0x2125, 0x212C...0x218B,  // letterlike symbols, number forms
            0x2190...0x2328, 0x232B...0x2426, 0x2460...0x2ADB, 0x2ADD...0x2B73,  // arrows, math, symbols
            0x3000...0x3029, 0x3030...0x303F, 0x3041...0x3096, 0x309B...0x30FF,  // CJK punctuation, kana
            0x3400...0x9FFF,  // CJK ideographs (Extension A and the main block)
            0xAC00...0xD7A3,  // Hangul syllables
            0xFE00...0xFE0F,  // variation selectors
            0xFF01...0xFFBE,  // full-width and half-width forms
            0x1F1E6...0x1F1FF, 0x1F300...0x1F6D7, 0x1F900...0x1FA53:  // regional indicators, emoji
            return true
        default:
            return false
        }
    }
}
