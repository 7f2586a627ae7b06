/// One structural token of a wikitext region, found by `WikitextTokenizer`: 16 bytes, since a long page has
/// millions of them.
///
/// Openers carry the index of their closer (`partner`). Template arguments and link labels are found later by
/// `WikitextRenderer.directPipes`, which scans only the bytes directly inside one construct.
struct WikitextToken {
    enum Kind: UInt8 {
        case templateOpen, paramOpen, linkOpen, tableOpen, refOpen
        case templateClose, paramClose, linkClose, tableClose, refClose
        /// Dropped with its content: `<ref …/>`, `<math>…</math>`, `<gallery>…</gallery>`, `<nowiki/>`, …
        case drop
        /// `<nowiki>…</nowiki>` / `<pre>…</pre>`: the text between the tags (`partner` = its end) is plain text.
        case literal
        /// A formatting tag (`<span …>`, `</small>`) that disappears, keeping the surrounding text; `<br>` → space.
        case tag, lineBreak
        /// Unbalanced syntax (stray `}}` or `]]`, `[[` never closed, `<ref>` without `</ref>`): its bytes are
        /// dropped and what follows is read as if it were not there, as MediaWiki renders it as literal text.
        case stray
        /// A `{{`, `{{{` or `{|` never closed: it swallows the rest of its line (plus any construct that starts
        /// there and closes later), so an unclosed infobox loses its first line and its `| key = value` lines
        /// stay non-prose, while the article's text on the next lines survives.
        case unclosed

        var isOpener: Bool { rawValue <= Kind.refOpen.rawValue }
    }
    private var start32: Int32
    private var end32: Int32
    /// Opener: index of its closer (-1 once it turns out unclosed). Literal: end of its inner text.
    var partner: Int32 = -1
    var kind: Kind

    init(start: Int, end: Int, kind: Kind) {
        start32 = Int32(truncatingIfNeeded: start)
        end32 = Int32(truncatingIfNeeded: end)
        self.kind = kind
    }

    var start: Int { Int(start32) }
    var end: Int { Int(end32) }
}

/// Finds the nesting structure of a (comment-free) wikitext region in one linear pass.
///
/// Brackets are matched with an explicit stack and per-kind counters, never recursion: a closer with no open
/// construct of its kind is a `stray`; a closer that does match pops (and marks `stray`) whatever unclosed
/// constructs sit above its opener, so every byte is pushed and popped at most once. Tag contents that are not
/// wikitext (`<math>`, `<nowiki>` …) are found by a forward search whose failure is remembered per tag name, so a
/// page full of unclosed `<math>` stays linear.
enum WikitextTokenizer {
    /// Tags whose content is dropped entirely (not wikitext, or not prose).
    static let dropContentTags: Set<String> = [
        "math", "gallery", "timeline", "syntaxhighlight", "source", "score", "imagemap", "templatedata",
        "references", "chem", "ce", "hiero", "graph", "mapframe", "maplink", "inputbox", "categorytree",
        "includeonly", "section", "templatestyles", "indicator", "charinsert",
    ]
    /// Tags whose content is shown verbatim (no markup inside).
    static let literalTags: Set<String> = ["nowiki", "pre"]
    /// Tags removed while their content stays.
    static let formattingTags: Set<String> = [
        "span", "small", "big", "sup", "sub", "abbr", "b", "i", "u", "s", "del", "ins", "em", "strong", "cite",
        "code", "var", "kbd", "samp", "tt", "strike", "div", "p", "center", "font", "blockquote", "q", "bdi",
        "bdo", "ruby", "rb", "rt", "rp", "time", "mark", "dfn", "data", "hr", "wbr", "noinclude", "onlyinclude",
        "poem", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "caption", "table", "tr",
        "td", "th", "tbody", "thead", "big", "nobr",
    ]

    /// The region's tokens in position order. Positions must fit in Int32 (the extractor caps regions).
    static func tokenize(_ s: UnsafeBufferPointer<UInt8>) -> [WikitextToken] {
        var builder = Builder(s: s)
        builder.run()
        return builder.tokens
    }

    /// Tokenizer state as a struct with mutating methods (no captured variables: no dynamic exclusivity checks).
    private struct Builder {
        let s: UnsafeBufferPointer<UInt8>
        var tokens: [WikitextToken] = []
        var stack: [Int32] = []  // indices of open tokens
        var braces = 0, links = 0, tables = 0, refs = 0
        var unclosedTags: Set<String> = []  // tags whose closing form does not occur after some point

        init(s: UnsafeBufferPointer<UInt8>) {
            self.s = s
            tokens.reserveCapacity(s.count / 32 + 16)
        }

