/// Turns a comment-free wikitext region into plain text, using the structure found by `WikitextTokenizer`.
///
/// The output keeps the region's line structure with two marker bytes: `paragraphBreak` for a blank line or a
/// table (block elements that end a paragraph) and `blockLine` at the start of a list, indented, definition,
/// rule or stray-table line (which ends a paragraph and is not prose). Removed constructs leave nothing, so a line
/// that held only a template, file or category renders empty and does not break the paragraph.
///
/// Nested constructs whose content is shown (a link label, an argument of `{{lang|…}}`) are walked with an
/// explicit frame stack, never recursion: each frame is a region to render and where to continue after it.
struct WikitextRenderer {
    static let paragraphBreak: UInt8 = 0x01
    static let blockLine: UInt8 = 0x02

    let namespaces: WikitextNamespaces

    private struct Frame {
        var regionEnd: Int
        var resume: Int
        var resumeToken: Int
        var suffix: [UInt8]
    }

    /// Renders `s`, handing the output to `sink` at every paragraph boundary and at the end (the buffer is then
    /// emptied, so memory stays bounded by one paragraph). Rendering stops as soon as `sink` returns false.
    func render(_ s: UnsafeBufferPointer<UInt8>, tokens: [WikitextToken], sink: ([UInt8]) -> Bool) {
        var run = Run(s: s, tokens: tokens, namespaces: namespaces)
        run.run(sink: sink)
    }

    /// Renderer state as a struct with mutating methods (no captured variables: no dynamic exclusivity checks).
    private struct Run {
        let s: UnsafeBufferPointer<UInt8>
        let tokens: [WikitextToken]
        let namespaces: WikitextNamespaces
        let n: Int
        var out: [UInt8] = []
        var pos = 0
        var ti = 0
        var frames: [Frame] = []
        var extLinkDepth = -1  // frames.count at which an external link label is open (its `]` is dropped)
        var boundary = false  // a paragraph marker was emitted: hand the output over

        init(s: UnsafeBufferPointer<UInt8>, tokens: [WikitextToken], namespaces: WikitextNamespaces) {
            self.s = s
            self.tokens = tokens
            self.namespaces = namespaces
            self.n = s.count
            out.reserveCapacity(4096)
        }

        mutating func marker(_ byte: UInt8) {
            out.append(byte)
            boundary = true
        }

        mutating func run(sink: ([UInt8]) -> Bool) {
            if WikitextRenderer.isBlockStart(s, 0) { marker(WikitextRenderer.blockLine) }
            while true {
                if boundary {
                    boundary = false
                    if !sink(out) { return }
                    out.removeAll(keepingCapacity: true)
                }
                let limit = frames.last?.regionEnd ?? n
                if pos >= limit {
                    guard let frame = frames.popLast() else { _ = sink(out); return }
                    if extLinkDepth > frames.count { extLinkDepth = -1 }
                    out.append(contentsOf: frame.suffix)
                    pos = frame.resume
                    ti = max(ti, frame.resumeToken)
                    advanceTokens()
                    continue
                }
                if ti < tokens.count && tokens[ti].start <= pos {
                    let token = tokens[ti]
                    if token.start < pos { ti += 1; continue }
                    switch token.kind {
                    case .lineBreak:
                        out.append(UInt8(ascii: " "))
                        pos = token.end; ti += 1
                    case .literal:
                        WikitextRenderer.copyPlain(s, WikitextRenderer.literalInner(s, token), into: &out)
                        pos = token.end; ti += 1
                    case .tableOpen:
                        skipConstruct()
                        if frames.isEmpty { marker(WikitextRenderer.paragraphBreak) }
                    case .refOpen, .paramOpen:
                        skipConstruct()
                    case .templateOpen:
                        renderTemplate()
                    case .linkOpen:
                        renderLink()
                    case .unclosed:
                        skipUnclosed(limit: limit)
                    default:  // stray, drop, formatting tag, a closer met outside its frame
                        pos = token.end; ti += 1
                    }
                    continue
                }
                let stop = min(limit, ti < tokens.count ? tokens[ti].start : n)
                copyText(to: stop)
            }
        }


