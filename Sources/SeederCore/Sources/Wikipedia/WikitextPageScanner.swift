#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The whole-page pass: categories and disambiguation markers, in one fast byte loop (the full cleanup only
/// runs on the lead). Comments and `<nowiki>`/`<pre>` content are skipped: a category there is not a category.
struct WikitextPageScanner {
    let namespaces: WikitextNamespaces

    /// Template names (normalized) that mark a disambiguation page; any name ending in " disambiguation" too.
    static let disambiguationTemplates: Set<String> = [
        "disambiguation", "disambig", "disamb", "dab", "dis", "hndis", "geodis", "schooldis", "hospitaldis",
        "mathdab", "numberdis", "letter-number combination disambiguation",
    ]

    func scan(_ s: UnsafeBufferPointer<UInt8>) -> (categories: [String], isDisambiguation: Bool) {
        let n = s.count
        var categories: [String] = []
        var seen: Set<String> = []
        var disambiguation = false
        var commentsClosed = true  // false once a `<!--` has no `-->` after it: later searches would fail too
        var i = 0
        let base = UnsafeRawPointer(s.baseAddress)
        while i < n {
            // Most of a page is plain text: skip 8 bytes at a time while none of them can start markup.
            if let base {
                while i + 8 <= n && !Self.mayStartMarkup(base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { i += 8 }
                guard i < n else { break }
            }
            let b = s[i]
            if b == UInt8(ascii: "[") {
                if i + 1 < n && s[i + 1] == UInt8(ascii: "[") {
                    if let name = category(s, i + 2), !seen.contains(name) {
                        seen.insert(name)
                        categories.append(name)
                    }
                    i += 2
                    continue
                }
            } else if b == UInt8(ascii: "<") {
                if Self.matches(s, i, "<!--") {
                    i = WikitextComments.commentEnd(s, from: i + 4, closed: &commentsClosed)
                    continue
                }
                if Self.matchesCaseInsensitive(s, i, "<nowiki>") || Self.matchesCaseInsensitive(s, i, "<pre>") {
                    let name = (s[i + 1] | 0x20) == UInt8(ascii: "n") ? "nowiki" : "pre"
                    if let close = WikitextTag.findClosing(name, in: s, from: i + 2) { i = close.upperBound; continue }
                }
            } else if b == UInt8(ascii: "{") {
                if !disambiguation && i + 1 < n && s[i + 1] == UInt8(ascii: "{") {
                    disambiguation = isDisambiguationTemplate(s, i + 2)
                    i += 2
                    continue
                }
            } else if b == UInt8(ascii: "_") {
                if !disambiguation && Self.matches(s, i, "__DISAMBIG__") { disambiguation = true }
            }
            i += 1
        }
        return (categories, disambiguation)
    }

    /// Whether any of the 8 bytes of `word` is `[`, `<`, `{` or `_` (SWAR: a zero byte of `word ^ pattern`).
    @inline(__always)
    static func mayStartMarkup(_ word: UInt64) -> Bool {
        @inline(__always) func hasZero(_ v: UInt64) -> Bool { (v &- 0x0101_0101_0101_0101) & ~v & 0x8080_8080_8080_8080 != 0 }
        return hasZero(word ^ 0x5B5B_5B5B_5B5B_5B5B) || hasZero(word ^ 0x3C3C_3C3C_3C3C_3C3C)
            || hasZero(word ^ 0x7B7B_7B7B_7B7B_7B7B) || hasZero(word ^ 0x5F5F_5F5F_5F5F_5F5F)
    }

    /// The category named by the link whose target starts at `start`, or nil when it is not a categorization.
    private func category(_ s: UnsafeBufferPointer<UInt8>, _ start: Int) -> String? {
        let n = s.count
        var i = start
        while i < n && (s[i] == UInt8(ascii: " ") || s[i] == UInt8(ascii: "_")) { i += 1 }
        guard i < n, s[i] != UInt8(ascii: ":") else { return nil }  // `[[:Category:X]]` links to the page
        guard let prefix = WikitextRenderer.namespacePrefix(s, i..<min(n, i + 64)),
              namespaces.isCategory(prefix.name) else { return nil }
        var j = prefix.end
        let limit = min(n, j + 512)
        while j < limit {
            switch s[j] {
            case UInt8(ascii: "|"), UInt8(ascii: "]"):
                let raw = UnsafeBufferPointer(rebasing: s[prefix.end..<j])
                return Self.categoryName(raw)
            case UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "<"), UInt8(ascii: "\n"):
                return nil
            default:
                j += 1
            }
        }
        return nil
    }

