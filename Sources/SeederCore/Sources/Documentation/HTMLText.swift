import CLibXML2

/// HTML → plain text, whole or split into sections, over libxml2's HTML parser (``HTMLDocument``).
///
/// - Block elements (`p`, `div`, `li`, `h1`–`h6`, `tr`, `br`, `pre`, `blockquote`, `dt`/`dd`, `table`…) end the
///   line; inline elements (`a`, `em`, `code`, `span`…) do not. List items are on lines of their own.
/// - Outside `pre` (and `code`/`kbd`/`samp`), runs of white space collapse to one space; inside, text is kept
///   verbatim, so code samples stay intact.
/// - Table cells of a row are joined by `" | "`.
/// - `script`, `style`, `noscript`, `template`, `svg`, `math`, `nav`, `button`, `head`, `iframe`, `object`,
///   `select`, `textarea` and comments are dropped, with elements carrying a class in `droppedClasses`.
/// - Images become their `alt` text (nothing without one). Entities are decoded by libxml2.
///
/// Walking is iterative (parent/next pointers), so a deeply nested page cannot overflow the stack.
struct HTMLText {
    /// One part of a page.
    struct Section: Equatable {
        /// The anchor (`id`, or `name` of an `<a>`) the section starts at; nil for the text before the first one.
        var anchor: String?
        /// The heading text when split at headings; the first heading inside the section when split at anchors;
        /// "" when there is none.
        var title: String
        /// The section's text (for a heading split: without the heading itself), trimmed.
        var text: String
        /// The heading's level (1…6) when split at headings; 0 otherwise and for the intro.
        var level = 0
    }

    /// Elements skipped with everything inside.
    static let droppedElements: Set<String> = [
        "script", "style", "noscript", "template", "svg", "math", "nav", "button", "head", "iframe", "object",
        "select", "textarea", "embed", "canvas", "audio", "video",
    ]
    /// Elements that start and end a line.
    static let blockElements: Set<String> = [
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hgroup", "hr", "html", "legend", "li", "main", "menu", "ol", "p", "pre", "section", "summary",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "br", "option", "output",
    ]
    /// Elements whose text is kept verbatim.
    static let verbatimElements: Set<String> = ["pre", "code", "kbd", "samp", "listing", "xmp", "plaintext"]
    static let headingElements: Set<String> = ["h1", "h2", "h3", "h4", "h5", "h6"]

    /// Elements with one of these classes are dropped (DevDocs' `_attribution` license box, say).
    var droppedClasses: Set<String> = []

    init(droppedClasses: Set<String> = []) {
        self.droppedClasses = droppedClasses
    }

    /// The whole page as text.
    func text(_ html: String) -> String {
        walk(html, mode: .whole).sections.first?.text ?? ""
    }

    /// The page's `<title>` and its sections split at headings `h1`–`h6`: first the text before the first heading
    /// (anchor nil, title ""; present even when empty), then one section per heading, whose `anchor` is the
    /// heading's `id` (or that of an `<a id|name>` inside it), nil when it has none.
    func headingSections(_ html: String) -> (documentTitle: String, sections: [Section]) {
        let result = walk(html, mode: .headings)
        return (result.documentTitle, result.sections)
    }

    /// The sections starting at `anchors` (element `id`s and `<a name>`s), in document order: first the text before
    /// the first anchor found (anchor nil; present even when empty), then one per anchor found (its first
    /// occurrence). Anchors of `anchors` that the page lacks are simply absent from the result.
    func anchorSections(_ html: String, anchors: Set<String>) -> [Section] {
        walk(html, mode: .anchors(anchors)).sections
    }

    // MARK: - Walking

    enum Mode {
        case whole
        case headings
        case anchors(Set<String>)
    }