        mutating func advanceTokens() {
            while ti < tokens.count && tokens[ti].start < pos { ti += 1 }
        }
        /// Skips the opener at `ti` with everything up to and including its closer.
        mutating func skipConstruct() {
            let closer = Int(tokens[ti].partner)
            pos = tokens[closer].end
            ti = closer + 1
        }
        /// Renders `region` (inside the construct whose opener is at `ti`), then continues after its closer.
        mutating func enter(_ region: Range<Int>, prefix: [UInt8] = [], suffix: [UInt8] = []) {
            let closer = Int(tokens[ti].partner)
            frames.append(Frame(regionEnd: region.upperBound, resume: tokens[closer].end, resumeToken: closer + 1,
                                suffix: suffix))
            out.append(contentsOf: prefix)
            pos = region.lowerBound
            ti += 1
            advanceTokens()
        }


        /// Skips an unclosed opener to the end of its line, extended over constructs that open there and close
        /// later (and to the end of the line where they close), never beyond the current frame.
        mutating func skipUnclosed(limit: Int) {
            var target = WikitextRenderer.lineEnd(s, from: tokens[ti].start, limit: limit)
            var k = ti + 1
            while k < tokens.count && tokens[k].start < target {
                let partner = Int(tokens[k].partner)
                switch tokens[k].kind {
                case .templateOpen, .paramOpen, .linkOpen, .tableOpen, .refOpen:
                    let closeEnd = tokens[partner].end
                    if closeEnd > target { target = WikitextRenderer.lineEnd(s, from: closeEnd, limit: limit) }
                    k = partner + 1
                default:
                    k += 1
                }
            }
            pos = target
            ti = k
            advanceTokens()
        }

        mutating func renderTemplate() {
            let opener = tokens[ti]
            let closer = tokens[Int(opener.partner)]
            let nameEnd = directPipes(limit: 1).first ?? closer.start
            guard let name = WikitextRenderer.templateName(s, opener.end..<nameEnd) else { skipConstruct(); return }
            let rule = WikitextTemplateRule.rule(for: name)
            switch rule {
            case .remove:
                skipConstruct()
            case .text(let text):
                out.append(contentsOf: Array(text.utf8))
                skipConstruct()
            case .argument(let index, let prefix, let suffix):
                let args = positionalArguments(upTo: index)
                if args.count >= index {
                    enter(args[index - 1], prefix: Array(prefix.utf8), suffix: Array(suffix.utf8))
                } else {
                    skipConstruct()
                }
            case .lastArgument:
                let args = positionalArguments(upTo: Int.max)
                if let last = args.last, args.count >= 2 { enter(last) } else { skipConstruct() }
            case .convert, .fraction, .asOf, .firstTwo:
                let raw = positionalArguments(upTo: 5).compactMap { WikitextRenderer.plainArgument(s, $0) }
                out.append(contentsOf: WikitextRenderer.compose(rule, raw, lowercase: hasNamedArgument("lc")))
                skipConstruct()
            }
        }

        /// Positions of the `|` bytes directly inside the construct whose opener is at `ti` (not inside a nested
        /// construct or tag), at most `limit`. Each byte is only ever scanned by its direct owner: linear overall.
        func directPipes(limit: Int) -> [Int] {
            let closerStart = tokens[Int(tokens[ti].partner)].start
            var result: [Int] = []
            var i = tokens[ti].end
            var k = ti + 1
            while i < closerStart {
                let next = k < tokens.count ? min(tokens[k].start, closerStart) : closerStart
                while i < next {
                    if s[i] == UInt8(ascii: "|") {
                        result.append(i)
                        if result.count >= limit { return result }
                    }
                    i += 1
                }
                guard i < closerStart, k < tokens.count else { break }
                let token = tokens[k]
                if token.kind.isOpener && token.partner >= 0 {
                    i = max(i, tokens[Int(token.partner)].end)
                    k = Int(token.partner) + 1
                } else {
                    i = max(i, token.end)
                    k += 1
                }
            }
            return result
        }

        /// Argument ranges (between direct pipes) of the template at `ti`.
        func argumentRanges() -> [Range<Int>] {
            let closerStart = tokens[Int(tokens[ti].partner)].start
            let pipes = directPipes(limit: Int.max)
            return pipes.indices.map { k in (pipes[k] + 1)..<(k + 1 < pipes.count ? pipes[k + 1] : closerStart) }
        }

        /// Ranges of the positional arguments (`name=value` ones are skipped) of the template at `ti`.
        func positionalArguments(upTo limit: Int) -> [Range<Int>] {
            Array(argumentRanges().filter { !WikitextRenderer.isNamedArgument(s, $0) }.prefix(limit))
        }

