/// Final cleanup of one rendered paragraph, and sentence splitting.
///
/// One pass with an output stack: whitespace collapsed, no space before `,.;:!?)` or after `(`, parentheses
/// left empty or punctuation-only by removals dropped (`()`, `(; )`), debris such as `(; born 1947)` tightened,
/// and the forbidden sequences (`{{ }} [[ ]] '' {| |} <ref`) removed as they would form — so they can never
/// appear, whatever the input.
enum WikitextTextCleaner {
    private struct Paren { var index: Int; var hasWord: Bool }

    /// The output and its open parentheses, as a struct with mutating methods: nested functions capturing these
    /// variables would pay a dynamic exclusivity check on every byte.
    private struct Output {
        var out: [UInt8] = []
        var parens: [Paren] = []
        var pendingSpace = false

        mutating func dropStaleParens() {
            while let last = parens.last, last.index >= out.count { parens.removeLast() }
        }
        mutating func append(_ c: UInt8) {
            if let last = out.last {
                let pair = (last == c && (c == UInt8(ascii: "{") || c == UInt8(ascii: "}") || c == UInt8(ascii: "[")
                                          || c == UInt8(ascii: "]") || c == UInt8(ascii: "'")))
                    || (last == UInt8(ascii: "{") && c == UInt8(ascii: "|"))
                    || (last == UInt8(ascii: "|") && c == UInt8(ascii: "}"))
                if pair { out.removeLast(); dropStaleParens(); return }
                if c | 0x20 == UInt8(ascii: "f"), out.count >= 3, out[out.count - 3] == UInt8(ascii: "<"),
                   out[out.count - 2] | 0x20 == UInt8(ascii: "r"), last | 0x20 == UInt8(ascii: "e") {
                    out.removeLast(3); dropStaleParens(); return
                }
            }
            out.append(c)
            if WikitextTextCleaner.isWordByte(c), !parens.isEmpty { parens[parens.count - 1].hasWord = true }
        }
        mutating func flushSpace() {
            guard pendingSpace else { return }
            pendingSpace = false
            if let last = out.last, last != UInt8(ascii: " "), last != UInt8(ascii: "(") { out.append(UInt8(ascii: " ")) }
        }
    }