        mutating func count(_ kind: WikitextToken.Kind, _ delta: Int) {
            switch kind {
            case .templateOpen, .paramOpen: braces += delta
            case .linkOpen: links += delta
            case .tableOpen: tables += delta
            case .refOpen: refs += delta
            default: break
            }
        }
        mutating func push(_ kind: WikitextToken.Kind, _ start: Int, _ end: Int) {
            tokens.append(WikitextToken(start: start, end: end, kind: kind))
            stack.append(Int32(tokens.count - 1))
            count(kind, 1)
        }
        /// Pops unclosed constructs until the top satisfies `matches`; they become stray.
        mutating func popUntil(_ matches: (WikitextToken.Kind) -> Bool) {
            while let top = stack.last, !matches(tokens[Int(top)].kind) {
                let kind = tokens[Int(top)].kind
                count(kind, -1)
                tokens[Int(top)].kind = kind == .linkOpen || kind == .refOpen ? .stray : .unclosed
                stack.removeLast()
            }
        }
        mutating func close(_ kind: WikitextToken.Kind, _ start: Int, _ end: Int) {
            let opener = stack.removeLast()
            count(tokens[Int(opener)].kind, -1)
            tokens.append(WikitextToken(start: start, end: end, kind: kind))
            tokens[Int(opener)].partner = Int32(tokens.count - 1)
        }

        /// Whether any of the 8 bytes of `word` is a newline, `{`, `}`, `[`, `]`, `|` or `<` (SWAR zero-byte test).
        @inline(__always)
        static func mayMatter(_ word: UInt64) -> Bool {
            @inline(__always) func has(_ byte: UInt8) -> Bool {
                let v = word ^ (0x0101_0101_0101_0101 &* UInt64(byte))
                return (v &- 0x0101_0101_0101_0101) & ~v & 0x8080_8080_8080_8080 != 0
            }
            return has(0x0A) || has(0x7B) || has(0x7D) || has(0x5B) || has(0x5D) || has(0x7C) || has(0x3C)
        }

        /// Handles a possible tag at `start`; returns where scanning resumes.
        mutating func tag(at start: Int) -> Int {
            let s = self.s
            guard let t = WikitextTag.parse(s, at: start) else { return start + 1 }
            let name = t.name
            if name == "ref" {
                if t.isClosing {
                    if refs > 0 {
                        popUntil { $0 == .refOpen }
                        close(.refClose, start, t.end)
                    } else {
                        tokens.append(WikitextToken(start: start, end: t.end, kind: .stray))
                    }
                } else if t.isSelfClosing {
                    tokens.append(WikitextToken(start: start, end: t.end, kind: .drop))
                } else {
                    push(.refOpen, start, t.end)
                }
                return t.end
            }
            if name == "br" {
                tokens.append(WikitextToken(start: start, end: t.end, kind: .lineBreak))
                return t.end
            }
            let isDrop = WikitextTokenizer.dropContentTags.contains(name)
            let isLiteral = !isDrop && WikitextTokenizer.literalTags.contains(name)
            if isDrop || isLiteral {
                if t.isClosing || t.isSelfClosing || unclosedTags.contains(name) {
                    tokens.append(WikitextToken(start: start, end: t.end, kind: .drop))
                    return t.end
                }
                guard let closing = WikitextTag.findClosing(name, in: s, from: t.end) else {
                    unclosedTags.insert(name)  // no later opener of this name can find one either
                    tokens.append(WikitextToken(start: start, end: t.end, kind: .drop))
                    return t.end
                }
                var token = WikitextToken(start: start, end: closing.upperBound, kind: isDrop ? .drop : .literal)
                token.partner = Int32(truncatingIfNeeded: closing.lowerBound)
                tokens.append(token)
                return closing.upperBound
            }
            if WikitextTokenizer.formattingTags.contains(name) {
                tokens.append(WikitextToken(start: start, end: t.end, kind: .tag))
                return t.end
            }
            return start + 1
        }