        func hasNamedArgument(_ key: String) -> Bool {
            let keyBytes = Array(key.utf8) + [UInt8(ascii: "=")]
            return argumentRanges().contains { range in
                WikitextRenderer.plainArgument(s, range).map { $0.starts(with: keyBytes) } ?? false
            }
        }

        mutating func renderLink() {
            let opener = tokens[ti]
            let closer = tokens[Int(opener.partner)]
            let pipe = directPipes(limit: 1).first ?? -1
            let targetEnd = pipe >= 0 ? pipe : closer.start
            var t = opener.end
            while t < targetEnd && WikitextRenderer.isSpace(s[t]) { t += 1 }
            var leadingColon = false
            if t < targetEnd && s[t] == UInt8(ascii: ":") { leadingColon = true; t += 1 }
            let prefix = WikitextRenderer.namespacePrefix(s, t..<targetEnd)
            if !leadingColon, let prefix {
                if namespaces.isCategory(prefix.name) || namespaces.isFile(prefix.name) { skipConstruct(); return }
                if WikitextRenderer.isInterlanguagePrefix(prefix.name) && WikitextRenderer.startsLine(s, opener.start) {
                    skipConstruct(); return
                }
            }
            if pipe >= 0 {
                let label = (pipe + 1)..<closer.start
                if WikitextRenderer.isBlank(s, label) {
                    // Pipe trick: `[[Foo (bar)|]]` → "Foo", `[[Wikipedia:Foo|]]` → "Foo".
                    let shown = WikitextRenderer.pipeTrick(s, (prefix?.end ?? t)..<targetEnd)
                    out.append(contentsOf: shown)
                    skipConstruct()
                } else {
                    enter(label)
                }
            } else {
                enter(t..<targetEnd)
            }
        }

        /// Copies plain text up to `stop`: quotes, entities, external links, magic words and line structure.
        mutating func copyText(to stop: Int) {
            var i = pos
            while i < stop {
                let c = s[i]
                switch c {
                case UInt8(ascii: "'"):
                    var run = 1
                    while i + run < stop && s[i + run] == UInt8(ascii: "'") { run += 1 }
                    if run == 1 { out.append(c) } else if run == 4 { out.append(c) }  // 4 = apostrophe + bold
                    i += run
                case UInt8(ascii: "&"):
                    if let end = HTMLEntities.decode(s, at: i, limit: stop, into: &out) { i = end } else { out.append(c); i += 1 }
                case UInt8(ascii: "["):
                    let urlEnd = WikitextRenderer.externalLinkURLEnd(s, i + 1, stop)
                    if urlEnd == i + 1 { out.append(c); i += 1; break }
                    if urlEnd < stop && s[urlEnd] == UInt8(ascii: " ") {
                        extLinkDepth = frames.count  // `[http://x label]` → label
                        i = urlEnd + 1
                    } else if urlEnd < stop && s[urlEnd] == UInt8(ascii: "]") {
                        i = urlEnd + 1  // `[http://x]` renders as a footnote number: dropped
                    } else {
                        i = urlEnd
                    }
                case UInt8(ascii: "]"):
                    if extLinkDepth == frames.count { extLinkDepth = -1 } else { out.append(c) }
                    i += 1
                case UInt8(ascii: "_"):
                    if let end = WikitextRenderer.magicWordEnd(s, i, stop) { i = end } else { out.append(c); i += 1 }
                case UInt8(ascii: "\n"):
                    if extLinkDepth == frames.count { extLinkDepth = -1 }
                    if !frames.isEmpty { out.append(UInt8(ascii: " ")); i += 1; break }
                    var j = i + 1
                    while j < n && (s[j] == UInt8(ascii: " ") || s[j] == UInt8(ascii: "\t") || s[j] == UInt8(ascii: "\r")) { j += 1 }
                    if j < n && s[j] == UInt8(ascii: "\n") && j < stop {
                        marker(WikitextRenderer.paragraphBreak)
                        i = j
                        pos = i
                        return
                    } else {
                        out.append(c)
                        i += 1
                        if WikitextRenderer.isBlockStart(s, i) { marker(WikitextRenderer.blockLine); pos = i; return }
                    }
                default:
                    out.append(c)
                    i += 1
                }
            }
            pos = max(pos, i)
        }
    }