    private func walk(_ html: String, mode: Mode) -> (documentTitle: String, sections: [Section]) {
        let document = HTMLDocument(html)
        var sink = TextSink()
        var sections: [Section] = []
        var current = Section(anchor: nil, title: "", text: "")
        var documentTitle = ""
        var seenAnchors: Set<String> = []
        // Heading capture (split at headings): the heading element whose text becomes the next section's title.
        var headingNode: xmlNodePtr?
        // Anchors mode: the first heading of the current section is being captured from this offset.
        var firstHeadingNode: xmlNodePtr?
        var firstHeadingStart = 0
        var openHeading: xmlNodePtr?
        var titleNode: xmlNodePtr?
        var headNode: xmlNodePtr?
        var titleText = ""

        func finishSection() {
            current.text = sink.finish()
            sections.append(current)
        }

        /// Handles an element on the way down; returns whether to walk into it.
        func enter(_ node: xmlNodePtr) -> Bool {
            let element = node.pointee
            let name = element.elementName
            // <head> is walked only for its <title>, which names the page.
            if name == "head", headNode == nil {
                headNode = node
                return true
            }
            if headNode != nil {
                guard name == "title", titleNode == nil, documentTitle.isEmpty else { return false }
                titleNode = node
                return true
            }
            if Self.droppedElements.contains(name) { return false }
            if !droppedClasses.isEmpty, let classes = element.attributeValue("class"),
               classes.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).contains(where: { droppedClasses.contains(String($0)) }) {
                return false
            }
            switch mode {
            case .whole:
                break
            case .headings:
                if headingNode == nil, Self.headingElements.contains(name) {
                    finishSection()
                    current = Section(anchor: element.attributeValue("id") ?? Self.innerAnchor(node), title: "", text: "",
                                      level: Int(name.utf8.last! - UInt8(ascii: "0")))
                    headingNode = node
                }
            case .anchors(let anchors):
                var anchor = element.attributeValue("id")
                if anchor == nil || !anchors.contains(anchor!), name == "a" { anchor = element.attributeValue("name") }
                if let anchor, anchors.contains(anchor), !seenAnchors.contains(anchor) {
                    seenAnchors.insert(anchor)
                    finishSection()
                    current = Section(anchor: anchor, title: "", text: "")
                    // An anchor inside a heading (`<h2><a name="x"></a>X</h2>`): that heading names the section.
                    firstHeadingNode = openHeading
                    firstHeadingStart = 0
                }
                if openHeading == nil, Self.headingElements.contains(name) { openHeading = node }
                if firstHeadingNode == nil, current.title.isEmpty, Self.headingElements.contains(name) {
                    firstHeadingNode = node
                    sink.block()
                    firstHeadingStart = sink.position
                }
            }
            if Self.blockElements.contains(name) { sink.block() }
            if name == "td" || name == "th" { sink.cell() }
            if name == "tr" { sink.row() }
            if Self.verbatimElements.contains(name) { sink.verbatimDepth += 1 }
            if name == "img", let alt = element.attributeValue("alt") { sink.text(alt) }
            return true
        }

        /// Handles an element on the way up (only elements walked into).
        func leave(_ node: xmlNodePtr) {
            let name = node.pointee.elementName
            if node == titleNode {
                documentTitle = TextSink.collapse(titleText)
                titleNode = nil
                return
            }
            if node == headNode {
                headNode = nil
                return
            }
            if Self.verbatimElements.contains(name) { sink.verbatimDepth -= 1 }
            if Self.blockElements.contains(name) { sink.block() }
            if node == headingNode {
                current.title = TextSink.collapse(sink.finish())
                headingNode = nil
            }
            if node == openHeading { openHeading = nil }
            if node == firstHeadingNode {
                current.title = TextSink.collapse(sink.since(firstHeadingStart))
                firstHeadingNode = nil
            }
        }