    /// `_` → space, whitespace collapsed, trimmed, first letter uppercased (MediaWiki's title normalization).
    static func categoryName(_ raw: UnsafeBufferPointer<UInt8>) -> String? {
        var out: [UInt8] = []
        var pendingSpace = false
        for b in raw {
            if b == UInt8(ascii: "_") || b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace { out.append(UInt8(ascii: " ")); pendingSpace = false }
            out.append(b)
        }
        guard !out.isEmpty else { return nil }
        if out[0] >= 0x61 && out[0] <= 0x7A { out[0] -= 0x20; return String(decoding: out, as: UTF8.self) }
        let name = String(decoding: out, as: UTF8.self)
        guard out[0] >= 0x80, let first = name.first else { return name }
        return first.uppercased() + name.dropFirst()
    }

    private func isDisambiguationTemplate(_ s: UnsafeBufferPointer<UInt8>, _ start: Int) -> Bool {
        let n = s.count
        var j = start
        let limit = min(n, start + 80)
        while j < limit {
            let b = s[j]
            if b == UInt8(ascii: "|") || b == UInt8(ascii: "}") || b == UInt8(ascii: "{") || b == UInt8(ascii: "<") { break }
            j += 1
        }
        guard j < limit else { return false }  // longer than any template name we look for
        // Every name we look for contains "dis" or "dab": test that on bytes before building a String.
        var candidate = false
        var k = start
        while k + 2 < j && !candidate {
            let a = s[k] | 0x20, b = s[k + 1] | 0x20, c = s[k + 2] | 0x20
            candidate = a == UInt8(ascii: "d") && ((b == UInt8(ascii: "i") && c == UInt8(ascii: "s"))
                                                   || (b == UInt8(ascii: "a") && c == UInt8(ascii: "b")))
            k += 1
        }
        guard candidate else { return false }
        var name = WikitextNamespaces.normalize(UnsafeBufferPointer(rebasing: s[start..<j]))
        if name.hasPrefix("template:") { name = String(name.dropFirst(9)).trimmingSpaces() }
        return Self.disambiguationTemplates.contains(name) || name.hasSuffix(" disambiguation")
    }

    static func matches(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard i + count <= s.count else { return false }
        let p = literal.utf8Start
        for k in 0..<count where s[i + k] != p[k] { return false }
        return true
    }

    static func matchesCaseInsensitive(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard i + count <= s.count else { return false }
        let p = literal.utf8Start
        for k in 0..<count where (s[i + k] | 0x20) != (p[k] | 0x20) { return false }
        return true
    }
}

/// HTML comments. An unclosed `<!--` ends at the end of its paragraph (the next blank line) instead of hiding
/// the rest of the page as MediaWiki does: one stray comment opener must not erase an article.
enum WikitextComments {
    /// Index just past the comment whose body starts at `from`. `closed` goes false once `-->` is known to be
    /// absent from the rest of the page, so repeated unclosed openers cost no repeated searches.
    static func commentEnd(_ s: UnsafeBufferPointer<UInt8>, from: Int, closed: inout Bool) -> Int {
        let n = s.count
        if closed {
            var i = from
            while i + 2 < n {
                if s[i] == UInt8(ascii: "-") && s[i + 1] == UInt8(ascii: "-") && s[i + 2] == UInt8(ascii: ">") { return i + 3 }
                i += 1
            }
            closed = false
        }
        return blankLine(s, from: from)
    }

    /// Start of the next blank line (its `\n`) at or after `from`, or the end.
    static func blankLine(_ s: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        let n = s.count
        var i = from
        while i < n {
            if s[i] == UInt8(ascii: "\n") {
                var j = i + 1
                while j < n && (s[j] == UInt8(ascii: " ") || s[j] == UInt8(ascii: "\t") || s[j] == UInt8(ascii: "\r")) { j += 1 }
                if j >= n || s[j] == UInt8(ascii: "\n") { return i }
                i = j
                continue
            }
            i += 1
        }
        return n
    }

    /// The region without its comments.
    static func strip(_ s: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var closed = true
        var i = 0
        var copied = 0
        while i + 3 < s.count {
            // Jump to the next '<' (memchr runs at memory speed over the text between tags).
            guard let base = s.baseAddress, let hit = memchr(base + i, Int32(UInt8(ascii: "<")), s.count - 3 - i) else { break }
            i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if s[i + 1] == UInt8(ascii: "!") && s[i + 2] == UInt8(ascii: "-")
                && s[i + 3] == UInt8(ascii: "-") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: s[copied..<i]))
                i = commentEnd(s, from: i + 4, closed: &closed)
                copied = i
                continue
            }
            i += 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: s[copied..<s.count]))
        return out
    }
}