    /// The text between the tags of a `literal` token: after the opening tag's `>`, up to `partner`.
    static func literalInner(_ s: UnsafeBufferPointer<UInt8>, _ token: WikitextToken) -> Range<Int> {
        var i = token.start
        let end = Int(token.partner)
        while i < end && s[i] != UInt8(ascii: ">") { i += 1 }
        return min(i + 1, end)..<end
    }

    /// Copies `<nowiki>`/`<pre>` content: entities decoded, no markup.
    static func copyPlain(_ s: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into out: inout [UInt8]) {
        var i = range.lowerBound
        while i < range.upperBound {
            if s[i] == UInt8(ascii: "&"), let end = HTMLEntities.decode(s, at: i, limit: range.upperBound, into: &out) {
                i = end
            } else {
                out.append(s[i] == UInt8(ascii: "\n") ? UInt8(ascii: " ") : s[i])
                i += 1
            }
        }
    }

    // MARK: - Small byte helpers

    @inline(__always) static func isSpace(_ b: UInt8) -> Bool {
        b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r")
    }

    static func isBlank(_ s: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        for i in range where !isSpace(s[i]) { return false }
        return true
    }

    /// A line that MediaWiki renders as a list, indentation, definition, rule or table row: not paragraph text.
    static func isBlockStart(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        guard i < s.count else { return false }
        switch s[i] {
        case UInt8(ascii: "*"), UInt8(ascii: "#"), UInt8(ascii: ":"), UInt8(ascii: ";"), UInt8(ascii: "|"),
             UInt8(ascii: "!"), UInt8(ascii: "="):
            return true
        case UInt8(ascii: "-"):
            return i + 3 < s.count && s[i + 1] == s[i] && s[i + 2] == s[i] && s[i + 3] == s[i]
        default:
            return false
        }
    }

    /// Index of the `\n` ending the line that holds `from` (or `limit`).
    static func lineEnd(_ s: UnsafeBufferPointer<UInt8>, from: Int, limit: Int) -> Int {
        var i = from
        while i < limit && s[i] != UInt8(ascii: "\n") { i += 1 }
        return max(i, from)
    }

    /// True when only spaces or tabs separate `i` from the start of its line.
    static func startsLine(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        var j = i - 1
        while j >= 0 && (s[j] == UInt8(ascii: " ") || s[j] == UInt8(ascii: "\t")) { j -= 1 }
        return j < 0 || s[j] == UInt8(ascii: "\n")
    }

    /// Normalized template name, or nil when the name is itself markup (`{{ {{x}} }}`), a parser function or a
    /// magic word with a colon (`{{#if:…}}`, `{{DISPLAYTITLE:…}}`).
    static func templateName(_ s: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String? {
        guard range.count <= 128 else { return nil }
        var bytes: [UInt8] = []
        for i in range {
            let b = s[i]
            switch b {
            case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: "<"), UInt8(ascii: "#"):
                return nil
            default:
                bytes.append(b)
            }
        }
        var name = WikitextNamespaces.normalize(bytes[...])
        for prefix in ["template:", "subst:", "safesubst:", "msg:"] where name.hasPrefix(prefix) {
            name = String(name.dropFirst(prefix.count)).trimmingSpaces()
        }
        if name.isEmpty || name.utf8.contains(UInt8(ascii: ":")) { return nil }
        return name
    }