        guard let root = document.root else { return ("", [current]) }
        var node: xmlNodePtr? = root
        walking: while let n = node {
            var descend = false
            switch n.pointee.type {
            case XML_ELEMENT_NODE:
                descend = enter(n)
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if let content = n.pointee.content {
                    if titleNode != nil {
                        titleText += String(cString: content)
                    } else if headNode == nil {
                        sink.text(content)
                    }
                }
            default:
                break // comments, processing instructions…
            }
            if descend, let child = n.pointee.children {
                node = child
                continue
            }
            if descend { leave(n) }
            // Up until a node with a next sibling, leaving each element on the way.
            var up: xmlNodePtr? = n
            while let u = up {
                if u == root { break walking }
                if let next = u.pointee.next {
                    node = next
                    continue walking
                }
                up = u.pointee.parent
                if let parent = up, parent.pointee.type == XML_ELEMENT_NODE { leave(parent) }
            }
            break
        }
        finishSection()
        return (documentTitle, sections)
    }

    /// The `id` or `name` of the first `<a>` (or element with an id) directly inside a heading, if any
    /// (`<h2><a name="x"></a>Title</h2>`).
    private static func innerAnchor(_ heading: xmlNodePtr) -> String? {
        var child = heading.pointee.children
        while let c = child {
            if c.pointee.type == XML_ELEMENT_NODE {
                if let id = c.pointee.attributeValue("id") { return id }
                if c.pointee.elementName == "a", let name = c.pointee.attributeValue("name") { return name }
            }
            child = c.pointee.next
        }
        return nil
    }
}

/// Accumulates text with HTML's white-space rules: collapsed runs, line breaks between blocks, verbatim `pre`.
struct TextSink {
    private var out: [UInt8] = []
    private var pendingSpace = false
    private var pendingBreak = false
    private var pendingCell = false
    /// Cells seen in the current table row (the first one gets no separator).
    private var cellsInRow = 0
    /// Inside `pre`/`code`: text is kept as is.
    var verbatimDepth = 0

    /// Where the text stands (for `since`).
    var position: Int { out.count }

    mutating func block() {
        pendingBreak = true
    }

    mutating func row() {
        cellsInRow = 0
    }

    mutating func cell() {
        if cellsInRow > 0 { pendingCell = true }
        cellsInRow += 1
    }

    mutating func text(_ string: String) {
        var copy = string
        copy.withUTF8 { append(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count)) }
    }

    mutating func text(_ content: UnsafePointer<xmlChar>) {
        append(UnsafeBufferPointer(start: content, count: Int(xmlStrlen(content))))
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        if verbatimDepth > 0 {
            guard !bytes.isEmpty else { return }
            flush()
            out.append(contentsOf: bytes)
            return
        }
        for byte in bytes {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D, 0x0C:
                pendingSpace = true
            default:
                flush()
                out.append(byte)
            }
        }
    }

    /// Writes what is pending before the next visible character.
    private mutating func flush() {
        if out.isEmpty {
            pendingBreak = false
            pendingSpace = false
            pendingCell = false
            return
        }
        if pendingBreak && !pendingCell {
            trimTrailingSpaces()
            if out.last != 0x0A { out.append(0x0A) }
        } else if pendingCell {
            trimTrailingSpaces()
            if out.last != 0x0A { out.append(contentsOf: [0x20, 0x7C, 0x20]) }
        } else if pendingSpace, out.last != 0x20, out.last != 0x0A {
            out.append(0x20)
        }
        pendingBreak = false
        pendingSpace = false
        pendingCell = false
    }

    private mutating func trimTrailingSpaces() {
        while out.last == 0x20 { out.removeLast() }
    }

    /// The text since `start`, leaving it in place.
    func since(_ start: Int) -> String {
        String(decoding: out[min(start, out.count)...], as: UTF8.self)
    }

    /// The text so far, trimmed, and a fresh start.
    mutating func finish() -> String {
        let text = String(decoding: out, as: UTF8.self)
        out.removeAll(keepingCapacity: true)
        pendingSpace = false
        pendingBreak = false
        pendingCell = false
        return Self.trim(text)
    }

    static func trim(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let end = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[start...end])
    }

    /// `text` on one line: every run of white space (line breaks included) becomes one space.
    static func collapse(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
