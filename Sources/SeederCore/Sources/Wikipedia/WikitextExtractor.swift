#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns one article's raw wikitext (XML entities already decoded) into its abstract as plain text, plus its
/// categories and whether it is a disambiguation page.
///
/// Pure byte processing, linear time, no shared mutable state: one value can be used from many threads.
///
/// Work is split so the whole page is only touched by a fast byte loop (`WikitextPageScanner`: categories and
/// disambiguation markers); the full cleanup (comments → `WikitextTokenizer` → `WikitextRenderer` →
/// `WikitextTextCleaner`) runs on the lead, i.e. up to the first heading, and for `.firstParagraph` and
/// `.sentences` stops rendering as soon as it has what it needs. Only when the lead holds no prose does it go
/// on, section by section, to the first one that does (for every extent).
///
/// Unbalanced markup follows MediaWiki's own rendering, minus the syntax: a `{{`, `[[`, `{|` or `<ref>` that is
/// never closed, and a stray `}}` or `]]`, are dropped and what follows them is read as ordinary text (an unclosed
/// infobox's `| key = value` lines are then table-like lines, which are never prose). An unclosed `<!--` ends at
/// the next blank line; an unclosed `<math>`-like tag is dropped as a tag. The output never contains `{{`, `}}`,
/// `[[`, `]]`, `<ref`, `''`, `{|`, `|}`, nor a line starting with `|` or `!`.
public struct WikitextExtractor: Sendable {
    /// How much of the article the abstract holds.
    public enum Extent: Sendable, Equatable {
        /// The first prose paragraph.
        case firstParagraph
        /// The first N sentences (N < 1 counts as 1), continuing into the next paragraphs of the same section
        /// when the first paragraph has fewer; joined by a space.
        case sentences(Int)
        /// Every prose paragraph before the first heading, joined by "\n".
        case leadSection
    }

    /// The result for one page.
    public struct Page: Sendable, Equatable {
        /// The abstract; empty when the page has no prose (e.g. only lists or templates).
        public var text: String
        /// Categories in page order, deduplicated, normalized as MediaWiki titles ("Anarchism", "1900 births").
        public var categories: [String]
        /// True for a page tagged `{{disambiguation}}` (or a variant) or `__DISAMBIG__`.
        public var isDisambiguation: Bool
    }

    let extent: Extent
    let namespaces: WikitextNamespaces

    /// - Parameters:
    ///   - categoryNamespaces: names of namespace 14 (and aliases) from the dump's `<siteinfo>`.
    ///   - fileNamespaces: names of namespace 6 and its aliases ("File", "Image"; "Datei", "Bild" …).
    public init(extent: Extent = .firstParagraph, categoryNamespaces: [String] = ["Category"],
         fileNamespaces: [String] = ["File", "Image"]) {
        self.extent = extent
        self.namespaces = WikitextNamespaces(categories: categoryNamespaces, files: fileNamespaces)
    }

    public func extract(_ wikitext: String) -> Page {
        var text = wikitext
        return text.withUTF8 { extract($0) }
    }

    public func extract(_ wikitext: [UInt8]) -> Page {
        wikitext.withUnsafeBufferPointer { extract($0) }
    }

    public func extract(_ wikitext: UnsafeBufferPointer<UInt8>) -> Page {
        let scan = WikitextPageScanner(namespaces: namespaces).scan(wikitext)
        let text = abstract(wikitext)
        return Page(text: String(decoding: text, as: UTF8.self), categories: scan.categories,
                    isDisambiguation: scan.isDisambiguation)
    }