    static func isNamedArgument(_ s: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        for i in range {
            switch s[i] {
            case UInt8(ascii: "="): return true
            case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "<"), UInt8(ascii: "\n"): return false
            default: continue
            }
        }
        return false
    }

    /// A short argument without markup, trimmed; nil when it holds markup (then the template is dropped).
    static func plainArgument(_ s: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> [UInt8]? {
        guard range.count <= 256 else { return nil }
        var a = range.lowerBound, b = range.upperBound
        while a < b && isSpace(s[a]) { a += 1 }
        while b > a && isSpace(s[b - 1]) { b -= 1 }
        var bytes: [UInt8] = []
        for i in a..<b {
            switch s[i] {
            case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "<"), UInt8(ascii: "}"), UInt8(ascii: "]"):
                return nil
            default:
                bytes.append(s[i])
            }
        }
        return bytes
    }

    static func compose(_ rule: WikitextTemplateRule, _ args: [[UInt8]], lowercase: Bool) -> [UInt8] {
        let space = [UInt8(ascii: " ")]
        switch rule {
        case .convert:
            guard args.count >= 2 else { return args.first ?? [] }
            let word = String(decoding: args[1], as: UTF8.self).lowercased()
            if args.count >= 4, WikitextTemplateRule.convertRangeWords.contains(word) {
                return args[0] + space + args[1] + space + args[2] + space + args[3]
            }
            return args[0] + space + args[1]
        case .fraction:
            switch args.count {
            case 0: return []
            case 1: return Array("1/".utf8) + args[0]
            case 2: return args[0] + [UInt8(ascii: "/")] + args[1]
            default: return args[0] + space + args[1] + [UInt8(ascii: "/")] + args[2]
            }
        case .asOf:
            guard let year = args.first else { return [] }
            return Array((lowercase ? "as of " : "As of ").utf8) + year
        case .firstTwo:
            return args.prefix(2).joined(separator: space).map { $0 }
        default:
            return []
        }
    }

    /// End of the URL of an external link starting at `i` (just after `[`), or `i` when it is not one.
    static func externalLinkURLEnd(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ stop: Int) -> Int {
        let schemes: [[UInt8]] = [Array("http://".utf8), Array("https://".utf8), Array("//".utf8),
                                  Array("ftp://".utf8), Array("mailto:".utf8), Array("irc://".utf8),
                                  Array("news:".utf8), Array("urn:".utf8)]
        var matched = false
        for scheme in schemes where i + scheme.count <= stop {
            var k = 0
            while k < scheme.count && (s[i + k] | (s[i + k] >= 0x41 && s[i + k] <= 0x5A ? 0x20 : 0)) == scheme[k] { k += 1 }
            if k == scheme.count { matched = true; break }
        }
        guard matched else { return i }
        var j = i
        while j < stop, s[j] != UInt8(ascii: " "), s[j] != UInt8(ascii: "]"), s[j] != UInt8(ascii: "\n"),
              s[j] != UInt8(ascii: "\t") { j += 1 }
        return j
    }

    /// End of a behaviour switch such as `__NOTOC__` starting at `i`, or nil.
    static func magicWordEnd(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ stop: Int) -> Int? {
        guard i + 1 < stop, s[i + 1] == UInt8(ascii: "_") else { return nil }
        var j = i + 2
        while j < stop && j - i < 40 && s[j] >= 0x41 && s[j] <= 0x5A { j += 1 }
        guard j > i + 2, j + 1 < stop, s[j] == UInt8(ascii: "_"), s[j + 1] == UInt8(ascii: "_") else { return nil }
        return j + 2
    }

    /// The namespace-like prefix of a link target (`Category` in `Category : X`), normalized.
    static func namespacePrefix(_ s: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> (name: String, end: Int)? {
        var i = range.lowerBound
        let limit = min(range.upperBound, range.lowerBound + 64)
        while i < limit {
            switch s[i] {
            case UInt8(ascii: ":"):
                guard i > range.lowerBound else { return nil }
                return (WikitextNamespaces.normalize(UnsafeBufferPointer(rebasing: s[range.lowerBound..<i])[...]), i + 1)
            case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "<"), UInt8(ascii: "\n"), UInt8(ascii: "#"),
                 UInt8(ascii: "|"), UInt8(ascii: "]"):
                return nil
            default:
                i += 1
            }
        }
        return nil
    }

    /// Interlanguage/interwiki prefixes look like language codes: `fr`, `de`, `zh-min-nan`, `simple`.
    static func isInterlanguagePrefix(_ name: String) -> Bool {
        if name == "simple" { return true }
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count) else { return false }
        return parts.allSatisfy { part in !part.isEmpty && part.utf8.allSatisfy { $0 >= 0x61 && $0 <= 0x7A } }
    }

    /// `[[Foo (bar)|]]` → "Foo", `[[Paris, Texas|]]` → "Paris".
    static func pipeTrick(_ s: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> [UInt8] {
        var bytes = [UInt8](UnsafeBufferPointer(rebasing: s[range])).map { $0 == UInt8(ascii: "_") ? UInt8(ascii: " ") : $0 }
        if let paren = bytes.firstIndex(of: UInt8(ascii: "(")) { bytes.removeSubrange(paren...) }
        else if let comma = bytes.firstIndex(of: UInt8(ascii: ",")) { bytes.removeSubrange(comma...) }
        while let last = bytes.last, isSpace(last) { bytes.removeLast() }
        while let first = bytes.first, isSpace(first) { bytes.removeFirst() }
        return bytes
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while scalars.first == " " { scalars.removeFirst() }
        while scalars.last == " " { scalars.removeLast() }
        return String(scalars)
    }
}