    static func clean(_ p: [UInt8]) -> [UInt8] {
        var o = Output()
        o.out.reserveCapacity(p.count)
        let n = p.count

        var i = 0
        while i < n {
            let c = p[i]
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") || c < 0x20 {
                o.pendingSpace = true; i += 1; continue
            }
            if c == 0xC2 && i + 1 < n && p[i + 1] == 0xA0 { o.pendingSpace = true; i += 2; continue }  // U+00A0
            switch c {
            case UInt8(ascii: "("):
                o.flushSpace()
                o.append(c)
                if o.out.last == c { o.parens.append(Paren(index: o.out.count - 1, hasWord: false)) }
                i += 1
                // `({{IPAc-en|…}}; born 1947)` leaves "(; born": drop the separators a removal left behind.
                while i < n && (p[i] == UInt8(ascii: " ") || p[i] == UInt8(ascii: ";") || p[i] == UInt8(ascii: ",")) { i += 1 }
                continue
            case UInt8(ascii: ")"):
                i += 1
                guard let open = o.parens.popLast() else { o.pendingSpace = false; o.append(c); continue }
                if !open.hasWord {
                    o.out.removeSubrange(open.index...)
                    while o.out.last == UInt8(ascii: " ") { o.out.removeLast() }
                    o.dropStaleParens()
                    o.pendingSpace = true
                    continue
                }
                while let last = o.out.last, last == UInt8(ascii: " ") || last == UInt8(ascii: ",") || last == UInt8(ascii: ";") {
                    o.out.removeLast()
                }
                o.pendingSpace = false
                o.out.append(c)
                if !o.parens.isEmpty { o.parens[o.parens.count - 1].hasWord = true }
                continue
            case UInt8(ascii: ","), UInt8(ascii: "."), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "!"), UInt8(ascii: "?"):
                o.pendingSpace = false
                while o.out.last == UInt8(ascii: " ") { o.out.removeLast() }
                if (c == UInt8(ascii: ",") || c == UInt8(ascii: ";")) && (o.out.last == UInt8(ascii: ",") || o.out.last == UInt8(ascii: ";")) {
                    i += 1; continue  // ", ," left by a removed template
                }
                o.append(c)
            default:
                o.flushSpace()
                o.append(c)
            }
            i += 1
        }
        // No line may start with `|` or `!` (table syntax); trailing blanks go too.
        var start = 0
        while start < o.out.count && (o.out[start] == UInt8(ascii: " ") || o.out[start] == UInt8(ascii: "|")
                                    || o.out[start] == UInt8(ascii: "!")) { start += 1 }
        var end = o.out.count
        while end > start && o.out[end - 1] == UInt8(ascii: " ") { end -= 1 }
        return Array(o.out[start..<end])
    }

    @inline(__always) static func isWordByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A) || c >= 0x80
    }

    /// Prose: holds at least one letter or digit (not just punctuation left over from removed markup).
    static func isProse(_ text: [UInt8]) -> Bool {
        for c in text {
            if c < 0x80 { if isWordByte(c) { return true } else { continue } }
            // Non-ASCII: decide on the scalars (dashes and symbols are not prose).
            return String(decoding: text, as: UTF8.self).unicodeScalars.contains {
                $0.properties.isAlphabetic || $0.properties.numericType != nil
            }
        }
        return false
    }

    // MARK: - Sentences

    /// Words after which a period does not end a sentence (lowercased, without the final period).
    static let abbreviations: Set<String> = [
        "e.g", "i.e", "c", "ca", "cca", "st", "mr", "mrs", "ms", "dr", "jr", "sr", "no", "nos", "vs", "v", "prof",
        "gen", "col", "lt", "sgt", "capt", "cmdr", "adm", "rev", "fr", "mt", "ft", "approx", "fl", "vol", "vols",
        "pp", "p", "ed", "eds", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
        "sept", "oct", "nov", "dec", "op", "cf", "al", "viz", "b", "d", "r", "gov", "sen", "rep", "hon", "pres",
        "univ", "dept", "est", "fig", "figs", "u.s", "u.k", "a.d", "b.c", "ph.d", "ave", "blvd", "bros",
    ]

    /// Splits `text` into sentences: an end is `.`/`!`/`?` (plus closing quotes/brackets) followed by a space and
    /// an uppercase letter, digit or opening quote, not after an abbreviation or a single-letter initial.
    static func sentences(_ text: [UInt8]) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var start = 0
        let n = text.count
        var i = 0
        while i < n {
            let c = text[i]
            if c == UInt8(ascii: ".") || c == UInt8(ascii: "!") || c == UInt8(ascii: "?") {
                var j = i + 1
                while j < n {
                    if text[j] == UInt8(ascii: "\"") || text[j] == UInt8(ascii: "'") || text[j] == UInt8(ascii: ")") { j += 1; continue }
                    if j + 2 < n && text[j] == 0xE2 && text[j + 1] == 0x80 && (text[j + 2] == 0x9D || text[j + 2] == 0x99) { j += 3; continue }
                    break
                }
                if j + 1 < n && text[j] == UInt8(ascii: " ") && startsSentence(text, j + 1)
                    && !(c == UInt8(ascii: ".") && isAbbreviation(text, i)) {
                    result.append(Array(text[start..<j]))
                    start = j + 1
                    i = j + 1
                    continue
                }
            }
            i += 1
        }
        if start < n { result.append(Array(text[start..<n])) }
        return result
    }

    private static func startsSentence(_ t: [UInt8], _ i: Int) -> Bool {
        let c = t[i]
        if c < 0x80 {
            return (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "\"")
                || c == UInt8(ascii: "'") || c == UInt8(ascii: "(")
        }
        let scalars = String(decoding: t[i..<min(t.count, i + 4)], as: UTF8.self).unicodeScalars
        guard let first = scalars.first else { return false }
        return first.properties.isUppercase || first == "\u{201C}" || first == "\u{2018}" || first == "\u{00AB}"
    }

    private static func isAbbreviation(_ t: [UInt8], _ dot: Int) -> Bool {
        var a = dot
        while a > 0 && t[a - 1] != UInt8(ascii: " ") && t[a - 1] != UInt8(ascii: "(") && t[a - 1] != UInt8(ascii: "\"") { a -= 1 }
        let word = t[a..<dot]
        if word.isEmpty { return false }
        if word.count == 1, let w = word.first, (w | 0x20) >= 0x61, (w | 0x20) <= 0x7A { return true }  // "J. R. R."
        if word.contains(UInt8(ascii: ".")) { return true }  // "U.S.", "e.g.", "A.M.P.A.S."
        guard word.count <= 6 else { return false }
        return abbreviations.contains(String(decoding: word, as: UTF8.self).lowercased())
    }
}
