#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits the bytes of a MediaWiki XML export (`pages-articles`, `Special:Export`) into its `<siteinfo>` and its
/// `<page>` elements, fed piece by piece.
///
/// The export is machine-written XML of a fixed shape (`<mediawiki>` root, one `<siteinfo>`, then `<page>`s). A
/// page's wikitext never holds a raw `<`, so `</page>` ends a page exactly; finding it with `memmem` and handing
/// the page's bytes on whole is several times faster than a general XML parser would be on the same bytes, which
/// matters because the parser runs beside bzip2 decompression on every byte of a 100 GB dump.
///
/// Memory is bounded: a page longer than `maxPageBytes` is not kept; its bytes are dropped as they come and it is
/// reported once as ``Event/oversizedPage(title:bytes:)``.
///
/// `fragment` mode reads one byte range of a multistream dump, which starts with `<page>`s (or with the root and
/// `<siteinfo>`, for the first range) and may end with `</mediawiki>`.
struct MediaWikiScanner {
    enum Event {
        case siteInfo(SiteInfo)
        /// A whole `<page>…</page>` element (valid until the next call).
        case page(UnsafeBufferPointer<UInt8>)
        /// A page longer than the limit, skipped; its title when it came before the cut.
        case oversizedPage(title: String?, bytes: Int)
    }

    enum State { case prolog, body, siteInfo, page, oversized, skipping([UInt8]), ended }

    let path: String
    let maxPageBytes: Int
    /// Says where a byte offset lies, for errors ("uncompressed byte N", with the stream for multistream ranges).
    let describePosition: @Sendable (Int64) -> String
    private(set) var state: State
    /// Bytes fed but not yet consumed.
    private var pending: [UInt8] = []
    /// The offset (from the start of what this scanner was fed) of `pending[0]`.
    private var consumed: Int64 = 0
    /// Where the search for the current element's end resumes, relative to `pending[0]`.
    private var searchFrom = 0
    private var oversizedTitle: String?
    private var oversizedBytes = 0
    private(set) var sawRoot = false
    private(set) var sawSiteInfo = false
    /// Pages found (whole or oversized).
    private(set) var pagesFound = 0

    init(path: String, maxPageBytes: Int, fragment: Bool,
         describePosition: @escaping @Sendable (Int64) -> String = { "uncompressed byte \($0)" }) {
        self.path = path
        self.maxPageBytes = max(maxPageBytes, 4096)
        self.describePosition = describePosition
        self.state = fragment ? .body : .prolog
        pending.reserveCapacity(1 << 20)
    }

