/// What one page of a pages-articles dump yields: a record, or a skip with its reason.
enum PageOutcome: Sendable {
    case record(Record)
    case skip(SkipReason, id: String, detail: String)
}

/// Turns the `<page>` elements of a pages-articles dump into records: articles of namespace 0 only, their
/// abstract extracted from the wikitext (``WikitextExtractor``), their categories kept.
///
/// One reader per thread (it keeps a buffer for the decoded wikitext); the extraction rules are shared.
struct WikipediaPageReader {
    let site: SiteInfo
    let extractor: WikitextExtractor
    let minChars: Int
    let maxChars: Int
    private var text: [UInt8] = []

    init(site: SiteInfo, extent: WikitextExtractor.Extent, minChars: Int, maxChars: Int) {
        self.site = site
        self.extractor = WikitextExtractor(extent: extent, categoryNamespaces: site.categoryNamespaces,
                                           fileNamespaces: site.fileNamespaces)
        self.minChars = minChars
        self.maxChars = maxChars
        text.reserveCapacity(1 << 16)
    }

    /// The outcome of the page `bytes` (a whole `<page>…</page>`). `position` names it in failures.
    mutating func read(_ bytes: UnsafeBufferPointer<UInt8>, position: @autoclosure () -> String) -> PageOutcome {
        let page: MediaWikiPage
        switch MediaWikiPage.parse(bytes, text: &text) {
        case .success(let parsed): page = parsed
        case .failure: return .skip(.malformed, id: position(), detail: "the <page> at \(position()) has no <title>")
        }
        let id = page.id.isEmpty ? page.title : page.id
        // Policy skips first, cheapest first: most pages of a dump are redirects or in other namespaces.
        // A redirect counts as one in any namespace (the dumps' own statistics count them so).
        if page.isRedirect { return .skip(.redirect, id: id, detail: "") }
        if (page.namespace ?? Self.namespaceFromTitle(page.title, site)) != 0 {
            return .skip(.notArticle, id: id, detail: "")
        }
        if let model = page.model, model != "wikitext" { return .skip(.notWikitext, id: id, detail: "") }
        if !page.hasText { return .skip(.empty, id: id, detail: "") }
        if Self.startsWithRedirect(text) { return .skip(.redirect, id: id, detail: "") }

        let extracted = text.withUnsafeBufferPointer { extractor.extract($0) }
        if extracted.isDisambiguation { return .skip(.disambiguation, id: id, detail: "") }
        if extracted.text.isEmpty { return .skip(.empty, id: id, detail: "") }
        let replaced = Self.replacementCount(extracted.text) + Self.replacementCount(page.title)
        if replaced > 0 {
            return .skip(.invalidUTF8, id: id, detail: "\(replaced) invalid UTF-8 sequence(s) in the title or abstract of “\(page.title)”")
        }
        let characters = extracted.text.unicodeScalars.count
        if characters < minChars { return .skip(.tooShort, id: id, detail: "") }
        if characters > maxChars {
            return .skip(.tooLong, id: id, detail: "the abstract of “\(page.title)” has \(characters) characters, more than max_chars \(maxChars)")
        }
        // A title can't hold "|" in MediaWiki, so it separates the categories unambiguously.
        return .record(Record(id: id, title: page.title, body: extracted.text, url: site.url(of: page.title),
                              category: extracted.categories.joined(separator: "|"), ordinal: 0))
    }

    /// The namespace of a page in an export without `<ns>`: 0 unless its title starts with a known namespace.
    private static func namespaceFromTitle(_ title: String, _ site: SiteInfo) -> Int {
        guard let colon = title.firstIndex(of: ":") else { return 0 }
        let prefix = title[..<colon]
        for (number, name) in site.namespaces where number != 0 && !name.isEmpty && name == prefix {
            return number
        }
        return 0
    }

    /// `#REDIRECT [[…]]` (any case, leading spaces) in an export without `<redirect>`.
    private static func startsWithRedirect(_ text: [UInt8]) -> Bool {
        var i = 0
        while i < text.count && (text[i] == 0x20 || text[i] == 0x0A) { i += 1 }
        let word = Array("#redirect".utf8)
        guard text.count - i >= word.count else { return false }
        for k in 0..<word.count where text[i + k] | 0x20 != word[k] | 0x20 { return false }
        return true
    }

    private static func replacementCount(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + ($1 == "\u{FFFD}" ? 1 : 0) }
    }
}