    /// The abstract's bytes.
    func abstract(_ s: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var sectionStart = 0
        var paragraphs: [[UInt8]] = []
        var sentenceCount = 0
        let wantedSentences: Int
        if case .sentences(let count) = extent { wantedSentences = max(1, count) } else { wantedSentences = 0 }

        while sectionStart < s.count {
            let section = WikitextSections.section(s, from: sectionStart)
            let body = UnsafeBufferPointer(rebasing: s[sectionStart..<section.bodyEnd])
            paragraphsOf(body) { paragraph in
                switch extent {
                case .firstParagraph:
                    paragraphs.append(paragraph)
                    return false
                case .sentences:
                    for sentence in WikitextTextCleaner.sentences(paragraph) where sentenceCount < wantedSentences {
                        paragraphs.append(sentence)
                        sentenceCount += 1
                    }
                    return sentenceCount < wantedSentences
                case .leadSection:
                    paragraphs.append(paragraph)
                    return true
                }
            }
            // Prose found: the abstract stays within this section (the lead, unless the lead had none).
            if !paragraphs.isEmpty { break }
            sectionStart = section.nextStart
        }
        let separator: [UInt8] = extent == .leadSection ? [UInt8(ascii: "\n")] : [UInt8(ascii: " ")]
        return Array(paragraphs.joined(separator: separator))
    }

    /// Calls `body` with each prose paragraph of a section body, in order, while it returns true. Rendering
    /// stops with the last paragraph wanted, so `.firstParagraph` does not render the rest of a long lead.
    func paragraphsOf(_ region: UnsafeBufferPointer<UInt8>, _ body: ([UInt8]) -> Bool) {
        // Token positions are 32-bit; no real page comes near 2 GB, so a larger region is simply cut.
        let region = UnsafeBufferPointer(rebasing: region[0..<min(region.count, Int(Int32.max))])
        let source = WikitextComments.strip(region)
        var current: [UInt8] = []
        var skippingLine = false
        var wantsMore = true
        /// Returns false when the caller wants no more paragraphs.
        func flush() -> Bool {
            defer { current.removeAll(keepingCapacity: true) }
            guard !current.isEmpty else { return true }
            let cleaned = WikitextTextCleaner.clean(current)
            guard WikitextTextCleaner.isProse(cleaned) else { return true }
            return body(cleaned)
        }
        source.withUnsafeBufferPointer { s in
            let tokens = WikitextTokenizer.tokenize(s)
            WikitextRenderer(namespaces: namespaces).render(s, tokens: tokens) { chunk in
                chunk.withUnsafeBufferPointer { c in
                    var k = 0
                    while k < c.count {
                        // Text up to the next marker or newline goes over in one append.
                        var e = k
                        while e < c.count && c[e] != WikitextRenderer.paragraphBreak && c[e] != WikitextRenderer.blockLine
                            && c[e] != UInt8(ascii: "\n") { e += 1 }
                        if e > k && !skippingLine { current.append(contentsOf: UnsafeBufferPointer(rebasing: c[k..<e])) }
                        guard e < c.count else { break }
                        switch c[e] {
                        case WikitextRenderer.paragraphBreak:
                            skippingLine = false
                            wantsMore = flush()
                        case WikitextRenderer.blockLine:
                            skippingLine = true
                            wantsMore = flush()
                        default: // a newline
                            if skippingLine { skippingLine = false } else { current.append(UInt8(ascii: " ")) }
                        }
                        if !wantsMore { return false }
                        k = e + 1
                    }
                    return true
                }
            }
        }
        if wantsMore { _ = flush() }
    }
}

/// Section boundaries: a heading is a line that starts and ends with `=` (trailing blanks allowed).
enum WikitextSections {
    /// The body of the section starting at `from` ends at `bodyEnd` (the next heading line, or the end); the
    /// next section's body starts at `nextStart` (after that heading line).
    static func section(_ s: UnsafeBufferPointer<UInt8>, from: Int) -> (bodyEnd: Int, nextStart: Int) {
        let n = s.count
        var lineStart = from
        while lineStart < n {
            var lineEnd = n
            if let base = s.baseAddress, let hit = memchr(base + lineStart, Int32(UInt8(ascii: "\n")), n - lineStart) {
                lineEnd = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            }
            if s[lineStart] == UInt8(ascii: "=") {
                var last = lineEnd
                while last > lineStart && (s[last - 1] == UInt8(ascii: " ") || s[last - 1] == UInt8(ascii: "\t")
                                           || s[last - 1] == UInt8(ascii: "\r")) { last -= 1 }
                if last - lineStart >= 3 && s[last - 1] == UInt8(ascii: "=") {
                    return (lineStart, min(n, lineEnd + 1))
                }
            }
            lineStart = lineEnd + 1
        }
        return (n, n)
    }
}