    /// Adds the next bytes and hands every complete part to `handle`, in order.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ handle: (Event) throws -> Void) throws {
        if case .oversized = state {
            try feedOversized(bytes, handle)
        } else {
            pending.append(contentsOf: bytes.bindMemory(to: UInt8.self))
        }
        try drain(handle)
    }

    /// The input ended: anything but the end of the document (or of a range) is an error.
    mutating func finish() throws {
        switch state {
        case .ended:
            return
        case .body where pending.allSatisfy(Self.isSpace):
            // A multistream range ends between pages; a whole export ends with </mediawiki>.
            if sawRoot && !isFragmentEnd { throw truncated("before </mediawiki>") }
        case .prolog:
            if consumed == 0 && pending.allSatisfy(Self.isSpace) {
                throw SourceError(.empty, file: path, message: "the file holds no data (it decompresses to nothing)",
                                  hint: "the download may have failed; fetch the file again")
            }
            throw truncated("before the <mediawiki> root element")
        case .page, .oversized:
            throw truncated("inside <page> #\(pagesFound + 1)")
        case .siteInfo:
            throw truncated("inside <siteinfo>")
        case .skipping, .body:
            throw truncated("inside an element")
        }
    }

    /// Set by the owner of a fragment scanner: a range may end without `</mediawiki>`.
    var isFragmentEnd = false

    private func truncated(_ place: String) -> SourceError {
        SourceError(.malformedDocument, file: path, position: describePosition(consumed + Int64(pending.count)),
                    message: "the document ends \(place) (truncated?)",
                    hint: "the file is incomplete; re-download it (every complete page before the cut was read)")
    }

    private func malformed(_ message: String, at offset: Int) -> SourceError {
        SourceError(.malformedDocument, file: path, position: describePosition(consumed + Int64(offset)),
                    message: message, hint: "the file is damaged or not a MediaWiki XML export; re-download it")
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    private mutating func drain(_ handle: (Event) throws -> Void) throws {
        var start = 0
        defer {
            // Keep the unconsumed tail only: one copy per piece fed, not per page.
            if start > 0 {
                pending.removeSubrange(0..<start)
                consumed += Int64(start)
                searchFrom = max(0, searchFrom - start)
            }
        }
        while true {
            switch state {
            case .ended:
                if let bad = pending[start...].firstIndex(where: { !Self.isSpace($0) }) {
                    throw malformed("content after </mediawiki>", at: bad)
                }
                start = pending.count
                return
            case .oversized:
                return
            case .prolog:
                guard let next = try prolog(from: start) else { return }
                start = next
            case .body:
                guard let next = try body(from: start) else { return }
                start = next
            case .siteInfo:
                guard let end = find("</siteinfo>", from: start) else { return }
                let info = pending.withUnsafeBufferPointer { SiteInfo.parse(UnsafeBufferPointer(rebasing: $0[start..<end])) }
                sawSiteInfo = true
                state = .body
                start = end + 11
                try handle(.siteInfo(info))
            case .page:
                guard let end = find("</page>", from: start) else {
                    if pending.count - start > maxPageBytes {
                        // Too big to hold: keep its title if it came, then drop its bytes as they arrive. The last
                        // few bytes may hold the start of "</page>": they stay.
                        oversizedTitle = pending.withUnsafeBufferPointer { MediaWikiPage.title(in: UnsafeBufferPointer(rebasing: $0[start...])) }
                        let keep = 6
                        oversizedBytes = pending.count - start - keep
                        start = pending.count - keep
                        state = .oversized
                    }
                    return
                }
                pagesFound += 1
                let pageEnd = end + 7
                try pending.withUnsafeBufferPointer { buffer in
                    try handle(.page(UnsafeBufferPointer(rebasing: buffer[start..<pageEnd])))
                }
                start = pageEnd
                state = .body
            case .skipping(let closing):
                guard let end = find(closing, from: start) else { return }
                start = end + closing.count
                state = .body
            }
        }
    }

    /// Before the root: an optional BOM, XML declaration, comments; then `<mediawiki …>`.
    private mutating func prolog(from start: Int) throws -> Int? {
        var i = start
        if consumed == 0 && i == 0 {
            if pending.count < 4 { return nil }
            if (pending[0] == 0xFF && pending[1] == 0xFE) || (pending[0] == 0xFE && pending[1] == 0xFF)
                || (pending[0] == 0x3C && pending[1] == 0) || (pending[0] == 0 && pending[1] == 0x3C) {
                throw SourceError(.wrongFormat, file: path, position: "byte 0",
                                  message: "the export is UTF-16, not UTF-8",
                                  hint: "convert it first: iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8.xml")
            }
            if pending[0] == 0xEF && pending[1] == 0xBB && pending[2] == 0xBF { i = 3 }
        }
        while true {
            while i < pending.count && Self.isSpace(pending[i]) { i += 1 }
            guard i < pending.count else { return i == start ? nil : i }
            guard pending[i] == UInt8(ascii: "<") else {
                throw SourceError(.wrongFormat, file: path, position: describePosition(consumed + Int64(i)),
                                  message: "not an XML document (text before the root element)",
                                  hint: "this source reads MediaWiki XML exports (pages-articles .xml or .xml.bz2)")
            }
            if startsWith("<?", at: i) {
                guard let end = find("?>", from: i) else { return i == start ? nil : i }
                let declaration = String(decoding: pending[i..<end], as: UTF8.self).lowercased()
                if let range = declaration.range(of: "encoding=") {
                    let value = declaration[range.upperBound...].dropFirst().prefix { $0 != "\"" && $0 != "'" }
                    if value != "utf-8" && value != "utf8" && value != "us-ascii" {
                        throw SourceError(.wrongFormat, file: path, position: describePosition(consumed + Int64(i)),
                                          message: "the export declares encoding \(value), not UTF-8",
                                          hint: "convert it first: iconv -f \(value) -t UTF-8 FILE > FILE.utf8.xml")
                    }
                }
                i = end + 2
            } else if startsWith("<!--", at: i) {
                guard let end = find("-->", from: i) else { return i == start ? nil : i }
                i = end + 3
            } else if startsWith("<!", at: i) {
                guard let end = find(">", from: i) else { return i == start ? nil : i }
                i = end + 1
            } else {
                guard let end = find(">", from: i) else {
                    if pending.count - i > 64 * 1024 { throw malformed("the root element's start tag does not end", at: i) }
                    return i == start ? nil : i
                }
                guard startsWith("<mediawiki", at: i), end >= i + 10,
                      Self.isSpace(pending[i + 10]) || pending[i + 10] == UInt8(ascii: ">") else {
                    let name = String(decoding: pending[(i + 1)..<min(end, i + 40)].prefix { !Self.isSpace($0) && $0 != UInt8(ascii: "/") }, as: UTF8.self)
                    throw SourceError(.wrongFormat, file: path, position: describePosition(consumed + Int64(i)),
                                      message: "the root element is <\(name)>, not <mediawiki>",
                                      hint: "this source reads MediaWiki XML exports (pages-articles .xml or .xml.bz2); for the old abstracts dumps use kind wikipedia-abstracts")
                }
                sawRoot = true
                state = .body
                return end + 1
            }
        }
    }

    /// Between the root's children: `<siteinfo>`, `<page>`, `</mediawiki>`, or an element to skip.
    private mutating func body(from start: Int) throws -> Int? {
        var i = start
        while i < pending.count && Self.isSpace(pending[i]) { i += 1 }
        guard i + 12 <= pending.count else { return i == start ? nil : i }
        guard pending[i] == UInt8(ascii: "<") else {
            throw malformed("text between pages (expected <page>)", at: i)
        }
        if startsWith("<page>", at: i) || startsWith("<page ", at: i) {
            state = .page
            searchFrom = i + 6
            return i
        }
        if startsWith("<siteinfo>", at: i) {
            state = .siteInfo
            return i + 10
        }
        if startsWith("</mediawiki>", at: i) {
            state = .ended
            return i + 12
        }
        if startsWith("<mediawiki", at: i) && !sawRoot {
            // The first range of a multistream dump starts with the root.
            state = .prolog
            return i
        }
        if startsWith("<!--", at: i) {
            state = .skipping(Array("-->".utf8))
            return i + 4
        }
        // Another element (a newer export's addition): skipped whole.
        let nameEnd = pending[(i + 1)...].prefix(64).firstIndex { Self.isSpace($0) || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "/") }
        guard let nameEnd, nameEnd > i + 1, pending[i + 1] != UInt8(ascii: "/") else {
            throw malformed("unexpected markup between pages (expected <page>)", at: i)
        }
        let name = Array(pending[(i + 1)..<nameEnd])
        guard let tagEnd = find(">", from: nameEnd) else { return i == start ? nil : i }
        if pending[tagEnd - 1] == UInt8(ascii: "/") { return tagEnd + 1 }
        state = .skipping(Array("</".utf8) + name + [UInt8(ascii: ">")])
        return tagEnd + 1
    }

    /// Drops an oversized page's bytes as they come until its `</page>`; the rest goes back to normal scanning.
    private mutating func feedOversized(_ bytes: UnsafeRawBufferPointer, _ handle: (Event) throws -> Void) throws {
        // `pending` holds at most the few bytes kept from before, which may begin "</page>".
        pending.append(contentsOf: bytes.bindMemory(to: UInt8.self))
        if let end = find("</page>", from: 0) {
            oversizedBytes += end + 7
            pending.removeSubrange(0..<(end + 7))
            consumed += Int64(end + 7)
            pagesFound += 1
            state = .body
            try handle(.oversizedPage(title: oversizedTitle, bytes: oversizedBytes))
            oversizedTitle = nil
            return
        }
        let keep = min(6, pending.count)
        let drop = pending.count - keep
        oversizedBytes += drop
        pending.removeSubrange(0..<drop)
        consumed += Int64(drop)
        searchFrom = 0
    }

    private func startsWith(_ literal: StaticString, at i: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard i + count <= pending.count else { return false }
        let bytes = literal.utf8Start
        for k in 0..<count where pending[i + k] != bytes[k] { return false }
        return true
    }

    /// The offset of `needle` in `pending` at or after `from` (or `searchFrom` when later), via memmem.
    private mutating func find(_ needle: StaticString, from: Int) -> Int? {
        find(UnsafeRawBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount), from: from)
    }

    private mutating func find(_ needle: [UInt8], from: Int) -> Int? {
        needle.withUnsafeBytes { find($0, from: from) }
    }

    private mutating func find(_ needle: UnsafeRawBufferPointer, from: Int) -> Int? {
        let begin = max(from, searchFrom)
        let found = pending.withUnsafeBytes { ByteSearch.find(needle, in: $0, from: begin) }
        // Next time, search only the bytes that arrived since (minus a possible partial match).
        searchFrom = found == nil ? max(begin, pending.count - needle.count + 1) : 0
        return found
    }
}