        mutating func run() {
            let s = self.s
            let n = s.count
            var i = 0
            var lineStart = true  // only whitespace or ':' seen since the last newline (for `{|` and `|}`)
            let base = UnsafeRawPointer(s.baseAddress)
            while i < n {
                // Inside a line, only newlines, brackets, pipes and tags matter: skip 8 bytes at a time without one.
                if !lineStart, let base {
                    while i + 8 <= n && !Self.mayMatter(base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { i += 8 }
                    guard i < n else { break }
                }
                let b = s[i]
                switch b {
                case UInt8(ascii: "\n"):
                    lineStart = true
                    i += 1
                    continue
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: ":"):
                    i += 1
                    continue  // keeps lineStart
                case UInt8(ascii: "{"):
                    if lineStart && i + 1 < n && s[i + 1] == UInt8(ascii: "|") {
                        push(.tableOpen, i, i + 2)
                        i += 2
                        break
                    }
                    var run = 1
                    while i + run < n && s[i + run] == UInt8(ascii: "{") { run += 1 }
                    if run >= 2 {
                        var p = i
                        var templates = run / 2
                        let param = run % 2 == 1
                        if param { templates = (run - 3) / 2 }
                        for _ in 0..<templates { push(.templateOpen, p, p + 2); p += 2 }
                        if param { push(.paramOpen, p, p + 3) }
                    }
                    i += run
                case UInt8(ascii: "}"):
                    var run = 1
                    while i + run < n && s[i + run] == UInt8(ascii: "}") { run += 1 }
                    var p = i
                    var m = run
                    while m >= 2 {
                        if braces == 0 {
                            tokens.append(WikitextToken(start: p, end: p + m, kind: .stray))
                            m = 0
                            break
                        }
                        popUntil { $0 == .templateOpen || $0 == .paramOpen }
                        let isParam = tokens[Int(stack.last!)].kind == .paramOpen
                        let width = isParam && m >= 3 ? 3 : 2
                        close(isParam ? .paramClose : .templateClose, p, p + width)
                        p += width
                        m -= width
                    }
                    i += run
                case UInt8(ascii: "["):
                    var run = 1
                    while i + run < n && s[i + run] == UInt8(ascii: "[") { run += 1 }
                    if run >= 2 { push(.linkOpen, i + run - 2, i + run) }
                    i += run
                case UInt8(ascii: "]"):
                    var run = 1
                    while i + run < n && s[i + run] == UInt8(ascii: "]") { run += 1 }
                    var p = i
                    var m = run
                    while m >= 2 {
                        if links == 0 {
                            tokens.append(WikitextToken(start: p, end: p + m, kind: .stray))
                            break
                        }
                        if m % 2 == 1 { p += 1; m -= 1; continue }  // `]]]`: the first closes an external link
                        popUntil { $0 == .linkOpen }
                        close(.linkClose, p, p + 2)
                        p += 2
                        m -= 2
                    }
                    i += run
                case UInt8(ascii: "|"):
                    if lineStart && tables > 0 && i + 1 < n && s[i + 1] == UInt8(ascii: "}")
                        && !(i + 2 < n && s[i + 2] == UInt8(ascii: "}")) {
                        popUntil { $0 == .tableOpen }
                        close(.tableClose, i, i + 2)
                        i += 2
                        break
                    }
                    i += 1
                case UInt8(ascii: "<"):
                    i = tag(at: i)
                default:
                    i += 1
                }
                lineStart = false
            }
            popUntil { _ in false }
        }
    }
}

/// A parsed HTML-like tag (`<ref name="x">`, `</small>`, `<br/>`).
struct WikitextTag {
    var name: String
    var isClosing: Bool
    var isSelfClosing: Bool
    /// Index just past `>`.
    var end: Int

    /// Parses the tag starting at `start` (`<`). The search for `>` stops at the next `<`, so scanning every
    /// candidate of a page costs O(page) in total.
    static func parse(_ s: UnsafeBufferPointer<UInt8>, at start: Int) -> WikitextTag? {
        let n = s.count
        var i = start + 1
        var closing = false
        if i < n && s[i] == UInt8(ascii: "/") { closing = true; i += 1 }
        let nameStart = i
        while i < n, i - nameStart < 24, HTMLEntities.isAlnum(s[i]) { i += 1 }
        guard i > nameStart, i < n else { return nil }
        let after = s[i]
        guard after == UInt8(ascii: ">") || after == UInt8(ascii: "/") || after == UInt8(ascii: " ")
            || after == UInt8(ascii: "\n") || after == UInt8(ascii: "\t") else { return nil }
        // Lowercased straight into the string: names are at most 24 ASCII bytes, mostly small strings (no heap).
        let nameEnd = i
        let name = String(unsafeUninitializedCapacity: nameEnd - nameStart) { out in
            for k in nameStart..<nameEnd {
                let b = s[k]
                out[k - nameStart] = b >= 0x41 && b <= 0x5A ? b | 0x20 : b
            }
            return nameEnd - nameStart
        }
        while i < n && s[i] != UInt8(ascii: ">") {
            if s[i] == UInt8(ascii: "<") { return nil }
            i += 1
        }
        guard i < n else { return nil }
        let selfClosing = s[i - 1] == UInt8(ascii: "/")
        return WikitextTag(name: name, isClosing: closing,
                           isSelfClosing: selfClosing, end: i + 1)
    }

    /// Finds `</name …>` (case-insensitive) at or after `from`: the range of the closing tag.
    static func findClosing(_ name: String, in s: UnsafeBufferPointer<UInt8>, from: Int) -> Range<Int>? {
        let nameBytes = Array(name.utf8)
        let n = s.count
        var i = from
        while i + 2 + nameBytes.count <= n {
            if s[i] == UInt8(ascii: "<") && s[i + 1] == UInt8(ascii: "/") {
                var k = 0
                while k < nameBytes.count && (s[i + 2 + k] | 0x20) == nameBytes[k] { k += 1 }
                if k == nameBytes.count {
                    var j = i + 2 + k
                    while j < n && (s[j] == UInt8(ascii: " ") || s[j] == UInt8(ascii: "\t") || s[j] == UInt8(ascii: "\n")) { j += 1 }
                    if j < n && s[j] == UInt8(ascii: ">") { return i..<(j + 1) }
                }
            }
            i += 1
        }
        return nil
    }
}
