#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The fields of one `<page>` element of a MediaWiki export that decide what the page yields.
///
/// ```xml
/// <page>
///   <title>Anarchism</title> <ns>0</ns> <id>12</id> [<redirect title="…" />]
///   <revision> … <model>wikitext</model> <format>text/x-wiki</format>
///     <text bytes="…" xml:space="preserve">…wikitext, XML-escaped…</text> … </revision>
/// </page>
/// ```
struct MediaWikiPage {
    var title: String
    /// The namespace number; nil when the page has no `<ns>` (exports before schema 0.6).
    var namespace: Int?
    var id: String
    var isRedirect: Bool
    /// The revision's content model (`wikitext`, `json`, `Scribunto`, `css`…); nil when not given (old exports).
    var model: String?
    /// Whether the revision has a `<text>` element with content (not `<text … />`, not `deleted`).
    var hasText: Bool

    /// Reads `page` (a whole `<page>…</page>`); its wikitext, XML entities decoded, goes to `text` (replaced).
    /// Fails with ``PageProblem/noTitle`` when the page has no (or an empty) title.
    static func parse(_ page: UnsafeBufferPointer<UInt8>, text: inout [UInt8]) -> Result<MediaWikiPage, PageProblem> {
        text.removeAll(keepingCapacity: true)
        // Page-level fields come before the first <revision>; the revision's after it.
        let revision = search(page, "<revision", from: 0) ?? page.count
        let head = UnsafeBufferPointer(rebasing: page[..<revision])
        guard let title = elementText(head, "title") else { return .failure(.noTitle) }
        let decodedTitle = decodeString(title)
        if decodedTitle.isEmpty { return .failure(.noTitle) }
        let namespace = elementText(head, "ns").flatMap { Int(String(decoding: $0, as: UTF8.self).trimmingWhiteSpace) }
        let id = elementText(head, "id").map { String(decoding: $0, as: UTF8.self).trimmingWhiteSpace } ?? ""
        let isRedirect = search(head, "<redirect", from: 0) != nil
        let rest = UnsafeBufferPointer(rebasing: page[revision...])
        let model = elementText(rest, "model").map { String(decoding: $0, as: UTF8.self).trimmingWhiteSpace }
        var hasText = false
        if let open = search(rest, "<text", from: 0), let tagEnd = search(rest, ">", from: open + 5) {
            let selfClosing = rest[tagEnd - 1] == UInt8(ascii: "/")
            if !selfClosing, let close = search(rest, "</text>", from: tagEnd + 1) {
                XMLText.decode(UnsafeBufferPointer(rebasing: rest[(tagEnd + 1)..<close]), into: &text)
                hasText = !text.isEmpty
            }
        }
        return .success(MediaWikiPage(title: decodedTitle, namespace: namespace, id: id, isRedirect: isRedirect,
                                      model: model, hasText: hasText))
    }

    /// Why a page could not be read.
    enum PageProblem: Error { case noTitle }

    /// The decoded `<title>` of a page's first bytes, if it is there (for naming a page too big to read).
    static func title(in bytes: UnsafeBufferPointer<UInt8>) -> String? {
        elementText(UnsafeBufferPointer(rebasing: bytes.prefix(64 * 1024)), "title").map(decodeString)
    }

    private static func decodeString(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var output: [UInt8] = []
        XMLText.decode(bytes, into: &output)
        return String(decoding: output, as: UTF8.self).trimmingWhiteSpace
    }

    /// The raw content of the first `<name>…</name>` in `bytes`.
    private static func elementText(_ bytes: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> UnsafeBufferPointer<UInt8>? {
        var open: [UInt8] = [UInt8(ascii: "<")]
        open.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        open.append(UInt8(ascii: ">"))
        guard let start = search(bytes, open, from: 0) else { return nil }
        var close = open
        close.insert(UInt8(ascii: "/"), at: 1)
        let contentStart = start + open.count
        guard let end = search(bytes, close, from: contentStart) else { return nil }
        return UnsafeBufferPointer(rebasing: bytes[contentStart..<end])
    }

    static func search(_ bytes: UnsafeBufferPointer<UInt8>, _ needle: StaticString, from: Int) -> Int? {
        search(bytes, UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount), from: from)
    }

    static func search(_ bytes: UnsafeBufferPointer<UInt8>, _ needle: [UInt8], from: Int) -> Int? {
        needle.withUnsafeBufferPointer { search(bytes, $0, from: from) }
    }

    static func search(_ bytes: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        ByteSearch.find(UnsafeRawBufferPointer(needle), in: UnsafeRawBufferPointer(bytes), from: from)
    }
}
